"""Splitting SQL into statements: error recovery, positions, DO-block bodies."""

from __future__ import annotations

from pglast import ast

from bhq_migrate.lint.source import source_from_text


def test_a_syntax_error_does_not_hide_the_other_statements() -> None:
    source = source_from_text("CREATE TABLE a (id int);\nSELEC 1;\nCREATE TABLE b (id int);\n")
    assert [problem.line for problem in source.syntax_errors] == [2]
    assert [type(unit.node).__name__ for unit in source.units] == ["CreateStmt", "CreateStmt"]


def test_syntax_error_column_counts_characters_after_non_ascii_comments() -> None:
    text = "-- INT → BIGINT, é\nALTER TABLE t ADD CONSTRAINT IF NOT EXISTS c CHECK (a > 0);\n"
    problem = source_from_text(text).syntax_errors[0]
    assert (problem.line, problem.column) == (2, 33)
    assert problem.message == 'syntax error at or near "NOT"'


def test_statements_inside_a_do_block_are_linted_with_their_file_position() -> None:
    text = (
        "DO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1) THEN\n"
        "    ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0);\n  END IF;\nEND\n$$;\n"
    )
    inner = [unit for unit in source_from_text(text).units if unit.in_do_block]
    assert len(inner) == 1
    assert isinstance(inner[0].node, ast.AlterTableStmt)
    assert inner[0].position() == (4, 5)


def test_do_block_with_execute_is_marked_dynamic() -> None:
    text = "DO $$ BEGIN EXECUTE format('ALTER TABLE %I ADD COLUMN x int', 't'); END $$;"
    outer = source_from_text(text).units[0]
    assert outer.dynamic_sql


def test_transactional_header_is_read() -> None:
    assert not source_from_text("-- transactional: false\nSELECT 1;").transactional
    assert source_from_text("SELECT 1;").transactional


def test_parser_grammar_is_no_newer_than_the_supported_servers() -> None:
    from pglast import parser

    assert parser.get_postgresql_version()[0] == 15  # docs/lint.md: PostgreSQL 15 grammar, servers 15+
