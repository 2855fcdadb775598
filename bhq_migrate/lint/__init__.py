"""``bhq-migrate lint``: PostgreSQL's own parser, a documented lock/rewrite table, and one rule per module.

Library entry points: :func:`lint_paths` (standalone files), :func:`lint_plans` / :func:`lint_plan` (loaded
plans, optionally against the shared :class:`bhq_migrate.catalog.Catalog` read with parts
:data:`CATALOG_PARTS`), :func:`analyse_statement` (one statement's lock and effect).
"""

from bhq_migrate.lint.analysis import Effect, LockMode, StatementEffect, analyse_sql, analyse_statement
from bhq_migrate.lint.context import LintOptions
from bhq_migrate.lint.engine import (
    LintFinding,
    check_before_apply,
    lint_paths,
    lint_plan,
    lint_plans,
    lint_plans_for_apply,
    lint_sources,
)
from bhq_migrate.lint.rules import RULES
from bhq_migrate.lint.schema import CATALOG_PARTS

__all__ = [
    "CATALOG_PARTS",
    "RULES",
    "Effect",
    "LintFinding",
    "LintOptions",
    "LockMode",
    "StatementEffect",
    "analyse_sql",
    "analyse_statement",
    "check_before_apply",
    "lint_paths",
    "lint_plan",
    "lint_plans",
    "lint_plans_for_apply",
    "lint_sources",
]
