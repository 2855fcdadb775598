"""The history table ``bhq_migrate.history``: one row per applied plan, written in the plan's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from importlib import resources
from typing import Any, Literal, cast

import psycopg
from psycopg.rows import class_row
from pydantic import BaseModel, ConfigDict

from bhq_migrate import __version__
from bhq_migrate.plans import Plan

HISTORY_TABLE = "bhq_migrate.history"

Connection = psycopg.Connection[Any]


class HistoryRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    sha256: str
    applied_at: datetime
    duration_ms: int
    applied_by: str
    tool_version: str


def _sql(name: str) -> str:
    return resources.files("bhq_migrate.migrate").joinpath("sql", name).read_text(encoding="utf-8")


def history_exists(conn: Connection) -> bool:
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (HISTORY_TABLE,)).fetchone()
    return bool(row and row[0])


def ensure_history(conn: Connection) -> None:
    """Create the history schema and table if missing (only ``apply`` calls this; status/verify never do)."""
    if not history_exists(conn):
        conn.execute(cast("Any", _sql("create_history.sql")))


def read_history(conn: Connection) -> dict[str, HistoryRow]:
    """Applied plans by id; an absent history table means nothing was applied."""
    if not history_exists(conn):
        return {}
    with conn.cursor(row_factory=class_row(HistoryRow)) as cur:
        cur.execute(cast("Any", _sql("read_history.sql")))
        return {row.id: row for row in cur.fetchall()}


def record(conn: Connection, plan: Plan, duration_ms: int) -> None:
    conn.execute(
        "INSERT INTO bhq_migrate.history (id, name, sha256, duration_ms, tool_version) VALUES (%s, %s, %s, %s, %s)",
        (plan.id, plan.name, plan.sha256, duration_ms, __version__),
    )


def accept_checksum(conn: Connection, plan: Plan) -> None:
    """Record that an operator accepted an edited, already-applied plan (``apply --accept-changed ID``)."""
    conn.execute("UPDATE bhq_migrate.history SET sha256 = %s WHERE id = %s", (plan.sha256, plan.id))


PlanState = Literal["applied", "pending", "changed", "optional", "in progress"]


def plan_states(
    plans: Sequence[Plan], applied: dict[str, HistoryRow], in_progress: dict[str, PlanProgress] | None = None,
) -> dict[str, PlanState]:
    """Each plan's state against the history (here, not in the runner: ``status`` needs no runner)."""
    states: dict[str, PlanState] = {}
    for plan in plans:
        if plan.id not in applied and plan.id in (in_progress or {}):
            states[plan.id] = "in progress"
        elif plan.id in applied:
            states[plan.id] = "applied" if applied[plan.id].sha256 == plan.sha256 else "changed"
        else:
            states[plan.id] = "optional" if plan.optional else "pending"
    return states


# ---- apply --online: per-step progress (bhq_migrate.steps) ----------------------------------------------------

STEPS_TABLE = "bhq_migrate.steps"


class StepRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    plan_id: str
    sha256: str
    step: int
    steps: int
    kind: str
    summary: str
    definition: dict[str, Any]
    state: str


class PlanProgress(BaseModel):
    """A plan started by ``apply --online`` and not finished: its stored steps and their states."""

    plan_id: str
    sha256: str
    rows: list[StepRow]

    @property
    def done(self) -> int:
        return sum(1 for row in self.rows if row.state == "done")

    @property
    def next_step(self) -> StepRow | None:
        return next((row for row in self.rows if row.state != "done"), None)

    @property
    def missing(self) -> list[StepRow]:
        return [row for row in self.rows if row.state != "done"]

    def describe(self) -> str:
        step = self.next_step
        if step is None:
            return f"in progress (all {len(self.rows)} steps done, history row not yet written)"
        return f"in progress (step {step.step} of {step.steps}: {step.summary})"


def steps_exist(conn: Connection) -> bool:
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (STEPS_TABLE,)).fetchone()
    return bool(row and row[0])


def ensure_steps(conn: Connection) -> None:
    if not steps_exist(conn):
        conn.execute(cast("Any", _sql("create_steps.sql")))


def read_progress(conn: Connection) -> dict[str, PlanProgress]:
    """Plans in progress by id (read-only; an absent table means none)."""
    if not steps_exist(conn):
        return {}
    progress: dict[str, PlanProgress] = {}
    with conn.cursor(row_factory=class_row(StepRow)) as cur:
        cur.execute(cast("Any", _sql("read_steps.sql")))
        for row in cur.fetchall():
            progress.setdefault(row.plan_id, PlanProgress(plan_id=row.plan_id, sha256=row.sha256, rows=[])).rows.append(
                row)
    return progress


def start_steps(conn: Connection, plan: Plan, steps: list[tuple[int, str, str, dict[str, Any]]]) -> None:
    """Store a plan's steps (number, kind, summary, definition) before the first one runs."""
    from psycopg.types.json import Jsonb

    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO bhq_migrate.steps (plan_id, sha256, step, steps, kind, summary, definition) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [(plan.id, plan.sha256, number, len(steps), kind, summary, Jsonb(definition))
             for number, kind, summary, definition in steps],
        )


def mark_step(conn: Connection, plan_id: str, step: int, state: str) -> None:
    conn.execute("UPDATE bhq_migrate.steps SET state = %s, updated_at = clock_timestamp() "
                 "WHERE plan_id = %s AND step = %s", (state, plan_id, step))


def forget_steps(conn: Connection, plan_id: str) -> None:
    """In the transaction that writes the plan's history row: the plan is no longer in progress."""
    conn.execute("DELETE FROM bhq_migrate.steps WHERE plan_id = %s", (plan_id,))
