"""V014 plan-incomplete: no plan is left half-applied by an interrupted ``apply --online``.

Problem: ``apply --online`` runs a plan as a sequence of short steps and writes the plan's history row only
when the last one has completed. A run killed or failed in between leaves some steps applied and the rest
not: the schema is neither the plan's "before" nor its "after". Solution: rerun ``bhq-migrate apply --online``
(or plain ``apply``): it resumes at the first unfinished step.
"""

from __future__ import annotations

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.verify.audits._base import AuditContext, Hit

RULE = Rule(
    id="V014",
    name="plan-incomplete",
    title="No plan is half-applied by an interrupted apply --online.",
    severity=Severity.ERROR,
    rationale="An online apply stopped between steps leaves a plan partly applied; its history row is missing "
    "and its expectations are only partly met.",
    fix="Rerun `bhq-migrate apply --online` (or plain `apply`): it resumes at the first unfinished step.",
)


QUERY = None  # reads bhq_migrate.steps, which the snapshot loads with the history


def run(context: AuditContext) -> list[Hit]:
    return [
        Hit(object=f"plan {plan_id}", table=None,
            message=f"plan {plan_id} is incomplete: apply --online stopped before {len(missing)} step(s): "
            + "; ".join(missing),
            expected="every step done and the plan recorded in bhq_migrate.history",
            found=f"{len(missing)} step(s) not done")
        for plan_id, missing in sorted(context.snapshot.in_progress.items())
    ]
