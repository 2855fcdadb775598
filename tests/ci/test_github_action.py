"""The composite action's run step (scripts/github-action.sh), run locally with GITHUB_* files in tmp."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import CHECKS_DIR, PLANS_DIR
from tests.helpers import REPO_ROOT, source_tree

SCRIPT = REPO_ROOT / "scripts" / "github-action.sh"
BAD_SQL = "ALTER TABLE t ALTER COLUMN c TYPE bigint;\n"
UNSCOPED = "export const f = () => prisma.invoice.findMany({ where: { tenantId: 1 } });\n"


def run_action(cwd: Path, command: str, args: str, **extra_env: str) -> tuple[int, str, str, str]:
    """Run the step as the runner would: returns (exit code, stdout, $GITHUB_OUTPUT, $GITHUB_STEP_SUMMARY)."""
    output, summary = cwd / "github_output", cwd / "step_summary"
    output.write_text("")
    summary.write_text("")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "BHQ_", "DATABASE_URL"))},
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        "BHQ_COMMAND": command,
        "BHQ_ARGS": args,
        "BHQ_PYTHON": sys.executable,
        "PYTHONPATH": str(REPO_ROOT),
        **extra_env,
    }
    result = subprocess.run(["bash", str(SCRIPT)], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    return result.returncode, result.stdout, output.read_text(), summary.read_text()


def test_action_yml_runs_the_script_and_uploads_sarif() -> None:
    action = yaml.safe_load((REPO_ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert {"command", "args", "database-url", "upload-sarif"} <= set(action["inputs"])
    steps = action["runs"]["steps"]
    run = next(step for step in steps if step.get("id") == "run")
    assert "scripts/github-action.sh" in run["run"]
    upload = next(step for step in steps if "upload-sarif" in step.get("uses", ""))
    assert "always()" in upload["if"] and upload["with"]["sarif_file"] == "${{ steps.run.outputs.sarif }}"


def test_lint_annotates_the_file_writes_the_summary_and_fails(tmp_path: Path) -> None:
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "001_retype.sql").write_text(BAD_SQL)
    code, stdout, output, summary = run_action(tmp_path, "lint", "migrations/001_retype.sql")
    assert code == 0  # warnings only: lint exits 0
    assert "::warning file=migrations/001_retype.sql,line=1,title=L002::" in stdout
    assert "sarif=bhq-migrate.sarif" in output and "exit-code=0" in output
    assert (tmp_path / "bhq-migrate.sarif").is_file()
    assert summary.startswith("## bhq-migrate lint: passed (exit code 0)")
    assert "| warning | L002 | `migrations/001_retype.sql:1` |" in summary


def test_scan_findings_fail_the_step_with_error_annotations(tmp_path: Path) -> None:
    source_tree(tmp_path, UNSCOPED)
    code, stdout, output, summary = run_action(tmp_path, "scan-queries", "src")
    assert code == 1 and "exit-code=1" in output
    assert "::error file=src/a.ts,line=1,title=S001::" in stdout
    assert "## bhq-migrate scan-queries: FAILED (exit code 1)" in summary


def test_verify_source_gate_annotates_code_and_titles_database_findings(migrated_db: str, tmp_path: Path) -> None:
    from tests.verify.conftest import execute

    execute(migrated_db, 'ALTER TABLE "Invoice" ALTER COLUMN "amountCents" TYPE integer')
    source_tree(tmp_path, UNSCOPED)
    args = f"--plans-dir {PLANS_DIR} --checks-dir {CHECKS_DIR} --source src"
    code, stdout, _, summary = run_action(tmp_path, "verify", args, BHQ_DATABASE_URL=migrated_db)
    assert code == 1
    assert "::error file=src/a.ts,line=1,title=S001::" in stdout
    assert "::error title=V001 public.Invoice.amountCents::" in stdout
    assert "`public.Invoice.amountCents`" in summary and "`src/a.ts:1`" in summary


@pytest.mark.parametrize(("command", "args", "reason"), [
    ("scan-queries", "missing-folder", "path not found: missing-folder"),
    ("deploy", "", "unsupported command 'deploy'"),
])
def test_a_command_that_cannot_run_is_one_error_and_exit_2(tmp_path: Path, command: str, args: str,
                                                          reason: str) -> None:
    code, stdout, output, _ = run_action(tmp_path, command, args)
    assert code == 2
    assert reason in stdout and stdout.startswith("::error title=bhq-migrate")
    assert "sarif=" not in output
