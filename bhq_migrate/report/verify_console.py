"""Console rendering of a :class:`~bhq_migrate.verify.VerifyReport` (rich renderables; the CLI prints them).

The full report groups results by plan (audits last) and table, with pass/fail/warn counts per table, and
spells out every failure and warning: what was expected, what was found, Missing/Extra values and the SQL
that would fix it. :func:`render_summary` is the short form ``apply --verify`` and ``demo`` print.
"""

from __future__ import annotations

from collections import defaultdict

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from bhq_migrate.verify.results import CheckResult, Status, VerifyReport

_MARK = {
    Status.PASS: ("✓", "green"),
    Status.FAIL: ("✗", "bold red"),
    Status.WARN: ("!", "yellow"),
    Status.SKIP: ("-", "dim"),
}
AUDITS_GROUP = "audits"


def _group_of(result: CheckResult) -> str:
    return f"plan {result.plan}" if result.plan else AUDITS_GROUP


def _headline(report: VerifyReport) -> Text:
    counts = report.counts
    text = Text()
    if report.ok:
        text.append("verify passed", style="bold green")
    else:
        text.append("verify FAILED", style="bold red")
    text.append(f": {counts.passed} passed, ")
    text.append(f"{counts.failed} failed", style="red" if counts.failed else "")
    text.append(", ")
    text.append(f"{counts.warnings} warning(s)", style="yellow" if counts.warnings else "")
    if counts.skipped:
        text.append(f", {counts.skipped} skipped (their object is missing)")
    plans = ", ".join(report.plans) if report.plans else "none"
    origin = {"history": "from bhq_migrate.history", "default": "no history table: every non-optional plan",
              "option": "chosen with --plan"}.get(report.plan_selection, report.plan_selection)
    text.append(f"  [plans {plans}: {origin}]", style="dim")
    if report.strict and counts.warnings:
        text.append("  (--strict: warnings fail)", style="yellow")
    return text


def _detail(result: CheckResult, strict: bool, full: bool = True) -> RenderableType:
    status = Status.FAIL if result.failed(strict) else result.status
    mark, style = _MARK[status]
    label = result.rule_id or result.kind
    head = Text()
    head.append(f"{mark} ", style=style)
    head.append(f"{label} ", style="bold")
    if result.rule_id:
        head.append(f"{result.kind} ", style="dim")
    head.append(result.message)
    lines: list[RenderableType] = [head]
    if not full:
        return head
    # Cells are Text, never str: a str cell is rich markup, and catalog names or values may hold "[...]".
    facts = Table.grid(padding=(0, 1))
    facts.add_column(style="dim", no_wrap=True)
    facts.add_column()
    if result.expected is not None:
        facts.add_row("expected", Text(result.expected))
    if result.found is not None:
        facts.add_row("found", Text(result.found))
    if result.missing:
        facts.add_row("missing", Text(", ".join(result.missing)))
    if result.extra:
        facts.add_row("extra", Text(", ".join(result.extra)))
    if result.fix_sql:
        facts.add_row("fix", Text(result.fix_sql, style="cyan"))
    if result.source and result.key_path:
        facts.add_row("declared", Text(f"{result.source}:{result.line} ({result.key_path})"))
    if facts.row_count:
        lines.append(Padding(facts, (0, 0, 0, 4), expand=False))
    return Group(*lines)


def render_report(report: VerifyReport, *, show_passed: bool = False) -> RenderableType:
    """The full console report."""
    parts: list[RenderableType] = [Text(f"bhq-migrate verify: {report.database}", style="bold")]
    groups: dict[str, dict[str, list[CheckResult]]] = defaultdict(lambda: defaultdict(list))
    for result in report.results:
        groups[_group_of(result)][result.table or "(database)"].append(result)
    ordered = sorted(groups, key=lambda name: (name == AUDITS_GROUP, name))
    for group in ordered:
        parts.append(Text(""))
        parts.append(Text(group, style="bold underline"))
        table = Table(show_edge=False, box=None, pad_edge=False, header_style="dim")
        table.add_column("table")
        table.add_column("pass", justify="right", style="green")
        table.add_column("fail", justify="right", style="red")
        table.add_column("warn", justify="right", style="yellow")
        table.add_column("skip", justify="right", style="dim")
        details: list[RenderableType] = []
        tables = groups[group]
        names = sorted(tables) if group == AUDITS_GROUP else list(tables)
        for table_name in names:
            results = tables[table_name]
            tally = {status: 0 for status in Status}
            for result in results:
                tally[Status.FAIL if result.failed(report.strict) else result.status] += 1
            table.add_row(Text(table_name), *(str(tally[s]) if tally[s] else "" for s in
                                        (Status.PASS, Status.FAIL, Status.WARN, Status.SKIP)))
            for result in results:
                # Failures in full (expected, found, fix); warnings in one line unless --strict makes
                # them failures; passing checks only on request.
                if result.failed(report.strict):
                    details.append(_detail(result, report.strict))
                elif result.status is Status.WARN or (show_passed and result.status is Status.PASS):
                    details.append(_detail(result, report.strict, full=show_passed))
        parts.append(Padding(table, (0, 0, 0, 2), expand=False))
        if details:
            parts.append(Padding(Group(*details), (0, 0, 0, 2), expand=False))
    parts.append(Text(""))
    parts.append(_headline(report))
    parts.append(Text(f"{report.round_trips} catalog round trips, {report.elapsed_ms:.0f} ms", style="dim"))
    return Group(*parts)


def render_summary(report: VerifyReport, *, limit: int = 10) -> RenderableType:
    """A few lines for ``apply --verify`` and ``demo``: the headline and the first failures."""
    parts: list[RenderableType] = [_headline(report)]
    failures = report.failures
    for result in failures[:limit]:
        line = Text("  ")
        line.append("✗ ", style="bold red")
        line.append(f"{result.rule_id or result.kind} ", style="bold")
        line.append(result.message)
        parts.append(line)
    if len(failures) > limit:
        parts.append(Text(f"  ... and {len(failures) - limit} more (run `bhq-migrate verify`)", style="dim"))
    return Group(*parts)
