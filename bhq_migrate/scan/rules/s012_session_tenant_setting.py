"""S012 session-tenant-setting: raw SQL that sets the tenant for the whole session.

Problem: with row-level security reading the tenant from a setting (plan 004), ``SET app.tenant_id = ...``
or ``set_config('app.tenant_id', ..., false)`` sets it for the connection, not the transaction. A pooled
connection keeps it after the request ends, and the next request on that connection, for another tenant or
for none, runs as this tenant. Solution: set it transaction-locally, inside the request's interactive
transaction: ``SELECT set_config('app.tenant_id', $1, true)`` (``SET LOCAL`` cannot take a bind parameter).

A tenant setting is a custom setting (``prefix.name``) whose name mentions tenant, company or org
(``app.tenant_id``, Prisma's example ``app.current_company_id``). SQL built at run time is read from its
literal parts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.scan.model import FileContext, RawSqlSite, ScanFinding
from bhq_migrate.scan.rawsql import SqlIssue

RULE = Rule(
    id="S012",
    name="session-tenant-setting",
    title="Raw SQL sets the tenant for the session (SET / set_config(..., false)), not the transaction",
    severity=Severity.ERROR,
    rationale="A session-level tenant setting outlives the request on a pooled connection: the next request on "
    "that connection runs as this tenant.",
    fix="Set it inside the request's interactive transaction: SELECT set_config('app.tenant_id', $1, true).",
)

TENANT_SETTING = r"""["']?[A-Za-z_]\w*\.\w*(?:tenant|company|org)\w*["']?"""
_SESSION_SET = re.compile(rf"\bSET\s+(?:SESSION\s+)?(?P<name>{TENANT_SETTING})\s*(?:=|\bTO\b)", re.IGNORECASE)
_SESSION_SET_CONFIG = re.compile(
    rf"\bset_config\s*\(\s*(?P<name>{TENANT_SETTING})\s*,(?:[^,()]|\([^()]*\))+,\s*(?:false|'f'|'false'|0)\s*\)",
    re.IGNORECASE,
)


def session_settings(text: str) -> list[str]:
    """The tenant settings ``text`` sets at session level (``SET LOCAL`` and ``set_config(.., true)`` excluded)."""
    return [match["name"].strip("\"'") for pattern in (_SESSION_SET, _SESSION_SET_CONFIG)
            for match in pattern.finditer(text)]


def check(site: RawSqlSite, issues: list[SqlIssue], ctx: FileContext) -> Iterator[ScanFinding]:
    del issues  # the text is enough: SET and set_config are not table access
    text = site.sql if site.sql is not None else ctx.source[site.node.start_byte:site.node.end_byte].decode(
        "utf-8", errors="replace")
    for name in dict.fromkeys(session_settings(text)):
        yield ctx.finding(RULE, site.anchor, f"{site.method}: sets {name} for the whole session; a pooled "
                          "connection keeps it for the next request", method=site.method)
