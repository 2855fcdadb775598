"""The .pre-commit-hooks.yaml entries, run the way a user's pre-commit runs them: ``pre-commit try-repo``
against a git repository holding this checkout, on a git project with a plan, a schema and sources.

Slow (pre-commit builds the hook's virtualenv with pip from PyPI, about a minute) and needs the registry.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT

pytestmark = [pytest.mark.slow, pytest.mark.network]
OFFLINE = ("Failed to establish a new connection", "Could not fetch URL", "Temporary failure in name resolution",
           "No matching distribution found")


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci", *args], cwd=cwd, check=True,
                   capture_output=True)


def hooks_repository(target: Path) -> Path:
    """A git repository with this checkout's files (tracked and new, as they are on disk now)."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=REPO_ROOT,
                            check=True, capture_output=True, text=True).stdout.splitlines()
    for name in listed:
        if name.startswith(("tests/", "bench/", "docs/")) or not (REPO_ROOT / name).is_file():
            continue  # pip builds the package from pyproject, bhq_migrate/, sql/, checks/ and README.md
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / name, target / name)
    git(target, "init", "-q")
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "hooks")
    return target


def test_lint_and_scan_hooks_through_try_repo(tmp_path: Path) -> None:
    hooks = hooks_repository(tmp_path / "hooks")
    project = tmp_path / "project"
    files = {
        "sql/001_add.sql": "ALTER TABLE t ALTER COLUMN c TYPE bigint;\nBEGIN;\n",
        # Order is soft-deletable only through the project's schema: the seed's defaults don't know it
        "prisma/schema.prisma": "model Order {\n  id Int @id\n  tenantId Int\n  deletedAt DateTime?\n}\n",
        "src/orders.ts": "export const list = () => prisma.order.findMany({ where: { tenantId: 1 } });\n",
        "src/ok.ts": "export const list = () => prisma.order.findMany({ where: { tenantId: 1, deletedAt: null } });\n",
        "src/not_staged.ts": "export const all = () => prisma.order.findMany();\n",
    }
    for name, text in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    git(project, "init", "-q")
    git(project, "add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    env.pop("DATABASE_URL", None)
    pre_commit = Path(sys.executable).with_name("pre-commit")
    result = subprocess.run(
        [str(pre_commit), "try-repo", str(hooks), "--files", "sql/001_add.sql", "src/orders.ts", "src/ok.ts"],
        cwd=project, env=env, capture_output=True, text=True, timeout=900,
    )
    output = result.stdout + result.stderr
    if any(marker in output for marker in OFFLINE):
        pytest.skip("PyPI is not reachable: pre-commit cannot build the hook's environment")
    assert result.returncode == 1, output
    assert "bhq-migrate lint" in output and "L001 transaction-control" in output
    assert "bhq-migrate scan-queries" in output
    assert "src/orders.ts" in output and "order.findMany() reads soft-deletable Order" in output
    assert "models from: prisma/schema.prisma" in output
    assert "1 finding(s): 1 error" in output and "2 files, 2 parsed" in output, "ok.ts scanned, nothing in it"
    assert "not_staged.ts" not in output, "only the given files are scanned"
