"""The folder tree is the data flow: job packages don't reach into each other except along these edges."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "bhq_migrate"
JOBS = ("migrate", "lint", "verify", "scan", "prisma", "report", "baseline", "gate")
ALLOWED = {
    "migrate": {"lint", "prisma"},  # apply runs the lint gate and can record Prisma's history
    "report": {"verify"},  # renderers of verify's results
    "gate": {"verify", "scan", "report"},  # the one place schema checks and the code scan meet
}


def _imported_jobs(package: str) -> set[str]:
    found: set[str] = set()
    for path in (PACKAGE / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bhq_migrate."):
                found.add(node.module.split(".")[1])
            elif isinstance(node, ast.Import):
                found.update(alias.name.split(".")[1] for alias in node.names if alias.name.startswith("bhq_migrate."))
    return (found & set(JOBS)) - {package}


@pytest.mark.parametrize("package", JOBS)
def test_job_packages_import_only_shared_modules_and_allowed_jobs(package: str) -> None:
    assert _imported_jobs(package) <= ALLOWED.get(package, set())


def test_only_the_cli_knows_typer() -> None:
    offenders = [
        str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py")
        if "cli" not in path.parts and "import typer" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
