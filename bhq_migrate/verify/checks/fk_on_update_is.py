"""fk_on_update_is: the foreign key's ON UPDATE action is the declared one."""

from __future__ import annotations

from bhq_migrate.verify.checks._fk_action import evaluate_action
from bhq_migrate.verify.expectations import Expectation
from bhq_migrate.verify.results import Verdict
from bhq_migrate.verify.snapshot import Snapshot

KIND = "fk_on_update_is"
TITLE = "The foreign key's ON UPDATE action is as declared."


def evaluate(exp: Expectation, snap: Snapshot) -> Verdict:
    return evaluate_action(exp, snap, "update")
