"""Declared-expectation checks, one module per kind, named the way pgTAP names its assertions.

Each module has ``KIND``, a one-line ``TITLE`` and ``evaluate(expectation, snapshot) -> Verdict``; the
registry below is explicit, so adding a kind is one module plus one line here.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from bhq_migrate.verify.checks import (
    check_expression_is,
    check_values_are,
    col_default_is,
    col_is_null,
    col_is_pk,
    col_not_null,
    col_type_is,
    constraint_is_valid,
    fk_ok,
    fk_on_delete_is,
    fk_on_update_is,
    has_check,
    has_column,
    has_index,
    has_schema,
    has_table,
    has_unique,
    hasnt_index,
    hasnt_table,
    index_columns_are,
    index_is_partial,
    index_is_type,
    index_is_unique,
    index_is_valid,
)
from bhq_migrate.verify.expectations import Expectation
from bhq_migrate.verify.results import Verdict
from bhq_migrate.verify.snapshot import Snapshot

CHECKS: tuple[ModuleType, ...] = (
    has_schema,
    has_table,
    hasnt_table,
    col_is_pk,
    has_column,
    col_type_is,
    col_not_null,
    col_is_null,
    col_default_is,
    has_index,
    hasnt_index,
    index_is_valid,
    index_columns_are,
    index_is_unique,
    index_is_type,
    index_is_partial,
    has_check,
    check_values_are,
    check_expression_is,
    fk_ok,
    fk_on_delete_is,
    fk_on_update_is,
    constraint_is_valid,
    has_unique,
)

Evaluator = Callable[[Expectation, Snapshot], Verdict]
EVALUATORS: dict[str, Evaluator] = {module.KIND: module.evaluate for module in CHECKS}
TITLES: dict[str, str] = {module.KIND: module.TITLE for module in CHECKS}
