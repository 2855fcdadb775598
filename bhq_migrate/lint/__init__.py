"""``bhq-migrate lint``: PostgreSQL's own parser, a documented lock/rewrite table, and one rule per module.

Library entry points: :func:`lint_paths` (standalone files), :func:`lint_plans` / :func:`lint_plan` (loaded
plans, optionally against a live database's :class:`Catalog`), :func:`analyse_statement` (one statement's
lock and effect).
"""

from bhq_migrate.lint.analysis import Effect, LockMode, StatementEffect, analyse_sql, analyse_statement
from bhq_migrate.lint.catalog import Catalog, load_catalog
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

__all__ = [
    "RULES",
    "Catalog",
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
    "load_catalog",
]
