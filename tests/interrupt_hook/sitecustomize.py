"""Test hook, active only when a test puts this folder on PYTHONPATH: a deterministic Ctrl-C during start-up.

With ``BHQ_TEST_BLOCK_IMPORT=<module>``, the first import of that module writes one byte to the file
descriptor ``BHQ_TEST_READY_FD`` and then blocks reading ``BHQ_TEST_WAIT_FD``, a pipe the test never
writes to. The test waits for the byte and sends SIGINT, so the interrupt lands inside that import every
time, with no timer involved: SIGINT makes the blocked read raise KeyboardInterrupt.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType

_TARGET = os.environ.get("BHQ_TEST_BLOCK_IMPORT")


class _BlockImport(MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname != _TARGET:
            return None
        sys.meta_path.remove(self)
        os.write(int(os.environ["BHQ_TEST_READY_FD"]), b"!")
        os.read(int(os.environ["BHQ_TEST_WAIT_FD"]), 1)  # returns only by SIGINT's KeyboardInterrupt
        return None


if _TARGET:
    sys.meta_path.insert(0, _BlockImport())
