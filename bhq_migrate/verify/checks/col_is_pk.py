"""col_is_pk: the table's primary key is exactly these columns, in this order."""

from __future__ import annotations

from bhq_migrate.verify.checks._common import failed, find_table, names, passed
from bhq_migrate.verify.expectations import Expectation
from bhq_migrate.verify.results import Verdict
from bhq_migrate.verify.snapshot import Snapshot

KIND = "col_is_pk"
TITLE = "The primary key has the declared columns."


def evaluate(exp: Expectation, snap: Snapshot) -> Verdict:
    table = find_table(exp, snap)
    if isinstance(table, Verdict):
        return table
    expected = tuple(exp.expected)
    primary = [c for c in snap.constraints_by_table.get(table.qname, ()) if c.type == "p"]
    found = primary[0].columns if primary else None
    if found == expected:
        return passed(f"primary key of {exp.object} is {names(expected)}", names(expected), names(found))
    return failed(f"primary key of {exp.object} differs", names(expected),
                  names(found) if found is not None else "no primary key")
