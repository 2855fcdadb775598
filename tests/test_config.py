"""bhq-migrate.toml / [tool.bhq-migrate] and BHQ_MIGRATE_<SECTION>_<KEY>: flag > environment > file > default."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bhq_migrate.cli import full_app
from tests.helpers import source_tree

app = full_app()
runner = CliRunner()
SQL = "BEGIN;\nALTER TABLE t ALTER COLUMN c TYPE bigint;\n"
TENANT_ONLY = "prisma.invoice.findFirst({ where: { id: 1, deletedAt: null } });\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder with one plan; the commands run from a subfolder (the config is found upward)."""
    (tmp_path / "sql").mkdir()
    (tmp_path / "sql" / "001_x.sql").write_text(SQL)
    (tmp_path / "deep" / "er").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "deep" / "er")
    for name in ("BHQ_MIGRATE_LINT_DISABLE", "BHQ_MIGRATE_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def rules(project: Path, *args: str, env: dict[str, str] | None = None) -> set[str]:
    result = runner.invoke(app, ["lint", str(project / "sql" / "001_x.sql"), "-f", "json", *args], env=env)
    assert result.exit_code in (0, 1), result.output
    return {finding["rule"] for finding in json.loads(result.stdout)["findings"]}


def test_default_every_rule_reports(project: Path) -> None:
    assert {"L001", "L002"} <= rules(project)


def test_file_setting_applies_from_a_parent_folder(project: Path) -> None:
    (project / "bhq-migrate.toml").write_text('[lint]\ndisable = ["L002"]\n')
    found = rules(project)
    assert "L002" not in found and "L001" in found


def test_pyproject_table_works_too(project: Path) -> None:
    (project / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.bhq-migrate.lint]\ndisable = ["L002"]\n')
    assert "L002" not in rules(project)


def test_environment_wins_over_the_file(project: Path) -> None:
    (project / "bhq-migrate.toml").write_text('[lint]\ndisable = ["L002"]\n')
    found = rules(project, env={"BHQ_MIGRATE_LINT_DISABLE": '["L001"]'})
    assert "L001" not in found and "L002" in found


def test_flag_wins_over_environment_and_file(project: Path) -> None:
    (project / "bhq-migrate.toml").write_text('[lint]\ndisable = ["L002"]\n')
    found = rules(project, "--disable", "L016", env={"BHQ_MIGRATE_LINT_DISABLE": '["L001"]'})
    assert {"L001", "L002"} <= found


def test_unknown_key_names_the_file_and_key(project: Path) -> None:
    config = project / "bhq-migrate.toml"
    config.write_text('[lint]\ndisabel = ["L002"]\n')
    result = runner.invoke(app, ["lint", str(project / "sql")])
    assert result.exit_code == 2
    assert f"{config}: [lint] disabel: unknown key" in result.stderr


def test_unknown_section_is_an_error(project: Path) -> None:
    (project / "bhq-migrate.toml").write_text("[verfy]\nstrict = true\n")
    result = runner.invoke(app, ["lint", str(project / "sql")])
    assert result.exit_code == 2 and "unknown section [verfy]" in result.stderr


def test_bad_values_name_the_file_or_the_variable(project: Path) -> None:
    config = project / "bhq-migrate.toml"
    config.write_text('[apply]\nretries = "many"\n')
    unreachable = "postgresql://nobody@127.0.0.1:1/none"
    result = runner.invoke(app, ["apply", "-d", unreachable])
    assert result.exit_code == 2 and f"{config}: [apply] retries:" in result.stderr
    config.write_text("[apply]\nretries = 2\n")
    result = runner.invoke(app, ["apply", "-d", unreachable], env={"BHQ_MIGRATE_APPLY_RETRIES": "lots"})
    assert result.exit_code == 2 and "environment variable BHQ_MIGRATE_APPLY_RETRIES:" in result.stderr


def test_scan_settings_come_from_the_same_file_and_environment(project: Path) -> None:
    source_tree(project, TENANT_ONLY)
    (project / "bhq-migrate.toml").write_text('[lint]\ndisable = ["L002"]\n\n[scan]\nfail-on = "warning"\n')
    assert runner.invoke(app, ["scan-queries", str(project / "src")]).exit_code == 1
    env = {"BHQ_MIGRATE_SCAN_FAIL_ON": "error"}
    assert runner.invoke(app, ["scan-queries", str(project / "src")], env=env).exit_code == 0
    flag = runner.invoke(app, ["scan-queries", str(project / "src"), "--fail-on", "warning"], env=env)
    assert flag.exit_code == 1


@pytest.mark.parametrize(("pyproject", "configured"), [
    ('[project]\nname = "app"\ndependencies = ["bhq-migrate>=0.1"]\n', False),  # names it, configures nothing
    ('[project]\nname = "app"\n\n[tool.bhq-migrate.lint]\ndisable = ["L002"]\n', True),
    ('[tool]\n"bhq-migrate" = { lint = { disable = ["L002"] } }\n', True),
    ('[project\nname = "bhq-migrate"\n', True),  # invalid TOML: the configuration loader reports it
])
def test_only_a_tool_table_makes_a_pyproject_a_configuration(
    project: Path, monkeypatch: pytest.MonkeyPatch, pyproject: str, configured: bool
) -> None:
    from bhq_migrate.cli.conventions import _may_be_configured

    for name in [name for name in os.environ if name.upper().startswith("BHQ_MIGRATE_")]:
        monkeypatch.delenv(name)
    (project / "pyproject.toml").write_text(pyproject)
    assert _may_be_configured() is configured


def test_the_online_settings_reach_apply_and_are_checked_there(project: Path) -> None:
    """[apply] online-* keys flow into apply's options, where a bad value is refused in one line."""
    config = project / "bhq-migrate.toml"
    config.write_text("[apply]\nonline-parallel-workers = -1\n")
    unreachable = "postgresql://nobody@127.0.0.1:1/none"
    result = runner.invoke(app, ["apply", "-d", unreachable, "--online"])
    assert result.exit_code == 2 and "--online-parallel-workers" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    config.write_text('[apply]\nonline-batch-pause-ms = "soon"\n')
    result = runner.invoke(app, ["apply", "-d", unreachable, "--online"])
    assert result.exit_code == 2 and f"{config}: [apply] online-batch-pause-ms:" in result.stderr
