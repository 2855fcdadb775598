"""V007 history-checksum-mismatch: every applied plan's file still has the checksum history recorded.

Problem: a plan edited after it was applied describes a state the database never reached; the next
environment gets something else than this one did. Solution: restore the file (git), or, if the edit is
intended and already reflected in the database, record it with ``apply --accept-changed <id>``.
"""

from __future__ import annotations

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.verify.audits._base import AuditContext, Hit

RULE = Rule(
    id="V007",
    name="history-checksum-mismatch",
    title="Every applied plan's file matches the checksum in bhq_migrate.history.",
    severity=Severity.ERROR,
    rationale="A plan edited (or deleted) after it was applied no longer describes what this database ran; "
    "other environments will get a different schema.",
    fix="Restore the plan file from version control, or accept the edit with "
    "`bhq-migrate apply --accept-changed <id>` once the database matches it.",
)


QUERY = None  # compares history with the plan files, in Python


def run(context: AuditContext) -> list[Hit]:
    history = context.snapshot.history
    if history is None:
        return []
    hits: list[Hit] = []
    for plan_id, entry in sorted(history.items()):
        current = context.plan_files.get(plan_id)
        if current is None:
            hits.append(
                Hit(object=f"plan {plan_id}", table=None,
                    message=f"plan {plan_id} ({entry.name}) is in history but its file is missing",
                    expected=entry.sha256, found="no file")
            )
        elif current[0] != entry.sha256:
            hits.append(
                Hit(object=f"plan {plan_id}", table=None,
                    message=f"plan {plan_id} was edited after it was applied: {current[1]} no longer matches history",
                    expected=f"sha256 {entry.sha256}", found=f"sha256 {current[0]}", source=current[1])
            )
    return hits
