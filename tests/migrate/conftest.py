"""Fixtures shared by the migrate tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from bhq_migrate.migrate import checkpoints


@pytest.fixture
def hooked() -> Iterator[list[Callable[[str], None]]]:
    """Install callbacks on the runner's checkpoints for one test (cleared afterwards)."""
    callbacks: list[Callable[[str], None]] = []
    checkpoints.hook = lambda label: [callback(label) for callback in callbacks] and None
    yield callbacks
    checkpoints.hook = None
