"""col_type_is: the column has the declared type (compared in format_type() spelling, typmod included)."""

from __future__ import annotations

from bhq_migrate.verify.checks._common import alter_table, failed, find_column, passed, table_of
from bhq_migrate.verify.expectations import Expectation, quote_ident
from bhq_migrate.verify.results import Verdict
from bhq_migrate.verify.snapshot import Snapshot

KIND = "col_type_is"
TITLE = "The column has the declared type."


def evaluate(exp: Expectation, snap: Snapshot) -> Verdict:
    column = find_column(exp, snap)
    if isinstance(column, Verdict):
        return column
    if column.type == exp.expected:
        return passed(f"{exp.object} is {column.type}", exp.expected, column.type)
    fix = f"{alter_table(table_of(exp))} ALTER COLUMN {quote_ident(exp.name)} TYPE {exp.expected};"
    return failed(f"{exp.object} is {column.type}, expected {exp.expected}", exp.expected, column.type, fix)
