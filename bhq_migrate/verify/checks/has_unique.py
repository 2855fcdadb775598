"""has_unique: a UNIQUE constraint of this name exists on exactly the declared columns."""

from __future__ import annotations

from bhq_migrate.verify.checks._common import alter_table, failed, find_table, names, passed, table_of
from bhq_migrate.verify.expectations import Expectation, quote_ident
from bhq_migrate.verify.results import Verdict
from bhq_migrate.verify.snapshot import Snapshot

KIND = "has_unique"
TITLE = "The UNIQUE constraint exists on the declared columns."


def evaluate(exp: Expectation, snap: Snapshot) -> Verdict:
    table = find_table(exp, snap)
    if isinstance(table, Verdict):
        return table
    expected = tuple(exp.expected)
    constraint = snap.constraint(table_of(exp), exp.name)
    columns = ", ".join(quote_ident(column) for column in expected)
    fix = f"{alter_table(table_of(exp))} ADD CONSTRAINT {quote_ident(exp.name)} UNIQUE ({columns});"
    if constraint is None or constraint.type != "u":
        return failed(f"UNIQUE constraint {exp.object} is missing", f"UNIQUE {names(expected)}", "missing", fix)
    if constraint.columns == expected:
        return passed(f"UNIQUE {exp.object} is on {names(expected)}", names(expected), names(constraint.columns))
    drop = f"{alter_table(table_of(exp))} DROP CONSTRAINT {quote_ident(exp.name)};\n"
    return failed(f"UNIQUE {exp.object} is on {names(constraint.columns)}, expected {names(expected)}",
                  names(expected), names(constraint.columns), drop + fix)
