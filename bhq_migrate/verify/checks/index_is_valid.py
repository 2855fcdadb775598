"""index_is_valid: the index is valid and ready (a failed CREATE INDEX CONCURRENTLY leaves it invalid,
and a later ``CREATE INDEX IF NOT EXISTS`` keeps the broken one)."""

from __future__ import annotations

from bhq_migrate.verify.checks._common import failed, find_index, passed, table_of
from bhq_migrate.verify.expectations import Expectation, quote_qname
from bhq_migrate.verify.results import Verdict
from bhq_migrate.verify.snapshot import Snapshot

KIND = "index_is_valid"
TITLE = "The index is valid and ready."


def evaluate(exp: Expectation, snap: Snapshot) -> Verdict:
    index = find_index(exp, snap)
    if isinstance(index, Verdict):
        return index
    if index.valid and index.ready:
        return passed(f"index {exp.object} is valid and ready", "valid, ready", "valid, ready")
    found = ", ".join(["valid" if index.valid else "INVALID", "ready" if index.ready else "NOT READY"])
    return failed(f"index {exp.object} is {found}", "valid, ready", found,
                  f"REINDEX INDEX CONCURRENTLY {quote_qname((table_of(exp)[0], exp.name))};")
