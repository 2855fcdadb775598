"""hasnt_index: the index does not exist (an index a plan drops)."""

from __future__ import annotations

from bhq_migrate.verify.checks._common import failed, passed, table_of
from bhq_migrate.verify.expectations import Expectation, quote_qname
from bhq_migrate.verify.results import Verdict
from bhq_migrate.verify.snapshot import Snapshot

KIND = "hasnt_index"
TITLE = "The index does not exist."


def evaluate(exp: Expectation, snap: Snapshot) -> Verdict:
    schema = table_of(exp)[0]
    if snap.index_on(schema, exp.name) is None:
        return passed(f"index {exp.object} is absent")
    return failed(f"index {exp.object} still exists (plan {exp.plan} drops it)", "absent", "exists",
                  f"DROP INDEX CONCURRENTLY IF EXISTS {quote_qname((schema, exp.name))};")
