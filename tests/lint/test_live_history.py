"""`lint -d URL`: a live database is the history the files run against (real PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from bhq_migrate.cli import full_app
from bhq_migrate.lint import lint_paths
from bhq_migrate.lint.engine import live_catalog

RETYPE_SAME = 'ALTER TABLE "Invoice" ALTER COLUMN "amountCents" TYPE integer;\n'
INDEX_ON_MISSING = 'CREATE INDEX IF NOT EXISTS x_idx ON "NoSuchTable" ("a");\n'


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "001_change.sql"
    path.write_text(text, encoding="utf-8")
    return path


def test_live_column_types_tell_a_catalog_only_retype_from_a_rewrite(baseline_db: str, tmp_path: Path) -> None:
    path = _file(tmp_path, RETYPE_SAME)  # "amountCents" is INTEGER in the pre-fix schema: nothing to rewrite
    offline = [f for f in lint_paths([path]) if f.rule == "L002"]
    assert [f.severity.value for f in offline] == ["warning"]
    live = [f for f in lint_paths([path], catalog=live_catalog(baseline_db)) if f.rule == "L002"]
    assert [f.severity.value for f in live] == ["info"] and "catalog only" in live[0].message


def test_live_persistence_tells_a_no_op_set_logged_from_a_copy(baseline_db: str, tmp_path: Path) -> None:
    path = _file(tmp_path, 'ALTER TABLE "Invoice" SET LOGGED;\n')  # the pre-fix "Invoice" is a logged table
    assert "L052" in {f.rule for f in lint_paths([path])}  # persistence unknown offline: it may copy the table
    assert "L052" not in {f.rule for f in lint_paths([path], catalog=live_catalog(baseline_db))}


def test_a_table_the_database_lacks_is_not_assumed_to_exist(baseline_db: str, tmp_path: Path) -> None:
    path = _file(tmp_path, INDEX_ON_MISSING)
    assert "L003" in {f.rule for f in lint_paths([path])}
    assert "L003" not in {f.rule for f in lint_paths([path], catalog=live_catalog(baseline_db))}


def test_cli_reads_the_database_only_when_asked(baseline_db: str, tmp_path: Path) -> None:
    path = _file(tmp_path, RETYPE_SAME)
    runner = CliRunner()
    live = runner.invoke(full_app(), ["lint", str(path), "-d", baseline_db])
    assert live.exit_code == 0 and "info L002" in live.stdout
    offline = runner.invoke(full_app(), ["lint", str(path)], env={"DATABASE_URL": baseline_db})
    assert offline.exit_code == 0 and "warning L002" in offline.stdout  # $DATABASE_URL alone is not used


def test_an_unreachable_database_is_one_line_and_exit_2(tmp_path: Path) -> None:
    path = _file(tmp_path, RETYPE_SAME)
    result = CliRunner().invoke(full_app(), ["lint", str(path), "-d", "postgresql://nobody@127.0.0.1:1/none"])
    assert result.exit_code == 2
    assert len([line for line in result.stderr.splitlines() if line.strip()]) == 1
