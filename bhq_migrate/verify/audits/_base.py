"""What every audit rule receives and returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict

from bhq_migrate.findings import Severity
from bhq_migrate.verify.snapshot import Snapshot

DEFAULT_MONEY_PATTERNS = ("*Cents", "*_cents")
DEFAULT_SOFT_DELETE_COLUMNS = ("deletedAt", "deleted_at")
DEFAULT_TENANT_COLUMNS = ("tenantId",)
TENANT_CONDITION = '"tenantId" = NULLIF(current_setting(\'app.tenant_id\', true), \'\')::integer'
"""Plan 004's policy condition (current_tenant_id()'s expression, inlined: see sql/004_tenant_isolation.sql)."""


@dataclass(frozen=True)
class AuditContext:
    snapshot: Snapshot
    """Holds each rule's catalog query result in ``audit_rows`` (rules with a query run set-based on the
    server, over every table in scope, and return only what they find)."""
    plan_files: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    """Plan id -> (sha256 of the file as it is now, file path), for the history audit."""
    declared_indexes: frozenset[str] = frozenset()
    """``schema.index`` names the checked plans declare: of two identical indexes, the undeclared one is
    the redundant one."""

    def rows(self, rule_id: str) -> tuple[Any, ...]:
        return tuple(self.snapshot.audit_rows.get(rule_id, ()))


class Hit(BaseModel):
    """One thing a rule found wrong."""

    model_config = ConfigDict(frozen=True)

    object: str
    table: str | None
    message: str
    expected: str | None = None
    found: str | None = None
    fix_sql: str | None = None
    source: str | None = None
    """A file the finding is about (V007: the edited plan), for SARIF."""
    severity: Severity | None = None
    """Overrides the rule's severity for this finding (the isolation rules warn, instead of failing, on a
    database that has not adopted row-level security yet)."""


def adoption_severity(adopted: bool) -> Severity:
    """Isolation findings fail once a database relies on row-level security (some tenant table has it
    enabled); before that they are warnings: the gap is real, but it is the state plans 001-003 leave."""
    return Severity.ERROR if adopted else Severity.WARNING
