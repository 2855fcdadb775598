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


PlanState = Literal["applied", "pending", "changed", "optional"]


def plan_states(plans: Sequence[Plan], applied: dict[str, HistoryRow]) -> dict[str, PlanState]:
    """Each plan's state against the history (here, not in the runner: ``status`` needs no runner)."""
    states: dict[str, PlanState] = {}
    for plan in plans:
        if plan.id in applied:
            states[plan.id] = "applied" if applied[plan.id].sha256 == plan.sha256 else "changed"
        else:
            states[plan.id] = "optional" if plan.optional else "pending"
    return states
