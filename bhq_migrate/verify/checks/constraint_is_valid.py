"""constraint_is_valid: a CHECK or FOREIGN KEY constraint is validated, not left ``NOT VALID``.

Plans add constraints ``NOT VALID`` and validate them in a separate step, so that the scan does not block
writes. If that step failed or was skipped, the constraint guards new rows only: old rows may break it.
"""

from __future__ import annotations

from bhq_migrate.verify.checks._common import alter_table, failed, passed, skipped, table_of
from bhq_migrate.verify.expectations import Expectation, quote_ident
from bhq_migrate.verify.results import Verdict
from bhq_migrate.verify.snapshot import Snapshot

KIND = "constraint_is_valid"
TITLE = "The CHECK or FOREIGN KEY constraint is validated (not left NOT VALID)."


def evaluate(exp: Expectation, snap: Snapshot) -> Verdict:
    constraint = snap.constraint(table_of(exp), exp.name)
    if constraint is None:
        return skipped(f"constraint {exp.object} is missing")
    if constraint.validated:
        return passed(f"constraint {exp.object} is validated", "validated", "validated")
    return failed(f"constraint {exp.object} is NOT VALID: existing rows were never checked", "validated",
                  "NOT VALID", f"{alter_table(table_of(exp))} VALIDATE CONSTRAINT {quote_ident(exp.name)};")
