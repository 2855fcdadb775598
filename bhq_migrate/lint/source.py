"""SQL text to the statements the linter looks at, each with its place in the file.

A file that parses is split by :func:`bhq_migrate.plans.split_statements`, the splitter the runner uses.
A file that does not parse is split by libpg_query's scanner at top-level semicolons, every piece is parsed
on its own, and each piece PostgreSQL would reject becomes a syntax problem, so one bad statement does not
hide the findings in the others.

The SQL statements inside a ``DO`` block's PL/pgSQL body are extracted with libpg_query's PL/pgSQL parser and
linted like top-level statements (the plans guard ``ADD CONSTRAINT`` in DO blocks). ``EXECUTE`` of a
computed string cannot be seen; such a block is marked ``dynamic``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pglast import ast, parser

from bhq_migrate.errors import BadPlan

# The splitter's own helpers, so recovered statements are cut exactly like split_statements cuts them.
from bhq_migrate.plans import (
    Plan,
    Statement,
    parse_error_position,
    position,
    read_headers,
    read_sql_file,
    scan_error_position,
    skip_comments,
    split_statements,
)


@dataclass(frozen=True)
class SyntaxProblem:
    line: int
    column: int
    message: str


@dataclass(frozen=True, eq=False)
class Unit:
    """One statement the server runs: top-level, or an SQL statement inside a DO block's body.

    ``offset`` is where ``sql`` starts in the file text, so a node's ``location`` (relative to ``sql``) maps
    back to a file line and column. ``comments`` are the leading comments of the top-level statement, where
    suppressions live (a DO block's comments cover the statements inside it).
    """

    file: str
    text: str
    index: int
    sql: str
    offset: int
    node: ast.Node
    comments: str
    in_do_block: bool = False
    dynamic_sql: bool = False

    def position(self, location: int | None = None) -> tuple[int, int]:
        usable = location if location is not None and 0 <= location < len(self.sql) else 0
        return position(self.text, self.offset + usable)


@dataclass
class SourceFile:
    file: str
    text: str
    units: list[Unit] = field(default_factory=list)
    syntax_errors: list[SyntaxProblem] = field(default_factory=list)
    transactional: bool = True


def _line_offsets(text: str) -> list[int]:
    offsets = [0]
    offsets.extend(index + 1 for index, char in enumerate(text) if char == "\n")
    return offsets


def _pieces(text: str) -> tuple[list[tuple[int, int]], SyntaxProblem | None]:
    """(start, end) of each top-level statement with its leading comments, cut at the scanner's ``;`` tokens
    (string, dollar-quoted and comment tokens keep their own semicolons).

    An unterminated quote, identifier or comment runs to the end of the text, where the scanner stops: the
    text before it is cut as usual and the rest is returned as one syntax problem.
    """
    tail: SyntaxProblem | None = None
    end = len(text)
    try:
        tokens = parser.scan(text)
    except parser.ParseError:
        message, end = scan_error_position(text)
        tail = SyntaxProblem(*position(text, end), message)
        tokens = parser.scan(text[:end])
    cuts = [token.end + 1 for token in tokens if token.name == "ASCII_59"]
    bounds = [0, *cuts]
    pieces = list(zip(bounds, cuts, strict=False))  # bounds has one more: the text after the last ";"
    if bounds[-1] < end:
        pieces.append((bounds[-1], end))
    return pieces, tail


def _recover(text: str) -> tuple[list[tuple[Statement, int]], list[SyntaxProblem]]:
    """Split with the scanner and parse piece by piece: the good statements and one problem per bad one."""
    statements: list[tuple[Statement, int]] = []
    problems: list[SyntaxProblem] = []
    pieces, tail = _pieces(text)
    for chunk_start, chunk_end in pieces:
        chunk = text[chunk_start:chunk_end]
        body_offset = skip_comments(chunk)
        body = chunk[body_offset:].rstrip().rstrip(";").rstrip()
        if not body:
            continue
        try:
            parser.parse_sql(body)
        except parser.ParseError:
            message, offset = parse_error_position(chunk)
            line, column = position(text, chunk_start + offset)
            problems.append(SyntaxProblem(line, column, message))
            continue
        start = chunk_start + body_offset
        line, column = position(text, start)
        statement = Statement(
            index=len(statements), sql=body, line=line, column=column, leading_comments=chunk[:body_offset]
        )
        statements.append((statement, start))
    return statements, [*problems, *([tail] if tail else [])]


def _split(text: str, name: str) -> tuple[list[tuple[Statement, int]], list[SyntaxProblem]]:
    try:
        statements = split_statements(text, name)
    except BadPlan:
        return _recover(text)
    return _with_offsets(text, statements), []


def _with_offsets(text: str, statements: tuple[Statement, ...]) -> list[tuple[Statement, int]]:
    lines = _line_offsets(text)
    return [(statement, lines[statement.line - 1] + statement.column - 1) for statement in statements]


def _do_body(node: ast.DoStmt) -> tuple[str, str]:
    body, language = "", "plpgsql"
    for option in node.args or ():
        if option.defname == "as":
            body = getattr(option.arg, "sval", "")
        elif option.defname == "language":
            language = getattr(option.arg, "sval", language)
    return body, language


def _plpgsql_statements(body: str) -> tuple[list[str], bool]:
    """The SQL statements a PL/pgSQL body runs (in order), and whether it also runs dynamic SQL."""
    tag = "$bhq_do$"
    wrapped = f"CREATE FUNCTION bhq_do() RETURNS void LANGUAGE plpgsql AS {tag}{body}{tag}"
    try:
        tree = json.loads(parser.parse_plpgsql_json(wrapped))
    except (parser.ParseError, ValueError):
        return [], True
    queries: list[str] = []
    dynamic = False

    def walk(value: Any) -> None:
        nonlocal dynamic
        if isinstance(value, dict):
            for key, child in value.items():
                if key == "PLpgSQL_stmt_execsql":
                    queries.append(child["sqlstmt"]["PLpgSQL_expr"]["query"])
                elif key == "PLpgSQL_stmt_dynexecute":
                    dynamic = True
                else:
                    walk(child)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(tree)
    return queries, dynamic


def _do_block_units(unit: Unit, body: str, queries: list[str]) -> Iterator[Unit]:
    """The body's SQL statements as units placed at their own line and column in the file."""
    body_start = max(unit.sql.find(body), 0)
    cursor = 0
    for query in queries:
        found = body.find(query, cursor)
        query_start = found if found >= 0 else cursor
        cursor = query_start + len(query) if found >= 0 else cursor
        try:
            raw = parser.parse_sql(query)
        except parser.ParseError:
            continue  # PL/pgSQL-only syntax (SELECT ... INTO var): not DDL, nothing to lint
        for statement in raw:
            yield replace(
                unit, sql=query, offset=unit.offset + body_start + query_start, node=statement.stmt, in_do_block=True
            )


def _units(name: str, text: str, statements: list[tuple[Statement, int]]) -> list[Unit]:
    units: list[Unit] = []
    for statement, offset in statements:
        node = statement.node  # the plan's own parse (plans.Statement), shared with the runner and pre-flight
        unit = Unit(name, text, statement.index, statement.sql, offset, node, statement.leading_comments)
        body, language = _do_body(node) if isinstance(node, ast.DoStmt) else ("", "")
        if body and language.lower() == "plpgsql":
            queries, dynamic = _plpgsql_statements(body)
            unit = replace(unit, dynamic_sql=dynamic)
            units.append(unit)
            units.extend(_do_block_units(unit, body, queries))
        else:
            units.append(unit)
    return units


def _transactional(text: str) -> bool:
    try:
        value = read_headers(text, "<lint>").get("transactional", "true")
    except BadPlan:
        return True
    return value.lower() not in {"false", "no", "off", "0"}


def source_from_text(text: str, name: str = "<sql>") -> SourceFile:
    statements, problems = _split(text, name)
    return SourceFile(name, text, _units(name, text, statements), problems, _transactional(text))


def display_path(path: Path) -> str:
    """``sql/001_x.sql`` when under the working directory, else the path as given: what findings show."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def source_from_plan(plan: Plan) -> SourceFile:
    """A plan already split by :func:`bhq_migrate.plans.load_plan` (so it parsed)."""
    name = display_path(plan.path)
    statements = _with_offsets(plan.text, plan.statements)
    return SourceFile(name, plan.text, _units(name, plan.text, statements), [], plan.transactional)


def source_from_path(path: Path, display: str | None = None) -> SourceFile:
    return source_from_text(read_sql_file(path), display or str(path))
