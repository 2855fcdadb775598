"""The rule registry: one module per rule, named after its id, listed here explicitly and in id order."""

from __future__ import annotations

from bhq_migrate.lint.context import LintRule
from bhq_migrate.lint.rules import (
    l000_syntax_error,
    l001_transaction_control,
    l002_changing_column_type,
    l003_create_index_non_concurrently,
    l004_constraint_without_not_valid,
    l005_set_not_null,
    l006_add_column_volatile_default,
    l007_missing_lock_timeout,
    l008_create_without_if_not_exists,
    l009_int_money_column,
    l010_timestamp_without_time_zone,
    l011_redundant_index,
    l012_fk_type_mismatch,
    l013_unique_index_counts_soft_deleted,
    l014_cascade_from_user,
    l015_inconsistent_check_values,
    l016_repeated_table_rewrite,
    l017_constant_partial_index,
    l018_partial_unique_blocks_on_conflict,
    l019_unknown_suppression,
)

RULES: tuple[LintRule, ...] = (
    l000_syntax_error.RULE,
    l001_transaction_control.RULE,
    l002_changing_column_type.RULE,
    l003_create_index_non_concurrently.RULE,
    l004_constraint_without_not_valid.RULE,
    l005_set_not_null.RULE,
    l006_add_column_volatile_default.RULE,
    l007_missing_lock_timeout.RULE,
    l008_create_without_if_not_exists.RULE,
    l009_int_money_column.RULE,
    l010_timestamp_without_time_zone.RULE,
    l011_redundant_index.RULE,
    l012_fk_type_mismatch.RULE,
    l013_unique_index_counts_soft_deleted.RULE,
    l014_cascade_from_user.RULE,
    l015_inconsistent_check_values.RULE,
    l016_repeated_table_rewrite.RULE,
    l017_constant_partial_index.RULE,
    l018_partial_unique_blocks_on_conflict.RULE,
    l019_unknown_suppression.RULE,
)
