"""Shared by col_not_null and col_is_null."""

from __future__ import annotations

from bhq_migrate.verify.checks._common import alter_table, failed, find_column, passed, table_of
from bhq_migrate.verify.expectations import Expectation, quote_ident
from bhq_migrate.verify.results import Verdict
from bhq_migrate.verify.snapshot import Snapshot


def _describe(nullable: bool) -> str:
    return "NULL allowed" if nullable else "NOT NULL"


def evaluate_nullability(exp: Expectation, snap: Snapshot) -> Verdict:
    column = find_column(exp, snap)
    if isinstance(column, Verdict):
        return column
    expected, found = _describe(bool(exp.expected)), _describe(not column.not_null)
    if column.not_null != bool(exp.expected):
        return passed(f"{exp.object} is {found}", expected, found)
    action = "DROP NOT NULL" if exp.expected else "SET NOT NULL"
    fix = f"{alter_table(table_of(exp))} ALTER COLUMN {quote_ident(exp.name)} {action};"
    return failed(f"{exp.object} is {found}, expected {expected}", expected, found, fix)
