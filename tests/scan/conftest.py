"""Scans in these tests keep their schema cache in a throwaway folder, never in the user's ~/.cache."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from bhq_migrate.scan.schema_cache import CACHE_DIR_VARIABLE


@pytest.fixture(autouse=True, scope="session")
def _throwaway_schema_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    previous = os.environ.get(CACHE_DIR_VARIABLE)
    os.environ[CACHE_DIR_VARIABLE] = str(tmp_path_factory.mktemp("schema-cache"))
    yield
    if previous is None:
        os.environ.pop(CACHE_DIR_VARIABLE, None)
    else:
        os.environ[CACHE_DIR_VARIABLE] = previous
