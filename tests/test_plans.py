"""Plan files: naming, headers, statement splitting by PostgreSQL's grammar, and the shipped plans."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from bhq_migrate.errors import BadPlan
from bhq_migrate.plans import load_plan, load_plans, split_statements
from tests.conftest import PLANS_DIR


def test_statements_split_on_semicolons_outside_dollar_quotes() -> None:
    statements = split_statements("SELECT 1;\nDO $$ BEGIN PERFORM 1; PERFORM 2; END $$;\nSELECT ';';")
    assert [s.sql for s in statements] == ["SELECT 1", "DO $$ BEGIN PERFORM 1; PERFORM 2; END $$", "SELECT ';'"]


def test_statement_positions_skip_leading_comments() -> None:
    statements = split_statements("-- header\n\n/* block */\n  ALTER TABLE t ADD COLUMN c int;\n")
    assert (statements[0].line, statements[0].column) == (4, 3)
    assert "-- header" in statements[0].leading_comments


def test_syntax_error_names_file_line_and_column() -> None:
    with pytest.raises(BadPlan, match=r'^x.sql:2:40: syntax error at or near "NOT"$'):
        split_statements('SELECT 1;\nALTER TABLE "Tenant" ADD CONSTRAINT IF NOT EXISTS c CHECK (true);', "x.sql")


def test_headers_are_read_from_leading_comments(tmp_path: Path) -> None:
    path = tmp_path / "007_online_index.sql"
    path.write_text("-- transactional: false\n-- optional: yes\n-- depends: 001, 002\nSELECT 1;\n")
    plan = load_plan(path)
    assert (plan.id, plan.name, plan.transactional, plan.optional, plan.depends) == (
        "007", "online_index", False, True, ("001", "002"))


def test_bad_header_value_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "007_x.sql"
    path.write_text("-- transactional: sometimes\nSELECT 1;\n")
    with pytest.raises(BadPlan, match="header 'transactional' must be true or false"):
        load_plan(path)


def test_plan_file_names_must_be_numbered(tmp_path: Path) -> None:
    (tmp_path / "fixes.sql").write_text("SELECT 1;")
    with pytest.raises(BadPlan, match=r"NNN_slug\.sql"):
        load_plans(tmp_path)


def test_duplicate_plan_ids_are_rejected(tmp_path: Path) -> None:
    (tmp_path / "001_a.sql").write_text("SELECT 1;")
    (tmp_path / "001_b.sql").write_text("SELECT 2;")
    with pytest.raises(BadPlan, match="plan id 001 is used by both"):
        load_plans(tmp_path)


def test_non_utf8_plan_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "001_latin1.sql").write_bytes("SELECT 'caf\xe9';".encode("latin-1"))
    with pytest.raises(BadPlan, match="not valid UTF-8"):
        load_plans(tmp_path)


def test_checksum_changes_with_any_edit(tmp_path: Path) -> None:
    path = tmp_path / "001_a.sql"
    path.write_text("SELECT 1;")
    before = load_plan(path).sha256
    path.write_text("SELECT 1; ")
    assert load_plan(path).sha256 != before


def test_shipped_plans_parse_and_carry_no_transaction_control() -> None:
    plans = load_plans(PLANS_DIR)
    assert [(p.id, p.optional, p.explicit) for p in plans] == [
        ("001", False, False), ("002", False, False), ("003", True, False), ("004", True, True)]
    keywords = {s.sql.split()[0].upper() for p in plans for s in p.statements}
    assert keywords.isdisjoint({"BEGIN", "COMMIT", "ROLLBACK", "START", "END", "SAVEPOINT"})


def test_seed_invoice_retypes_are_merged_into_one_rewrite() -> None:
    [plan] = [p for p in load_plans(PLANS_DIR) if p.id == "001"]
    invoice_retypes = [
        s for s in plan.statements if s.sql.startswith('ALTER TABLE "Invoice"') and "TYPE BIGINT" in s.sql
    ]
    assert len(invoice_retypes) == 1 and invoice_retypes[0].sql.count("TYPE BIGINT") == 3


def test_syntax_error_position_counts_characters_after_non_ascii_text() -> None:
    with pytest.raises(BadPlan, match=r"^x.sql:2:10: syntax error"):
        split_statements("-- INT → BIGINT, café\nSELECT 1 1;", "x.sql")


def test_an_explicit_optional_plan_runs_only_when_named(tmp_path: Path) -> None:
    from bhq_migrate.migrate.runner import ApplyOptions, select_plans

    (tmp_path / "001_a.sql").write_text("SELECT 1;")
    (tmp_path / "002_b.sql").write_text("-- optional: true\nSELECT 1;")
    (tmp_path / "003_c.sql").write_text("-- optional: explicit\nSELECT 1;")
    plans = load_plans(tmp_path)
    chosen = lambda **kw: [p.id for p in select_plans(plans, ApplyOptions(plans_dir=tmp_path, **kw))]  # noqa: E731
    assert chosen() == ["001"]
    assert chosen(with_optional=True) == ["001", "002"]
    assert chosen(only=("003",)) == ["003"]


def test_optional_header_rejects_other_values(tmp_path: Path) -> None:
    (tmp_path / "001_a.sql").write_text("-- optional: sometimes\nSELECT 1;")
    with pytest.raises(BadPlan, match="must be true or explicit or false"):
        load_plans(tmp_path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "plan has no statement"),
        ("-- transactional: true\n-- only a comment\n/* and a block */\n\n", "plan has no statement"),
        ("  ;\n;\n", "plan has no statement"),
        ("SELECT 1;\n\x00DROP TABLE \"Invoice\";\n", r":2: binary content \(a NUL byte\)"),
    ],
    ids=["empty", "comments-only", "semicolons-only", "nul-byte"],
)
def test_a_plan_without_statements_or_with_binary_content_is_rejected(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "001_a.sql"
    path.write_text(content)
    with pytest.raises(BadPlan, match=message):
        load_plan(path)


def test_a_plans_folder_without_plans_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("not a plan")
    with pytest.raises(BadPlan, match=r"no plans in this folder \(files named NNN_slug\.sql\)"):
        load_plans(tmp_path)


def test_a_statement_is_parsed_once_for_the_runner_preflight_lint_and_online_planner(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pglast import parser

    from bhq_migrate.lint import lint_plans
    from bhq_migrate.migrate import online, preflight

    plans = load_plans(PLANS_DIR)
    statements = {statement.sql for plan in plans for statement in plan.statements}
    parsed: list[str] = []
    real = parser.parse_sql

    def counting(sql: str) -> object:
        if sql in statements:
            parsed.append(sql)
        return real(sql)

    monkeypatch.setattr(parser, "parse_sql", counting)
    for _ in range(2):  # every reader, twice: the second round parses nothing
        preflight._collect(plans)
        online.bigint_retypes(plans)
        lint_plans(plans)  # (the runner reads statement.node too, for CREATE INDEX CONCURRENTLY)
    assert sorted(parsed) == sorted(statement.sql for plan in plans for statement in plan.statements)


# --- trusted_trees: pglast's trees without its per-field validation, identical to its own ---------------------

VARIED_SQL = [
    "SELECT true, false, NULL::boolean, 1.5, 'x', B'101', ARRAY[1, 2], now() AT TIME ZONE 'UTC'",
    "CREATE UNLOGGED TABLE IF NOT EXISTS t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
    "ok boolean NOT NULL DEFAULT true, doc jsonb, total numeric(12, 2) GENERATED ALWAYS AS (id * 2) STORED)",
    "ALTER TABLE t ADD CONSTRAINT c CHECK (ok IS NOT FALSE) NOT VALID, ALTER COLUMN id TYPE int USING id::int",
    "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON t USING btree (lower(doc->>'k') DESC NULLS LAST) "
    "INCLUDE (ok) WHERE ok",
    "WITH x AS (SELECT id, row_number() OVER (PARTITION BY ok ORDER BY id) AS n FROM t) "
    "UPDATE t SET ok = NOT ok FROM x WHERE x.id = t.id AND x.n > 1 RETURNING t.*",
    "INSERT INTO t (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET ok = EXCLUDED.ok",
    "DO $$ BEGIN IF NOT EXISTS (SELECT 1) THEN RAISE NOTICE 'x'; END IF; END $$",
    "CREATE TYPE mood AS ENUM ('a', 'b')",
    "GRANT SELECT ON ALL TABLES IN SCHEMA public TO PUBLIC",
    "CREATE POLICY p ON t USING (current_setting('app.tenant', true)::int = id)",
]


def _same_tree(validated: object, trusted: object, where: str = "") -> list[str]:
    """Where the two trees differ in value or in type (``==`` alone would take 1 for True)."""
    from pglast import ast

    if type(validated) is not type(trusted):
        return [f"{where}: {type(validated).__name__} != {type(trusted).__name__}"]
    if isinstance(validated, ast.Node):
        return [difference for name in validated
                for difference in _same_tree(getattr(validated, name), getattr(trusted, name), f"{where}.{name}")]
    if isinstance(validated, tuple):
        assert isinstance(trusted, tuple)
        if len(validated) != len(trusted):
            return [f"{where}: {len(validated)} != {len(trusted)} items"]
        return [difference for index, (one, other) in enumerate(zip(validated, trusted, strict=True))
                for difference in _same_tree(one, other, f"{where}[{index}]")]
    return [] if validated == trusted else [f"{where}: {validated!r} != {trusted!r}"]


def test_trusted_trees_are_pglasts_own_trees_types_included() -> None:
    from pglast import parser

    from bhq_migrate.plans import trusted_trees

    texts = [path.read_text(encoding="utf-8") for path in sorted(PLANS_DIR.glob("*.sql"))]
    texts += [path.read_text(encoding="utf-8") for path in sorted((Path(__file__).parent / "lint").rglob("*.sql"))]
    statements = list(VARIED_SQL)
    for text in texts:
        with contextlib.suppress(BadPlan):  # a lint fixture may be invalid SQL on purpose
            statements += [statement.sql for statement in split_statements(text)]
    assert len(statements) > 100
    for sql in statements:
        validated = parser.parse_sql(sql)
        with trusted_trees():
            trusted = parser.parse_sql(sql)
        assert _same_tree(validated, trusted) == [], sql


def test_validation_is_back_after_trusted_trees_even_after_an_error() -> None:
    from pglast import ast

    from bhq_migrate.plans import trusted_trees

    with pytest.raises(RuntimeError), trusted_trees(), trusted_trees():  # nested, as lint may be
        ast.RangeVar(relname=5)  # accepted unchecked inside
        raise RuntimeError
    with pytest.raises(ValueError, match="Bad value"):
        ast.RangeVar(relname=5)
