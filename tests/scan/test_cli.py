"""``bhq-migrate scan-queries``: formats, exit codes, options."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bhq_migrate.cli import full_app
from tests.scan.helpers import APP, project

app = full_app()

runner = CliRunner()
READ = "async function f() {\n  return prisma.invoice.findMany({ where: { tenantId: 1 } });\n}\n"
TENANT_ONLY = "async function f() {\n  return prisma.invoice.findFirst({ where: { id: 1, deletedAt: null } });\n}\n"


def run(*args: str):
    return runner.invoke(app, ["scan-queries", *args])


def rows_of(result) -> list[dict[str, object]]:
    """The finding rows of a ``--format json`` run."""
    rows: list[dict[str, object]] = json.loads(result.stdout)["findings"]
    return rows


def test_json_rows_carry_the_documented_fields_and_the_accessor_line(tmp_path: Path) -> None:
    project(tmp_path, {"src/a.ts": READ})
    result = run(str(tmp_path), "--format", "json")
    assert result.exit_code == 1, result.output
    rows = rows_of(result)
    assert len(rows) == 1
    row = rows[0]
    assert {"file", "line", "column", "rule", "severity", "model", "method", "message"} <= set(row)
    assert (row["line"], row["column"], row["rule"], row["severity"], row["model"], row["method"]) == (
        2, 17, "S001", "error", "Invoice", "findMany")


def test_sarif_output_is_sarif_2_1_0(tmp_path: Path) -> None:
    project(tmp_path, {"src/a.ts": READ})
    sarif = json.loads(run(str(tmp_path), "--format", "sarif").stdout)
    assert sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in results] == [
        ("S001", 2)]
    assert len(results[0]["partialFingerprints"]["bhqMigrate/v1"]) == 20


def test_console_report_groups_by_file_and_shows_the_line(tmp_path: Path) -> None:
    project(tmp_path, {"src/a.ts": READ})
    output = run(str(tmp_path)).stdout
    assert "src/a.ts" in output
    assert "S001" in output and "unscoped-read" in output
    assert "prisma.invoice.findMany({ where: { tenantId: 1 } })" in output


def test_exit_code_is_zero_without_findings_at_the_fail_on_level(tmp_path: Path) -> None:
    project(tmp_path, {"src/a.ts": TENANT_ONLY})
    assert run(str(tmp_path)).exit_code == 0
    assert run(str(tmp_path), "--fail-on", "warning").exit_code == 1


def test_exit_code_two_for_a_missing_path_with_one_line_error(tmp_path: Path) -> None:
    result = run(str(tmp_path / "missing"))
    assert result.exit_code == 2
    assert "path not found" in result.output and "Traceback" not in result.output


def test_exit_code_two_for_a_bad_config_file(tmp_path: Path) -> None:
    project(tmp_path, {"src/a.ts": READ, "bhq-migrate.toml": "[scan]\nnope = 1\n"})
    result = run(str(tmp_path))
    assert result.exit_code == 2
    assert "unknown scan setting" in result.output


def test_tenant_field_option_is_repeatable(tmp_path: Path) -> None:
    schema = "model Link {\n  id Int @id\n  workspaceId Int\n}\n"
    project(tmp_path, {"src/a.ts": "prisma.link.findMany({ where: { id: 1 } });\n"}, schema=schema)
    rows = rows_of(run(str(tmp_path), "--format", "json", "--tenant-field", "tenantId",
                       "--tenant-field", "workspaceId"))
    assert [r["rule"] for r in rows] == ["S003"]


def test_client_option_adds_a_client_name(tmp_path: Path) -> None:
    project(tmp_path, {"src/a.ts": "function f(prisma) { return repo.invoice.findMany(); }\n"})
    unknown = rows_of(run(str(tmp_path), "--format", "json"))
    assert [(r["rule"], "--client 'repo'" in str(r["message"])) for r in unknown] == [("S010", True)]
    rows = rows_of(run(str(tmp_path), "--format", "json", "--client", "repo"))
    assert [r["rule"] for r in rows] == ["S001", "S003"]


def test_baseline_is_written_then_only_new_findings_fail(tmp_path: Path) -> None:
    project(tmp_path, {"src/a.ts": READ})
    baseline = tmp_path / "scan-baseline.json"
    first = run(str(tmp_path), "--baseline", str(baseline))
    assert first.exit_code == 0 and baseline.exists()
    assert run(str(tmp_path), "--baseline", str(baseline)).exit_code == 0
    (tmp_path / "src" / "b.ts").write_text(READ)
    assert run(str(tmp_path), "--baseline", str(baseline)).exit_code == 1


def test_fixture_app_fails_with_errors() -> None:
    result = run(str(APP), "--format", "json")
    assert result.exit_code == 1
    assert {row["rule"] for row in rows_of(result)} >= {"S001", "S002", "S003", "S004", "S005"}


def test_exclude_option_skips_matching_files(tmp_path: Path) -> None:
    project(tmp_path, {"src/a.ts": READ, "scripts/seed.ts": READ})
    rows = rows_of(run(str(tmp_path), "--format", "json", "--exclude", "scripts/*"))
    assert [Path(r["file"]).name for r in rows] == ["a.ts"]


def test_schema_option_is_used_instead_of_discovery(tmp_path: Path) -> None:
    project(tmp_path, {"src/a.ts": READ}, schema="model Invoice {\n  id Int @id\n  tenantId Int\n}\n")
    other = tmp_path / "other.prisma"
    other.write_text("model Invoice {\n  id Int @id\n  tenantId Int\n  deletedAt DateTime?\n}\n")
    assert rows_of(run(str(tmp_path), "--format", "json")) == []
    rows = rows_of(run(str(tmp_path), "--format", "json", "--schema", str(other)))
    assert [r["rule"] for r in rows] == ["S001"]


def test_config_file_of_the_scanned_project_is_found(tmp_path: Path) -> None:
    project(tmp_path, {"src/a.ts": TENANT_ONLY, "bhq-migrate.toml": "[scan]\nfail-on = 'warning'\n"})
    assert run(str(tmp_path)).exit_code == 1


def test_disable_option_drops_a_rule_by_name(tmp_path: Path) -> None:
    project(tmp_path, {"src/a.ts": READ})
    assert run(str(tmp_path), "--disable", "unscoped-read").exit_code == 0


def test_disable_of_an_unknown_rule_cannot_run(tmp_path: Path) -> None:
    project(tmp_path, {"src/a.ts": READ})
    result = run(str(tmp_path), "--disable", "S999")
    assert result.exit_code == 2
    assert "unknown rule to disable" in result.output


def test_update_baseline_rewrites_it_with_the_current_findings(tmp_path: Path) -> None:
    project(tmp_path, {"src/a.ts": READ})
    baseline = tmp_path / "baseline.json"
    baseline.write_text('{"version": 1, "findings": []}')
    assert run(str(tmp_path), "--baseline", str(baseline)).exit_code == 1
    assert run(str(tmp_path), "--baseline", str(baseline), "--update-baseline").exit_code == 0
    assert run(str(tmp_path), "--baseline", str(baseline)).exit_code == 0


def test_a_corrupt_baseline_cannot_run(tmp_path: Path) -> None:
    project(tmp_path, {"src/a.ts": READ})
    baseline = tmp_path / "baseline.json"
    baseline.write_text("not json")
    result = run(str(tmp_path), "--baseline", str(baseline))
    assert result.exit_code == 2
    assert "not valid JSON" in result.output


def test_sarif_describes_each_rule_used(tmp_path: Path) -> None:
    project(tmp_path, {"src/a.ts": READ})
    driver = json.loads(run(str(tmp_path), "--format", "sarif").stdout)["runs"][0]["tool"]["driver"]
    assert [(r["id"], r["name"]) for r in driver["rules"]] == [("S001", "unscoped-read")]


def test_every_scan_queries_option_is_documented() -> None:
    import typer.main

    command = typer.main.get_command(app).commands["scan-queries"]  # type: ignore[attr-defined]
    docs = (Path(__file__).resolve().parents[2] / "docs" / "scan-queries.md").read_text()
    options = [name for param in command.params for name in param.opts if name.startswith("--")]
    assert options and [o for o in options if f"`{o}" not in docs] == []


def test_client_option_accepts_an_accessor_call(tmp_path: Path) -> None:
    source = (
        "class S {\n  list() {\n"
        "    return this.prismaService.txClient().invoice.findMany({ where: { tenantId: 1 } });\n  }\n}\n"
    )
    project(tmp_path, {"src/a.ts": source})
    unknown = rows_of(run(str(tmp_path), "--format", "json"))
    assert [(r["line"], r["rule"]) for r in unknown] == [(3, "S010")]
    rows = rows_of(run(str(tmp_path), "--format", "json", "--client", "this.prismaService.txClient()"))
    assert [(r["line"], r["rule"]) for r in rows] == [(3, "S001")]


def test_echoed_source_lines_are_printable(tmp_path: Path) -> None:
    source = 'async function f() {\n  return prisma.invoice.findMany({ where: { note: "\x1b[2J\u202e" } });\n}\n'
    project(tmp_path, {"src/a.ts": source})
    output = run(str(tmp_path)).stdout
    assert "\x1b" not in output and "\u202e" not in output
    assert "\\x1b[2J\\u202e" in output
