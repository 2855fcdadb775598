"""``// bhq-migrate-ignore <rule-id>[, <rule-id>] -- <reason>`` comments.

A suppression covers findings on its own line and on the line below. The reason is required: without one
(or for a rule ID nobody knows) the comment suppresses nothing and is itself reported (S009).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bhq_migrate.scan.model import ScanFinding
from bhq_migrate.scan.rules import rule_for, s009_unknown_suppression

MARKER = b"bhq-migrate-ignore"
_COMMENT = re.compile(r"bhq-migrate-ignore\b(?P<body>.*)")
_COMMENT_END = re.compile(r"\s*(\*/\s*\}?|\}|-->)\s*$")


@dataclass(frozen=True)
class Suppression:
    line: int
    rule_ids: frozenset[str]


def parse_suppressions(source: bytes, display: str) -> tuple[list[Suppression], list[ScanFinding]]:
    """The valid suppressions in a file, and an S009 finding for each malformed one."""
    if MARKER not in source:
        return [], []
    suppressions: list[Suppression] = []
    problems: list[ScanFinding] = []
    rule = s009_unknown_suppression.RULE
    for number, raw in enumerate(source.decode("utf-8", errors="replace").splitlines(), start=1):
        found = _COMMENT.search(raw)
        if not found:
            continue
        column = found.start() + 1
        body = _COMMENT_END.sub("", found.group("body"))
        names_part, separator, reason = body.partition("--")
        names = [n for n in re.split(r"[,\s]+", names_part.strip()) if n]

        def problem(message: str, *, at_column: int = column, line: int = number) -> ScanFinding:
            return ScanFinding(file=display, line=line, column=at_column, rule=rule.id, severity=rule.severity,
                               message=message, help=rule.fix)

        if not names:
            problems.append(problem("bhq-migrate-ignore names no rule"))
            continue
        if not separator or not reason.strip():
            problems.append(problem(f"bhq-migrate-ignore {', '.join(names)}: a reason is required "
                                    f"('-- <reason>'); nothing suppressed"))
            continue
        known: set[str] = set()
        for name in names:
            matched = rule_for(name)
            if matched is None:
                problems.append(problem(f"bhq-migrate-ignore names unknown rule '{name}'"))
            else:
                known.add(matched.id)
        if known:
            suppressions.append(Suppression(number, frozenset(known)))
    return suppressions, problems


def apply_suppressions(findings: list[ScanFinding], suppressions: list[Suppression]) -> tuple[list[ScanFinding],
                                                                                            int]:
    """Drop findings covered by a suppression on the same line or the line above; S009 is never dropped."""
    if not suppressions:
        return findings, 0
    covered: dict[int, set[str]] = {}
    for suppression in suppressions:
        for line in (suppression.line, suppression.line + 1):
            covered.setdefault(line, set()).update(suppression.rule_ids)
    kept = [f for f in findings
            if f.rule == s009_unknown_suppression.RULE.id or f.rule not in covered.get(f.line, set())]
    return kept, len(findings) - len(kept)
