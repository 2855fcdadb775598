"""Migration folders: layout detection, applying order, history semantics, runner context and --since."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bhq_migrate.cli import full_app
from bhq_migrate.errors import ConfigError
from bhq_migrate.lint import LintOptions, lint_paths
from bhq_migrate.lint.context import Runner
from bhq_migrate.lint.folders import discover, new_since

CREATE = "CREATE TABLE IF NOT EXISTS account (id bigint PRIMARY KEY, email text);\n"
INDEX = "CREATE INDEX IF NOT EXISTS account_email_idx ON account (email);\n"


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _prisma(root: Path, *texts: str) -> Path:
    return _write(
        root / "migrations",
        {f"2024010{n}000000_step{n}/migration.sql": text for n, text in enumerate(texts, start=1)},
    )


def test_prisma_layout_is_ordered_by_folder_and_run_without_a_transaction(tmp_path: Path) -> None:
    folder = discover([_prisma(tmp_path, CREATE, INDEX)])
    assert folder.layout == "prisma" and folder.runner is Runner.PRISMA
    assert [path.parent.name for path in folder.files] == ["20240101000000_step1", "20240102000000_step2"]


def test_flyway_versions_sort_numerically(tmp_path: Path) -> None:
    root = _write(tmp_path, {"V10__ten.sql": "SELECT 1;", "V2__two.sql": "SELECT 1;", "V1_1__one.sql": "SELECT 1;"})
    folder = discover([root])
    assert (folder.layout, folder.runner) == ("flyway", Runner.FLYWAY)
    assert [path.name for path in folder.files] == ["V1_1__one.sql", "V2__two.sql", "V10__ten.sql"]


def test_sqitch_follows_its_plan(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "sqitch.plan": "%project=x\n\nzeta 2024-01-01T00:00:00Z a <a@b>\nalpha 2024-01-02T00:00:00Z a <a@b>\n",
            "deploy/alpha.sql": "SELECT 1;",
            "deploy/zeta.sql": "SELECT 1;",
        },
    )
    folder = discover([root])
    assert folder.layout == "sqitch" and [path.stem for path in folder.files] == ["zeta", "alpha"]


def test_an_empty_folder_is_an_error_not_a_pass(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no \.sql files"):
        discover([tmp_path])


def test_a_table_from_an_earlier_migration_is_an_existing_table(tmp_path: Path) -> None:
    findings = lint_paths([_prisma(tmp_path, CREATE, INDEX)])
    assert [(Path(f.file).parent.name, f.rule) for f in findings if f.rule == "L003"] == [
        ("20240102000000_step2", "L003")
    ]


def test_a_table_created_in_the_same_migration_is_new(tmp_path: Path) -> None:
    findings = lint_paths([_prisma(tmp_path, CREATE + INDEX)])
    assert "L003" not in {f.rule for f in findings}


def test_one_run_treats_everything_created_by_the_files_as_new(tmp_path: Path) -> None:
    folder = _prisma(tmp_path, CREATE, INDEX)
    findings = lint_paths([folder], LintOptions(runner=Runner.PRISMA, history=False))
    assert "L003" not in {f.rule for f in findings}


def test_begin_is_the_authors_safety_net_under_prisma_but_an_error_under_bhq(tmp_path: Path) -> None:
    text = "BEGIN;\n" + CREATE + "COMMIT;\n"
    prisma = lint_paths([_prisma(tmp_path / "p", text)])
    assert "L001" not in {f.rule for f in prisma}
    bhq = lint_paths([_write(tmp_path / "b", {"001_x.sql": text})])
    assert "L001" in {f.rule for f in bhq}


def test_concurrently_is_fine_in_a_prisma_file_but_not_inside_its_own_begin(tmp_path: Path) -> None:
    concurrent = "CREATE INDEX CONCURRENTLY IF NOT EXISTS account_email_idx ON account (email);\n"
    outside = lint_paths([_prisma(tmp_path / "a", CREATE, concurrent)])
    assert "L001" not in {f.rule for f in outside}
    inside = lint_paths([_prisma(tmp_path / "b", CREATE, "BEGIN;\n" + concurrent + "COMMIT;\n")])
    assert "L001" in {f.rule for f in inside}


def test_since_a_file_reports_only_the_files_after_it(tmp_path: Path) -> None:
    folder = _prisma(tmp_path, CREATE, INDEX, INDEX.replace("account_email_idx", "account_email2_idx"))
    first_two = discover([folder]).files[:2]
    assert new_since(discover([folder]).files, str(first_two[1])) == {discover([folder]).files[2]}
    findings = lint_paths([folder], since=str(first_two[1]))
    assert {Path(f.file).parent.name for f in findings} == {"20240103000000_step3"}


def test_since_a_git_revision_reports_only_changed_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _prisma(tmp_path, CREATE, INDEX)
    monkeypatch.chdir(tmp_path)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    _write(folder, {"20240103000000_step3/migration.sql": "ALTER TABLE account ALTER COLUMN email SET NOT NULL;\n"})
    findings = lint_paths([folder], since="HEAD")
    assert {Path(f.file).parent.name for f in findings} == {"20240103000000_step3"}
    assert "L005" in {f.rule for f in findings}


def test_since_something_that_is_neither_file_nor_revision_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="neither a migration file nor a git revision"):
        lint_paths([_prisma(tmp_path, CREATE)], since="no-such-revision-xyz")


def test_unknown_rule_names_are_errors_not_silent_no_ops(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no lint rule is called 'drop-colum'"):
        lint_paths([_prisma(tmp_path, CREATE)], LintOptions(disable=("drop-colum",)))


def test_opt_in_rules_run_only_when_enabled(tmp_path: Path) -> None:
    folder = _prisma(tmp_path, "CREATE TABLE IF NOT EXISTS t (id BIGSERIAL PRIMARY KEY);\n")
    assert "L032" not in {f.rule for f in lint_paths([folder])}
    enabled = lint_paths([folder], LintOptions(runner=Runner.PRISMA, history=True, enable=("prefer-identity",)))
    assert "L032" in {f.rule for f in enabled}


def test_disabled_rules_do_not_run(tmp_path: Path) -> None:
    folder = _prisma(tmp_path, CREATE, INDEX)
    findings = lint_paths([folder], LintOptions(runner=Runner.PRISMA, history=True, disable=("L003",)))
    assert "L003" not in {f.rule for f in findings}


def test_cli_lists_rules_as_json() -> None:
    result = CliRunner().invoke(full_app(), ["lint", "--list-rules", "--format", "json"])
    assert result.exit_code == 0
    rules = json.loads(result.stdout)["rules"]
    assert len(rules) >= 50
    assert {"id": "L032", "name": "prefer-identity"}.items() <= rules[32].items() and rules[32]["enabled"] is False


def test_cli_says_what_it_linted(tmp_path: Path) -> None:
    result = CliRunner().invoke(full_app(), ["lint", str(_prisma(tmp_path, CREATE, INDEX))])
    assert result.exit_code == 0
    assert "in 2 file(s) (prisma, runner prisma)" in result.stdout
    assert "L003" in result.stdout


def test_cli_without_paths_is_a_usage_error() -> None:
    result = CliRunner().invoke(full_app(), ["lint"])
    assert result.exit_code == 2
