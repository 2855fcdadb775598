"""col_default_is: the column's default means the declared expression (compared as parse trees, so
``'manual'`` matches the server's ``'manual'::character varying``)."""

from __future__ import annotations

from bhq_migrate.verify.checks._common import alter_table, failed, find_column, passed, table_of
from bhq_migrate.verify.expectations import Expectation, quote_ident
from bhq_migrate.verify.expressions import same_expression
from bhq_migrate.verify.results import Verdict
from bhq_migrate.verify.snapshot import Snapshot

KIND = "col_default_is"
TITLE = "The column has the declared default."


def evaluate(exp: Expectation, snap: Snapshot) -> Verdict:
    column = find_column(exp, snap)
    if isinstance(column, Verdict):
        return column
    found = column.default if column.default is not None else "no default"
    if same_expression(exp.expected, column.default):
        return passed(f"{exp.object} defaults to {column.default}", exp.expected, found)
    fix = f"{alter_table(table_of(exp))} ALTER COLUMN {quote_ident(exp.name)} SET DEFAULT {exp.expected};"
    return failed(f"{exp.object} defaults to {found}, expected {exp.expected}", exp.expected, found, fix)
