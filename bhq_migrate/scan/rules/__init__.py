"""The scan rules, one module per rule named after its ID; :data:`RULES` is the registry.

Call rules (``check(call, ctx, resolver)``) look at one Prisma call; raw-SQL rules
(``check(site, issues, ctx)``) at one raw-SQL site; file rules (``check_file(ctx)``) at a whole file.
S010 is left free for the scan branch's unknown-client rule. S007 (needs review), S008 (parse error) and S009
(unknown suppression) are raised by other rules or by the engine; their modules hold the documentation.
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
    s011_session_tenant_setting,
    s012_batch_transaction_with_tenant_extension,
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
    s011_session_tenant_setting.RULE,
    s012_batch_transaction_with_tenant_extension.RULE,
)

CALL_CHECKS = (s001_unscoped_read.check, s002_hard_delete.check, s003_tenant_unscoped.check)
RAW_SQL_CHECKS = (s004_raw_sql_unscoped.check, s005_raw_sql_hard_delete.check, s006_raw_sql_unparsed.check,
                  s011_session_tenant_setting.check)
FILE_CHECKS = (s012_batch_transaction_with_tenant_extension.check_file,)
"""Rules about a whole file (``check_file(ctx)``), run once per analysed file."""


def rule_for(reference: str) -> Rule | None:
    """The rule named by an ID (``S001``) or a name (``unscoped-read``), case-insensitively."""
    return next((rule for rule in RULES if rule.matches(reference)), None)
