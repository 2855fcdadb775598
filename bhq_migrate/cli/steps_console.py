"""The steps of ``apply --online`` as console lines (rich markup, user text escaped): ``plan`` and
``apply --online --dry-run`` print the same table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape

if TYPE_CHECKING:
    from bhq_migrate.migrate.steps import PlanSteps


def _size(total_bytes: int | None) -> str:
    return "" if total_bytes is None else f"{total_bytes / 2**20:,.1f} MiB"


def steps_lines(planned: list[PlanSteps], states: dict[tuple[str, int], str] | None = None) -> list[str]:
    """One header per plan, one line per step: number, kind, lock, table, rows, size, estimate, what."""
    lines: list[str] = []
    for steps in planned:
        lines.append(f"[bold]{escape(steps.plan)} {escape(steps.name)}[/]: {len(steps.steps)} step(s), "
                     f"est. {steps.estimated_seconds:.1f} s")
        lines.append("  {:>4}  {:<10}  {:<22}  {:<24}  {:>11}  {:>10}  {:>7}  what".format(
            "step", "kind", "lock", "table", "rows", "size", "est. s"))
        for step in steps.steps:
            kind = f"[red]{step.kind:<10}[/]" if step.blocking else f"{step.kind:<10}"
            state = (states or {}).get((steps.plan, step.number))
            what = step.description + (f" [{state}]" if state else "")
            lines.append(
                f"  {step.number:>4}  {kind}  {step.lock or '-':<22}  {escape(step.table or '-'):<24}  "
                f"{'' if step.estimated_rows is None else f'{step.estimated_rows:,}':>11}  "
                f"{_size(step.total_bytes):>10}  "
                f"{'' if step.estimated_seconds is None else f'{step.estimated_seconds:.2f}':>7}  {escape(what)}")
            if step.blocking:
                lines.append(f"        [red]blocking:[/] {escape(step.reason)}")
        if steps.copy_peak_bytes is not None:
            copied = [escape(step.table or "") for step in steps.steps if step.copied]
            lines.append(f"  disk: the table copies ({', '.join(copied)}) need about "
                         f"{_size(steps.copy_peak_bytes)} free at their peak, a second copy of the largest one with "
                         "its indexes (each old table is dropped right after its swap), plus the WAL they write")
    return lines
