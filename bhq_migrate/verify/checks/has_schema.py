"""has_schema: the schema exists."""

from __future__ import annotations

from bhq_migrate.verify.checks._common import failed, passed
from bhq_migrate.verify.expectations import Expectation, quote_ident
from bhq_migrate.verify.results import Verdict
from bhq_migrate.verify.snapshot import Snapshot

KIND = "has_schema"
TITLE = "The schema exists."


def evaluate(exp: Expectation, snap: Snapshot) -> Verdict:
    if exp.name in snap.schemas:
        return passed(f"schema {exp.name} exists")
    return failed(f"schema {exp.name} is missing", "exists", "missing",
                  f"CREATE SCHEMA IF NOT EXISTS {quote_ident(exp.name)};")
