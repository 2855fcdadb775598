"""Named points in an online apply where a test can stop the process, or pause it while it holds a lock.

``apply --online`` promises that a kill at any moment leaves a state the next ``apply`` completes. The tests
prove it by killing the process at chosen points instead of at random times (deterministic under load):

* ``BHQ_MIGRATE_TEST_KILL_AT=<n>`` makes the process SIGKILL itself at its n-th checkpoint (1-based);
* ``BHQ_MIGRATE_TEST_CHECKPOINTS=<file>`` appends every checkpoint's label to ``file``, so a test can count a
  run's checkpoints and spread its kills over them;
* in-process tests set :data:`hook` to pause at a checkpoint (e.g. wait on a ``threading.Event`` while the step
  still holds its lock) and read ``pg_locks`` from another session.

Without those variables and without a hook, :func:`reached` only counts: nothing in normal use changes.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable

KILL_AT_ENV = "BHQ_MIGRATE_TEST_KILL_AT"
RECORD_ENV = "BHQ_MIGRATE_TEST_CHECKPOINTS"

hook: Callable[[str], None] | None = None
"""Called with each checkpoint's label (tests only)."""

_count = 0


def reached(label: str) -> None:
    """Mark a checkpoint: ``label`` names the plan, step and point, e.g. ``001/3 index built``."""
    global _count
    _count += 1
    record = os.environ.get(RECORD_ENV)
    if record:
        with open(record, "a", encoding="utf-8") as out:
            out.write(f"{_count}\t{label}\n")
    kill_at = os.environ.get(KILL_AT_ENV)
    if kill_at and kill_at.isdigit() and int(kill_at) == _count:
        os.kill(os.getpid(), signal.SIGKILL)
    if hook is not None:
        hook(label)
