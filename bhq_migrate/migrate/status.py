"""``status``: every plan with its state, read in a READ ONLY transaction (never creates anything)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pydantic import BaseModel

from bhq_migrate.connection import SessionLimits, connect, describe
from bhq_migrate.migrate import history
from bhq_migrate.migrate.history import PlanState, plan_states
from bhq_migrate.plans import load_plans
from bhq_migrate.resources import default_plans_dir


class PlanStatus(BaseModel):
    id: str
    name: str
    file: str
    state: PlanState
    optional: bool
    applied_at: datetime | None = None
    duration_ms: int | None = None
    applied_by: str | None = None


class StatusReport(BaseModel):
    database: str
    history_table_exists: bool
    plans: list[PlanStatus]
    unknown_applied: list[str]
    """Ids recorded in history with no plan file (a plan deleted after it was applied)."""


def status(url: str, plans_dir: Path | None = None, limits: SessionLimits | None = None) -> StatusReport:
    plans = load_plans(plans_dir or default_plans_dir())
    with connect(url, limits=limits) as conn:
        conn.read_only = True
        with conn.transaction():
            exists = history.history_exists(conn)
            applied = history.read_history(conn)
    states = plan_states(plans, applied)
    rows = []
    for plan in plans:
        row = applied.get(plan.id)
        rows.append(PlanStatus(
            id=plan.id, name=plan.name, file=plan.filename, state=states[plan.id], optional=plan.optional,
            applied_at=row.applied_at if row else None, duration_ms=row.duration_ms if row else None,
            applied_by=row.applied_by if row else None,
        ))
    known = {plan.id for plan in plans}
    return StatusReport(
        database=describe(url), history_table_exists=exists, plans=rows,
        unknown_applied=sorted(set(applied) - known),
    )
