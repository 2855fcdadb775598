"""Runs every rule over the statements linted together, applies suppressions, returns sorted findings."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bhq_migrate.catalog.model import Catalog
from bhq_migrate.errors import ConfigError, LintRefused
from bhq_migrate.findings import Finding, Rule, Severity
from bhq_migrate.lint.context import Hit, LintContext, LintOptions, LintRule, build_context
from bhq_migrate.lint.rules import RULES
from bhq_migrate.lint.schema import CATALOG_PARTS
from bhq_migrate.lint.source import SourceFile, Unit, source_from_path, source_from_plan
from bhq_migrate.lint.suppressions import parse_suppressions
from bhq_migrate.plans import Plan

if TYPE_CHECKING:
    import psycopg

UNSUPPRESSIBLE = frozenset({"L000", "L019"})


class LintFinding(Finding):
    """A :class:`Finding` with the rule's name, the top-level statement it belongs to (0-based, per file) and,
    when kept on request, the reason it was suppressed."""

    rule_name: str
    statement: int | None = None
    suppressed: str | None = None


def _finding(rule: Rule, hit: Hit) -> LintFinding:
    if hit.unit is not None:
        line, column = hit.unit.position(hit.location)
        file, statement = hit.unit.file, hit.unit.index
    else:
        file, line, column, statement = hit.file, hit.line, hit.column, None
    return LintFinding(
        file=file,
        line=line,
        column=column,
        rule=rule.id,
        rule_name=rule.name,
        severity=hit.severity or rule.severity,
        message=hit.message,
        help=rule.fix,
        statement=statement,
    )


def _suppression_reason(rule: Rule, unit: Unit | None) -> str | None:
    if unit is None or rule.id in UNSUPPRESSIBLE:
        return None
    for suppression in parse_suppressions(unit.comments):
        if suppression.reason and any(rule.matches(name) for name in suppression.rules):
            return suppression.reason
    return None


def run_rules(context: LintContext, rules: Iterable[LintRule] = RULES) -> list[LintFinding]:
    findings: list[LintFinding] = []
    for lint_rule in rules:
        for hit in lint_rule.check(context):
            finding = _finding(lint_rule.rule, hit)
            reason = _suppression_reason(lint_rule.rule, hit.unit)
            if reason is None:
                findings.append(finding)
            elif context.options.keep_suppressed:
                findings.append(finding.model_copy(update={"suppressed": reason}))
    order = {source.file: n for n, source in enumerate(context.sources)}
    return sorted(findings, key=lambda f: (order.get(f.file, len(order)), f.line, f.column, f.rule))


def lint_sources(
    sources: Sequence[SourceFile], options: LintOptions | None = None, catalog: Catalog | None = None
) -> list[LintFinding]:
    """Lint files together, in the given order (so a CREATE TABLE in one is seen by the next)."""
    return run_rules(build_context(sources, options or LintOptions(), catalog))


def lint_plans(
    plans: Sequence[Plan], options: LintOptions | None = None, catalog: Catalog | None = None
) -> list[LintFinding]:
    """Lint loaded plans in plan order. ``catalog`` (the shared one, read with parts
    :data:`~bhq_migrate.lint.schema.CATALOG_PARTS`) tells which tables exist and what they hold; without it,
    tables the plans do not create are assumed to exist."""
    return lint_sources([source_from_plan(plan) for plan in plans], options, catalog)


def lint_plan(plan: Plan, options: LintOptions | None = None, catalog: Catalog | None = None) -> list[LintFinding]:
    return lint_plans([plan], options, catalog)


def sql_files(paths: Iterable[Path]) -> list[Path]:
    """Files as given, and every ``*.sql`` under a directory (sorted, so plans keep their order)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.sql") if p.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            raise ConfigError(f"{path}: no such file or directory")
    return files


def lint_paths(paths: Iterable[Path], options: LintOptions | None = None) -> list[LintFinding]:
    """``bhq-migrate lint``: any .sql files, no database."""
    files = sql_files(paths)
    if not files:
        raise ConfigError("no .sql files to lint")
    return lint_sources([source_from_path(path) for path in files], options)


def _apply_findings(plans: Sequence[Plan], catalog: Catalog | None) -> tuple[list[LintFinding], list[str]]:
    """Lint as the runner runs plans (it sets lock_timeout itself): all findings, and the errors as lines."""
    findings = lint_plans(plans, LintOptions(runner_sets_lock_timeout=True, keep_suppressed=True), catalog)
    errors = [
        f"{f.location()}: {f.rule} {f.rule_name}: {f.message}"
        for f in findings
        if f.severity is Severity.ERROR and f.suppressed is None
    ]
    return findings, errors


def lint_plans_for_apply(plans: Sequence[Plan], catalog: Catalog | None = None) -> list[str]:
    """The error-level findings of the pending ``plans``, one line each (empty: apply may go on)."""
    return _apply_findings(plans, catalog)[1]


def check_before_apply(conn: psycopg.Connection[Any], plans: Sequence[Plan]) -> list[LintFinding]:
    """``apply``'s lint gate against the live catalog: raises :class:`~bhq_migrate.errors.LintRefused`
    listing every error; otherwise returns the warnings and infos apply accepts (suppressed ones included,
    marked ``suppressed``) for apply to show. Read-only."""
    from bhq_migrate.catalog import read_catalog  # psycopg only when a database is involved

    findings, errors = _apply_findings(plans, read_catalog(conn, CATALOG_PARTS))
    if errors:
        raise LintRefused(f"lint found {len(errors)} error(s) in the pending plans: {'; '.join(errors)}")
    return findings
