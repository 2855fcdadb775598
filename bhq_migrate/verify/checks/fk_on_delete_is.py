"""fk_on_delete_is: the foreign key's ON DELETE action is the declared one (CASCADE vs RESTRICT is data loss
vs a blocked delete; pgTAP cannot check it)."""

from __future__ import annotations

from bhq_migrate.verify.checks._fk_action import evaluate_action
from bhq_migrate.verify.expectations import Expectation
from bhq_migrate.verify.results import Verdict
from bhq_migrate.verify.snapshot import Snapshot

KIND = "fk_on_delete_is"
TITLE = "The foreign key's ON DELETE action is as declared."


def evaluate(exp: Expectation, snap: Snapshot) -> Verdict:
    return evaluate_action(exp, snap, "delete")
