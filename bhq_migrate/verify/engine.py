"""verify: catalog snapshot -> declared checks + audit rules -> a :class:`VerifyReport`.

Which plans are checked: ``--plan`` ids when given; else the plans recorded in ``bhq_migrate.history``;
else (no history table, e.g. a database never migrated by bhq-migrate) every non-optional plan, so an
unmigrated database fails and lists what is missing. When several checked plans declare the same
(subject, attribute), the latest plan's expectation wins (plan 003 retypes columns 001 created).
"""

from __future__ import annotations

import bisect
import re
import time
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from bhq_migrate.connection import SessionLimits, describe
from bhq_migrate.errors import ConfigError
from bhq_migrate.findings import Severity
from bhq_migrate.plans import Plan, load_plans
from bhq_migrate.resources import default_checks_dir, default_plans_dir
from bhq_migrate.verify.audits import (
    AUDITS,
    DEFAULT_MONEY_PATTERNS,
    DEFAULT_SOFT_DELETE_COLUMNS,
    RULES,
    AuditContext,
)
from bhq_migrate.verify.checks import EVALUATORS
from bhq_migrate.verify.expectations import Expectation, checks_files, expand, load_checks_file, merge, show
from bhq_migrate.verify.results import CheckResult, Status, VerifyReport
from bhq_migrate.verify.snapshot import AuditQuery, HistoryEntry, Snapshot, capture


class VerifyOptions(BaseModel):
    model_config = ConfigDict(frozen=True)

    plans_dir: Path = Field(default_factory=default_plans_dir)
    checks_dir: Path = Field(default_factory=default_checks_dir)
    schemas: tuple[str, ...] = ()
    """Only these schemas (default: every non-system schema)."""
    tables: tuple[str, ...] = ()
    """Only these tables, ``name`` or ``schema.name``."""
    strict: bool = False
    """Warnings fail too."""
    plans: tuple[str, ...] = ()
    """Check exactly these plan ids instead of the ones history records."""
    money_patterns: tuple[str, ...] = DEFAULT_MONEY_PATTERNS
    soft_delete_columns: tuple[str, ...] = DEFAULT_SOFT_DELETE_COLUMNS
    audits: bool = True
    limits: SessionLimits = Field(default_factory=SessionLimits)
    """lock_timeout and statement_timeout of the session (``--lock-timeout``, ``--statement-timeout``)."""


def verify(url: str, options: VerifyOptions | None = None) -> VerifyReport:
    """Check the live database at ``url`` against the plans' declared expectations and the audit rules.

    Never writes: the catalog is read in one READ ONLY transaction. Raises a BhqError (exit code 2) when
    it cannot run: bad checks file, bad plan, unknown ``--plan`` id, a ``schemas``/``tables`` filter that
    matches nothing, connection or permission problem.
    """
    options = options or VerifyOptions()
    started = time.perf_counter()
    plans = {plan.id: plan for plan in load_plans(options.plans_dir)}
    files = checks_files(options.checks_dir)
    loaded = {plan_id: load_checks_file(path) for plan_id, path in files.items()}  # fail fast, before connecting
    unknown = [plan_id for plan_id in options.plans if plan_id not in plans]
    if unknown:
        raise ConfigError(f"unknown plan id(s): {', '.join(unknown)} (known: {', '.join(sorted(plans))})")

    # Every table any checks file names gets a full read; the audits run set-based over all tables.
    expanded = {plan_id: expand(checks, str(files[plan_id])) for plan_id, checks in loaded.items()}
    everything = [exp for layer in expanded.values() for exp in layer]
    detail = tuple(sorted({exp.table for exp in everything if exp.table is not None}))
    audit_query = AuditQuery(
        rules=tuple(module.QUERY for module in AUDITS if module.QUERY) if options.audits else (),
        money_patterns=options.money_patterns,
        soft_delete_columns=options.soft_delete_columns,
        declared_indexes=tuple(sorted({f"{exp.table[0]}.{exp.name}" for exp in everything
                                       if exp.kind == "has_index" and exp.table is not None})),
    )
    snapshot = capture(url, options.schemas, options.tables, detail, audit_query, limits=options.limits)
    check_filters(options, snapshot)
    selected, why = select_plans(plans, snapshot.history, options.plans)
    missing_files = [plan_id for plan_id in selected if plan_id not in loaded]
    if missing_files:
        raise ConfigError(
            f"{options.checks_dir}: no checks file for plan(s) {', '.join(missing_files)} "
            "(every plan needs checks/NNN_slug.toml)"
        )
    layers = [expanded[plan_id] for plan_id in selected]
    expectations = [exp for exp in merge(layers) if in_scope(exp, options.schemas, options.tables)]

    file_lines: dict[str, tuple[str, list[int]]] = {}  # per run: a checks file edited between runs is read again
    results = [evaluate(exp, snapshot, file_lines) for exp in expectations]
    if options.audits:
        context = AuditContext(
            snapshot=snapshot,
            plan_files={plan.id: (plan.sha256, str(plan.path)) for plan in plans.values()},
            declared_indexes=frozenset(audit_query.declared_indexes),
        )
        results.extend(run_audits(context))
    return VerifyReport(
        database=describe(url),
        plans=selected,
        plan_selection=why,
        strict=options.strict,
        schemas=list(options.schemas),
        tables=list(options.tables),
        results=results,
        rules=list(RULES),
        round_trips=snapshot.round_trips,
        elapsed_ms=(time.perf_counter() - started) * 1000,
    )


def check_filters(options: VerifyOptions, snapshot: Snapshot) -> None:
    """A ``--schema`` or ``--table`` that matches nothing is a typo, not a pass: raise ConfigError."""
    unmatched = [f"--schema {name}" for name in options.schemas if name not in snapshot.schemas]
    unmatched += [f"--table {name}" for name in options.tables if name not in snapshot.matched_tables]
    if unmatched:
        where = f" in schema(s) {', '.join(sorted(snapshot.schemas))}" if options.schemas and snapshot.schemas else ""
        raise ConfigError(f"nothing to verify: {', '.join(unmatched)} matched nothing{where}")


def select_plans(
    plans: Mapping[str, Plan], history: Mapping[str, HistoryEntry] | None, forced: tuple[str, ...]
) -> tuple[list[str], str]:
    if forced:
        return sorted(set(forced)), "option"
    if history is not None:
        return sorted(plan_id for plan_id in history if plan_id in plans), "history"
    return sorted(plan_id for plan_id, plan in plans.items() if not plan.optional), "default"


def in_scope(exp: Expectation, schemas: tuple[str, ...], tables: tuple[str, ...]) -> bool:
    if exp.table is None:  # has_schema
        return (not schemas or exp.name in schemas) and not tables
    if schemas and exp.table[0] not in schemas:
        return False
    return not tables or exp.table[1] in tables or show(exp.table) in tables


def evaluate(exp: Expectation, snapshot: Snapshot, file_lines: dict[str, tuple[str, list[int]]] | None = None
             ) -> CheckResult:
    verdict = EVALUATORS[exp.kind](exp, snapshot)
    return CheckResult(
        id=f"{exp.plan}/{exp.kind}/{exp.object}",
        kind=exp.kind,
        plan=exp.plan,
        table=show(exp.table) if exp.table else None,
        object=exp.object,
        status=verdict.status,
        severity=Severity.ERROR,
        message=verdict.message,
        expected=verdict.expected,
        found=verdict.found,
        missing=verdict.missing,
        extra=verdict.extra,
        fix_sql=verdict.fix_sql,
        source=exp.source,
        key_path=exp.key_path,
        line=declaration_line(exp.source, exp.key_path, {} if file_lines is None else file_lines),
    )


def run_audits(context: AuditContext) -> list[CheckResult]:
    results: list[CheckResult] = []
    for module in AUDITS:
        rule = module.RULE
        hits = module.run(context)
        if not hits:
            results.append(
                CheckResult(id=rule.id, kind=rule.name, rule_id=rule.id, object="(database)", status=Status.PASS,
                            severity=rule.severity, message=f"{rule.id} {rule.name}: nothing found")
            )
        status = Status.FAIL if rule.severity is Severity.ERROR else Status.WARN
        for hit in hits:
            results.append(
                CheckResult(
                    id=f"{rule.id}/{hit.object}", kind=rule.name, rule_id=rule.id, table=hit.table,
                    object=hit.object, status=status, severity=rule.severity, message=hit.message,
                    expected=hit.expected, found=hit.found, fix_sql=hit.fix_sql, source=hit.source,
                )
            )
    return results


def _find_key(text: str, part: str, offset: int) -> int:
    """Where ``text`` names the key ``part`` at or after ``offset`` (-1: nowhere). A quoted key is found with its
    quotes; a bare one as a whole word (not inside a longer name). Plain string search over the whole file:
    a regex per key, or a scan line by line, cost more than evaluating the checks."""
    position = text.find(part, offset)
    if part.startswith('"'):
        return position
    while position >= 0:
        end = position + len(part)
        before = text[position - 1] if position else " "
        after = text[end] if end < len(text) else " "
        if not (before.isalnum() or before in "_$") and not (after.isalnum() or after in "_$"):
            return position
        position = text.find(part, position + 1)
    return -1


def declaration_line(source: str, key_path: str, cache: dict[str, tuple[str, list[int]]]) -> int:
    """Best-effort 1-based line of a key path in a TOML file: the table's header, then the first later
    line naming the last key (TOML parsers keep no positions)."""
    if not source:
        return 1
    if source not in cache:
        try:
            text = Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            text = ""
        cache[source] = (text, [0, *(index + 1 for index, char in enumerate(text) if char == "\n")])
    text, line_starts = cache[source]
    parts = re.findall(r'"[^"]*"|[^."\[\]]+', key_path)
    start = 0
    for part in (part for part in parts if not part.isdigit()):  # list positions: the key's own line
        found = _find_key(text, part, line_starts[start])
        if found >= 0:
            start = bisect.bisect_right(line_starts, found) - 1
    return start + 1
