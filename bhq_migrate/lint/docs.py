"""The rule table and rule reference of ``docs/lint.md``, generated from the registry so they cannot drift.

``python -m bhq_migrate.lint.docs`` rewrites both parts of the file in place; ``tests/lint/test_docs.py``
fails when the file differs from what this module generates.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bhq_migrate.lint.rules import RULES

TABLE_START = "| id | name | severity | default | title |"
REFERENCE_HEADING = "## Rule reference"


def rule_table() -> str:
    rows = [TABLE_START, "|---|---|---|---|---|"]
    for lint_rule in RULES:
        rule = lint_rule.rule
        state = "on" if rule.enabled else "off"
        rows.append(f"| {rule.id} | `{rule.name}` | {rule.severity.value} | {state} | {rule.title} |")
    return "\n".join(rows) + "\n"


def rule_reference() -> str:
    parts = [f"{REFERENCE_HEADING}\n"]
    for lint_rule in RULES:
        rule = lint_rule.rule
        opt_in = " Off by default: turn it on with `--enable " + rule.name + "`." if not rule.enabled else ""
        parts.append(
            f"\n### {rule.id} `{rule.name}` ({rule.severity.value})\n\n{rule.title}.{opt_in}\n\n"
            f"**Problem.** {rule.rationale}\n\n**Solution.** {rule.fix}\n"
        )
    return "".join(parts)


def render(text: str) -> str:
    """``text`` (docs/lint.md) with its rule table and rule reference regenerated."""
    start = text.index(TABLE_START)
    end = text.index("\n\n", start) + 1
    text = text[:start] + rule_table() + text[end:]
    return text[: text.index(REFERENCE_HEADING)] + rule_reference()


def main(path: str = "docs/lint.md") -> None:
    target = Path(path)
    target.write_text(render(target.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:])
