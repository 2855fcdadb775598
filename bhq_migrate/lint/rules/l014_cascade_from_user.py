"""L014 cascade-from-user: ON DELETE CASCADE from a user (or profile) to financial or message records."""

from __future__ import annotations

import re
from collections.abc import Iterator

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.analysis import display_name
from bhq_migrate.lint.context import Hit, LintContext, LintRule

USER_TABLE = re.compile(r"^(users?|accounts?|members?|customers?|clients?|providers?|profiles?)$", re.IGNORECASE)
RECORD_TABLE = re.compile(r"invoice|payment|transaction|refund|payout|order|ledger|message|thread", re.IGNORECASE)


def check(context: LintContext) -> Iterator[Hit]:
    for key in context.schema.foreign_keys:
        if key.on_delete != "c":
            continue
        user_table = key.referenced_table.split(".", 1)[1]
        record_table = key.table.split(".", 1)[1]
        if USER_TABLE.match(user_table) and RECORD_TABLE.search(record_table):
            yield Hit(
                f"deleting a row of {display_name(key.referenced_table)} deletes its "
                f"{display_name(key.table)} rows ({', '.join(key.columns)} ON DELETE CASCADE), including "
                "other parties' records",
                key.unit,
                key.location,
            )


RULE = LintRule(
    Rule(
        id="L014",
        name="cascade-from-user",
        title="ON DELETE CASCADE from a user to financial or message records",
        severity=Severity.WARNING,
        rationale="Deleting a user (an account closure, a GDPR request) silently deletes records other "
        "parties own or the law requires you to keep: deleting a buyer deletes whole message "
        "threads, including the provider's replies; invoices and transactions vanish from the "
        "books.",
        fix="Use ON DELETE RESTRICT (or SET NULL on a nullable column) and soft-delete or anonymise users instead.",
    ),
    check,
)
