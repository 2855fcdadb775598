"""The scan rules, one module per rule named after its ID; :data:`RULES` is the registry.

Call rules (``check(call, ctx, resolver)``) look at one Prisma call; raw-SQL rules
(``check(site, issues, ctx)``) at one raw-SQL site. S007 (needs review), S008 (parse error) and S009
(unknown suppression) are raised by other rules or by the engine, S010 (unknown client) by the engine for
a call that is not a recognised Prisma call, S011 (soft-deleted relation) by S001's nested checks; their
modules hold the documentation. File rules (``check_file(ctx)``) run once per file (S012, S013).
"""

from __future__ import annotations

from bhq_migrate.findings import Rule
from bhq_migrate.scan.rules import (
    s001_unscoped_read,
    s002_hard_delete,
    s003_tenant_unscoped,
    s004_raw_sql_unscoped,
    s005_raw_sql_hard_delete,
    s006_raw_sql_unparsed,
    s007_needs_review,
    s008_parse_error,
    s009_unknown_suppression,
    s010_unknown_client,
    s011_soft_deleted_relation,
    s012_session_tenant_setting,
    s013_batch_transaction_with_tenant_extension,
)

RULES: tuple[Rule, ...] = (
    s001_unscoped_read.RULE,
    s002_hard_delete.RULE,
    s003_tenant_unscoped.RULE,
    s004_raw_sql_unscoped.RULE,
    s005_raw_sql_hard_delete.RULE,
    s006_raw_sql_unparsed.RULE,
    s007_needs_review.RULE,
    s008_parse_error.RULE,
    s009_unknown_suppression.RULE,
    s010_unknown_client.RULE,
    s011_soft_deleted_relation.RULE,
    s012_session_tenant_setting.RULE,
    s013_batch_transaction_with_tenant_extension.RULE,
)

CALL_CHECKS = (s001_unscoped_read.check, s002_hard_delete.check, s003_tenant_unscoped.check)
RAW_SQL_CHECKS = (s004_raw_sql_unscoped.check, s005_raw_sql_hard_delete.check, s006_raw_sql_unparsed.check,
                  s012_session_tenant_setting.check)
FILE_CHECKS = (s013_batch_transaction_with_tenant_extension.check_file,)
"""Rules about a whole file (``check_file(ctx)``), run once per analysed file."""


def rule_for(reference: str) -> Rule | None:
    """The rule named by an ID (``S001``) or a name (``unscoped-read``), case-insensitively."""
    return next((rule for rule in RULES if rule.matches(reference)), None)
