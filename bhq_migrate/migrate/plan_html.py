"""``plan --format html``: the plan report as one self-contained HTML page (inline CSS, no script, no fetches).

Per plan and statement: the lock mode, the table's rows and size, the estimated duration as a bar (scaled to the
longest statement of the report), the lint findings, the lock-queue forecast and, with ``--trace``, the trace
verdict. Every piece of user or database text goes through :func:`html.escape`.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from bhq_migrate.units import human_size

if TYPE_CHECKING:
    from bhq_migrate.migrate.plan_report import PendingPlan, PlanReport, StatementPlan

_CSS = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; width: 100%; margin-bottom: 2em; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 6px; text-align: left; vertical-align: top; }
td.num { text-align: right; white-space: nowrap; }
.bar { background: #d9534f; height: 10px; min-width: 1px; }
.lock-ACCESS-EXCLUSIVE { color: #b00; font-weight: bold; }
.verdict-Mismatch, .wait { color: #b00; font-weight: bold; }
.verdict-Confirmed { color: #070; }
code { font-size: 12px; white-space: pre-wrap; }
ul { margin: 0; padding-left: 1.2em; }
"""


def _bar(seconds: float | None, longest: float) -> str:
    if seconds is None:
        return ""
    width = 0.0 if longest <= 0 else 100 * seconds / longest
    return f'<div class="bar" style="width:{width:.1f}%" title="{seconds:.2f} s"></div>{seconds:.2f} s'


def _forecast(statement: StatementPlan) -> str:
    if statement.forecast is None:
        return ""
    if not statement.forecast.would_wait:
        return "no wait"
    pids = [f"pid {s.pid} ({escape(s.user)}, {escape(s.state)})"
            for lock in statement.forecast.locks for s in lock.blockers + lock.ahead]
    return f'<span class="wait">would wait</span> for {", ".join(pids)}'


def _trace(statement: StatementPlan) -> str:
    if statement.trace is None:
        return ""
    verdict = statement.trace.verdict
    css = escape(verdict.split(" ")[0], quote=True)
    reasons = "".join(f"<li>{escape(reason)}</li>" for reason in statement.trace.reasons)
    return f'<span class="verdict-{css}">{escape(verdict)}</span>' + (f"<ul>{reasons}</ul>" if reasons else "")


def _row(statement: StatementPlan, longest: float) -> str:
    lock = statement.lock_mode or "-"
    findings = "".join(f"<li>{escape(f.severity.value)} {escape(f.rule)}: {escape(f.message)}</li>"
                       for f in statement.findings)
    cells = [
        f'<td class="num">{statement.line}</td>',
        f'<td class="lock-{escape(lock.replace(" ", "-"), quote=True)}">{escape(lock)}</td>',
        f"<td>{escape(statement.table or '-')}</td>",
        f'<td class="num">{"" if statement.estimated_rows is None else f"{statement.estimated_rows:,}"}</td>',
        f'<td class="num">{human_size(statement.total_bytes)}</td>',
        f"<td>{escape(statement.effect)}</td>",
        f"<td>{_bar(statement.estimated_seconds, longest)}</td>",
        f"<td><code>{escape(statement.summary)}</code></td>",
        f"<td>{f'<ul>{findings}</ul>' if findings else ''}</td>",
        f"<td>{_forecast(statement)}</td>",
        f"<td>{_trace(statement)}</td>",
    ]
    return "<tr>" + "".join(cells) + "</tr>"


def _plan(plan: PendingPlan, longest: float) -> str:
    mode = "transactional" if plan.transactional else "autocommit"
    head = "".join(f"<th>{name}</th>" for name in (
        "line", "lock", "table", "rows", "size", "effect", "est. duration", "what", "lint", "lock queue", "trace"))
    rows = "".join(_row(statement, longest) for statement in plan.statements)
    return (f"<h2>{escape(plan.id)} {escape(plan.name)}</h2>"
            f"<p>{mode}; est. {plan.estimated_seconds:.1f} s of rewrites/scans; {escape(plan.file)}</p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")


def render_plan_html(report: PlanReport) -> str:
    """The whole report as one HTML document."""
    longest = max((s.estimated_seconds or 0.0 for p in report.pending for s in p.statements), default=0.0)
    body = "".join(_plan(plan, longest) for plan in report.pending) or "<p>nothing to apply</p>"
    preflight = "".join(f"<li>{escape(p['severity'])} {escape(p['plan'])}: {escape(p['message'])}</li>"
                        for p in report.preflight)
    trace = "" if report.trace is None else (
        f"<p>trace ({escape(report.trace.method)}): "
        + escape(", ".join(f"{n} {v}" for v, n in sorted(report.trace.counts.items()))) + "</p>")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>bhq-migrate plan: {escape(report.database)}</title><style>{_CSS}</style></head><body>"
        f"<h1>bhq-migrate plan</h1><p>database: {escape(report.database)}; applied: "
        f"{escape(', '.join(report.applied)) or 'none'}</p>{body}"
        f"<h2>pre-flight</h2>{f'<ul>{preflight}</ul>' if preflight else '<p>no problems</p>'}{trace}"
        "</body></html>\n"
    )
