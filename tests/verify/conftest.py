"""Fixtures for verify: databases in known states, and a way to break them one statement at a time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from bhq_migrate.migrate.runner import ApplyOptions, apply
from bhq_migrate.verify import CheckResult, Status, VerifyOptions, VerifyReport, verify
from tests.conftest import CHECKS_DIR, PLANS_DIR
from tests.pg import TestServer


def execute(url: str, *statements: str) -> None:
    """Run statements one by one in autocommit (CREATE INDEX CONCURRENTLY needs it)."""
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)  # type: ignore[arg-type]


def run_verify(url: str, **options: object) -> VerifyReport:
    defaults: dict[str, object] = {"plans_dir": PLANS_DIR, "checks_dir": CHECKS_DIR}
    defaults.update(options)
    return verify(url, VerifyOptions.model_validate(defaults))


def result(report: VerifyReport, result_id: str) -> CheckResult:
    matches = [r for r in report.results if r.id == result_id]
    assert matches, f"no result {result_id}; failures: {[r.id for r in report.failures]}"
    return matches[0]


def failing_ids(report: VerifyReport) -> set[str]:
    return {r.id for r in report.results if r.status is Status.FAIL}


@pytest.fixture(scope="session")
def hardened_template(pg_server: TestServer, migrated_template: str) -> Iterator[str]:
    """The migrated database with the optional plan 003 applied on top, by the runner."""
    name = pg_server.create_database(template=migrated_template, name=pg_server.unique_name("bhq_tpl_hardened"))
    apply(pg_server.url_for(name), ApplyOptions(plans_dir=PLANS_DIR, with_optional=True))
    yield name
    pg_server.drop_database(name)


@pytest.fixture
def hardened_db(pg_server: TestServer, hardened_template: str) -> Iterator[str]:
    """URL of a fresh database migrated with plans 001, 002 and 003."""
    name = pg_server.create_database(template=hardened_template)
    try:
        yield pg_server.url_for(name)
    finally:
        pg_server.drop_database(name)


@pytest.fixture
def plans_copy(tmp_path: Path) -> Path:
    """A private copy of sql/, for tests that edit a plan file."""
    target = tmp_path / "sql"
    target.mkdir()
    for plan in PLANS_DIR.glob("*.sql"):
        (target / plan.name).write_text(plan.read_text(encoding="utf-8"), encoding="utf-8")
    return target
