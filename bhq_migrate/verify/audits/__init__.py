"""Built-in audit rules: checks every database should pass, beyond the declared expectations.

One module per rule, named after its ID; each has ``RULE`` (id, name, title, severity, rationale, fix)
and ``run(context) -> list[Hit]``. The registry is an explicit tuple.

Severities are chosen so that a database migrated with plans 001+002 (the seed's intent, its design warts
included) has no failure: the warts (redundant indexes, unindexed FKs, naive timestamps, a unique index that
counts soft-deleted rows) are warnings, which ``--strict`` turns into failures. What is an outright defect
(INTEGER money, a broken index, an edited plan) is an error. The isolation rules V008-V013 are errors once the
database relies on row-level security (some tenant table has it enabled) and warnings before that.
"""

from __future__ import annotations

from types import ModuleType

from bhq_migrate.findings import Rule
from bhq_migrate.verify.audits import (
    v001_money_column_not_bigint,
    v002_invalid_index,
    v003_unindexed_foreign_key,
    v004_redundant_index,
    v005_unique_counts_soft_deleted,
    v006_timestamp_without_time_zone,
    v007_history_checksum_mismatch,
    v008_rls_not_forced,
    v009_policy_command_uncovered,
    v010_permissive_policy_too_wide,
    v011_unique_without_tenant,
    v012_fk_without_tenant,
    v013_app_role_bypasses_rls,
    v014_plan_incomplete,
)
from bhq_migrate.verify.audits._base import (
    DEFAULT_MONEY_PATTERNS,
    DEFAULT_SOFT_DELETE_COLUMNS,
    DEFAULT_TENANT_COLUMNS,
    AuditContext,
    Hit,
)

AUDITS: tuple[ModuleType, ...] = (
    v001_money_column_not_bigint,
    v002_invalid_index,
    v003_unindexed_foreign_key,
    v004_redundant_index,
    v005_unique_counts_soft_deleted,
    v006_timestamp_without_time_zone,
    v007_history_checksum_mismatch,
    v008_rls_not_forced,
    v009_policy_command_uncovered,
    v010_permissive_policy_too_wide,
    v011_unique_without_tenant,
    v012_fk_without_tenant,
    v013_app_role_bypasses_rls,
    v014_plan_incomplete,
)
RULES: tuple[Rule, ...] = tuple(module.RULE for module in AUDITS)

__all__ = ["AUDITS", "DEFAULT_MONEY_PATTERNS", "DEFAULT_SOFT_DELETE_COLUMNS", "DEFAULT_TENANT_COLUMNS", "RULES",
           "AuditContext", "Hit"]
