"""hasnt_table: the table does not exist (a table a plan drops)."""

from __future__ import annotations

from bhq_migrate.verify.checks._common import alter_table, failed, passed, table_of
from bhq_migrate.verify.expectations import Expectation
from bhq_migrate.verify.results import Verdict
from bhq_migrate.verify.snapshot import Snapshot

KIND = "hasnt_table"
TITLE = "The table does not exist."


def evaluate(exp: Expectation, snap: Snapshot) -> Verdict:
    if table_of(exp) not in snap.tables:
        return passed(f"table {exp.object} is absent")
    drop = alter_table(table_of(exp)).replace("ALTER TABLE", "DROP TABLE", 1) + ";"
    return failed(f"table {exp.object} still exists", "absent", "exists", drop)
