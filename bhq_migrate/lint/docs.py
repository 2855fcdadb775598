"""The rule table and rule reference of ``docs/lint.md``, generated from the registry so they cannot drift.

``python -m bhq_migrate.lint.docs`` rewrites both parts of the file in place; ``tests/lint/test_docs.py``
fails when the file differs from what this module generates.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bhq_migrate.lint.mapping import PGFENCE, SQUAWK, Mapping
from bhq_migrate.lint.rules import RULES

TABLE_START = "| id | name | severity | default | title |"
SQUAWK_START = "| squawk rule | bhq-migrate rule | note |"
PGFENCE_START = "| pgfence check | bhq-migrate rule | note |"
REFERENCE_HEADING = "## Rule reference"


def rule_table() -> str:
    rows = [TABLE_START, "|---|---|---|---|---|"]
    for lint_rule in RULES:
        rule = lint_rule.rule
        state = "on" if rule.enabled else "off"
        rows.append(f"| {rule.id} | `{rule.name}` | {rule.severity.value} | {state} | {rule.title} |")
    return "\n".join(rows) + "\n"


def mapping_table(header: str, mapping: Mapping) -> str:
    names = {lint_rule.rule.id: lint_rule.rule.name for lint_rule in RULES}
    rows = [header, "|---|---|---|"]
    for theirs, (ours, note) in sorted(mapping.items(), key=lambda item: (item[1][0] or "~", item[0])):
        shown = f"{ours} `{names[ours]}`" if ours else "—"
        rows.append(f"| `{theirs}` | {shown} | {note} |")
    return "\n".join(rows) + "\n"


def _replace_table(text: str, start_marker: str, table: str) -> str:
    start = text.index(start_marker)
    end = text.index("\n\n", start) + 1
    return text[:start] + table + text[end:]


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
    text = _replace_table(text, TABLE_START, rule_table())
    text = _replace_table(text, SQUAWK_START, mapping_table(SQUAWK_START, SQUAWK))
    text = _replace_table(text, PGFENCE_START, mapping_table(PGFENCE_START, PGFENCE))
    return text[: text.index(REFERENCE_HEADING)] + rule_reference()


def main(path: str = "docs/lint.md") -> None:
    target = Path(path)
    target.write_text(render(target.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:])
