"""Differences between the supported Python versions (3.10 and newer), in one place."""

from __future__ import annotations

import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # the same parser (tomli), before it joined the standard library as tomllib in 3.11
    import tomli as tomllib

__all__ = ["tomllib"]
