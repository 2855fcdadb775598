"""L015 inconsistent-check-values: columns of the same meaning whose CHECK value sets disagree."""

from __future__ import annotations

import re
from collections.abc import Iterator

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.analysis import display_name
from bhq_migrate.lint.context import Hit, LintContext, LintRule
from bhq_migrate.lint.schema import CheckedValues

# Words that qualify a column without changing what it holds: "marketplacePaymentMode", "payment_mode" and
# "paymentModeSnapshot" all hold a payment mode.
QUALIFIERS = frozenset({"marketplace", "snapshot", "current", "default", "buyer", "provider", "client", "tenant"})


def meaning(column: str) -> str | None:
    """The column's meaning key (``payment_mode``), or None when too generic to compare (``status``)."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", column)
    words = [word.lower() for word in spaced.split("_") if word and word.lower() not in QUALIFIERS]
    return "_".join(words) if len(words) >= 2 else None


def _shown(values: frozenset[str]) -> str:
    return "{" + ", ".join(sorted(values)) + "}"


def check(context: LintContext) -> Iterator[Hit]:
    schema = context.schema
    groups: dict[str, list[CheckedValues]] = {}
    for checked in sorted(schema.checked_values, key=lambda c: context.ordinal(c.unit)):
        key = meaning(checked.column)
        if key is not None:
            groups.setdefault(key, []).append(checked)
    for key, members in groups.items():
        reference = members[0]
        where = f'{display_name(reference.table)}."{reference.column}"'
        for other in members[1:]:
            if other.values != reference.values:
                yield Hit(
                    f'{display_name(other.table)}."{other.column}" allows {_shown(other.values)} but {where} '
                    f"allows {_shown(reference.values)}",
                    other.unit,
                    other.location,
                )
        checked_columns = {(member.table, member.column) for member in members}
        for column in schema.columns.values():
            if column.unit is None or meaning(column.name) != key or (column.table, column.name) in checked_columns:
                continue
            yield Hit(
                f'{display_name(column.table)}."{column.name}" has no CHECK, but {where} allows '
                f"{_shown(reference.values)}",
                column.unit,
                column.location,
            )


RULE = LintRule(
    Rule(
        id="L015",
        name="inconsistent-check-values",
        title="CHECK value set disagrees with another column of the same meaning",
        severity=Severity.WARNING,
        rationale="The same notion stored in several tables (a payment mode on the tenant, the provider and "
        "the invoice) must accept the same values, or a value valid in one place is rejected when "
        "copied to another: 'disabled' tenants, 'direct' providers and invoices that only know "
        "'stripe' and 'manual'.",
        fix="Agree on one value set (ideally one enum type or lookup table) and use it in every CHECK; add "
        "the CHECK to columns that have none.",
    ),
    check,
)
