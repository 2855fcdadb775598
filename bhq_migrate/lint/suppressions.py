"""Per-statement suppressions: ``-- bhq-migrate-ignore <rule>[, <rule>...] -- <reason>``.

The comment goes in the comments just before the statement (before a DO block, it covers the statements
in the block). Rules are named by id (``L002``) or name (``changing-column-type``). The reason is
mandatory: a suppression without one, or naming an unknown rule, is reported as ``unknown-suppression``
and suppresses nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

IGNORE_COMMENT = re.compile(r"--\s*bhq-migrate-ignore\b(?P<rest>[^\n]*)")


@dataclass(frozen=True)
class Suppression:
    rules: tuple[str, ...]
    reason: str
    offset: int
    """Where the comment starts in the comment text it was read from."""


def parse_suppressions(comments: str) -> list[Suppression]:
    found: list[Suppression] = []
    for match in IGNORE_COMMENT.finditer(comments):
        names, _, reason = match["rest"].partition("--")
        rules = tuple(name for name in re.split(r"[,\s]+", names.strip()) if name)
        found.append(Suppression(rules, reason.strip(), match.start()))
    return found
