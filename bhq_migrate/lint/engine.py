"""Runs every rule over the statements linted together, applies suppressions, returns sorted findings."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bhq_migrate.catalog.model import Catalog
from bhq_migrate.errors import ConfigError, LintRefused
from bhq_migrate.findings import Finding, Rule, Severity
from bhq_migrate.lint.context import Hit, LintContext, LintOptions, LintRule, Runner, build_context
from bhq_migrate.lint.folders import discover, new_since
from bhq_migrate.lint.rules import RULES
from bhq_migrate.lint.schema import CATALOG_PARTS
from bhq_migrate.lint.source import SourceFile, Unit, source_from_path, source_from_plan
from bhq_migrate.lint.suppressions import parse_suppressions
from bhq_migrate.plans import Plan, trusted_trees

if TYPE_CHECKING:
    import psycopg

    from bhq_migrate.connection import SessionLimits

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


def active_rules(options: LintOptions) -> list[LintRule]:
    """The rules ``options`` turn on: the default set, plus ``enable``, minus ``disable``.
    Raises :class:`ConfigError` for a name that is no rule (a typo would otherwise silently check nothing)."""
    for reference in (*options.enable, *options.disable):
        if reference.lower() != "all" and not any(lint_rule.rule.matches(reference) for lint_rule in RULES):
            raise ConfigError(f"no lint rule is called {reference!r} (see `bhq-migrate lint --list-rules`)")

    def named(lint_rule: LintRule, references: tuple[str, ...]) -> bool:
        return any(reference.lower() == "all" or lint_rule.rule.matches(reference) for reference in references)

    return [
        lint_rule
        for lint_rule in RULES
        if (lint_rule.rule.enabled or named(lint_rule, options.enable)) and not named(lint_rule, options.disable)
    ]


def run_rules(context: LintContext, rules: Iterable[LintRule] | None = None) -> list[LintFinding]:
    findings: list[LintFinding] = []
    if rules is None:
        rules = active_rules(context.options)
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


def lint_paths(
    paths: Iterable[Path],
    options: LintOptions | None = None,
    *,
    since: str | None = None,
    catalog: Catalog | None = None,
) -> list[LintFinding]:
    """``bhq-migrate lint``: .sql files and migration folders.

    Folders are read by their layout (:mod:`bhq_migrate.lint.folders`). Without ``options``, the files are
    linted as a history under the runner the layout says. With ``since``, only the files added after it are
    reported; the earlier ones are read as history. With a live database's ``catalog`` (see
    :func:`live_catalog`), the database is the history too: its tables exist, with their column types, and a
    table neither it nor the files have is not assumed to exist.
    """
    folder = discover(paths)
    options = options or LintOptions(runner=folder.runner, history=True)
    with trusted_trees():  # each file's trees are built here, once (see source.py)
        sources = [source_from_path(path) for path in folder.files]
    empty = [source.file for source in sources if not source.units and not source.syntax_errors]
    # "0 errors" for empty files would be a silent pass. Prisma writes comment-only migrations itself
    # ("-- This is an empty migration."), so in a tool's folder only an entirely empty one is refused.
    if empty and (len(empty) == len(sources) or options.runner is Runner.BHQ):
        raise ConfigError(f"{empty[0]}: no SQL statement (empty or only comments)")
    findings = lint_sources(sources, options, catalog)
    if since is None:
        return findings
    new = {str(path) for path in new_since(folder.files, since)}
    return [finding for finding in findings if finding.file in new]


def live_catalog(url: str, limits: SessionLimits | None = None) -> Catalog:
    """What lint needs of a live database (:data:`CATALOG_PARTS`), read in one read-only snapshot."""
    from bhq_migrate.catalog import read_catalog  # psycopg only when a database is involved
    from bhq_migrate.connection import connect

    with connect(url, limits=limits) as conn:
        return read_catalog(conn, CATALOG_PARTS)


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
