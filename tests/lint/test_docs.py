"""Every rule, every lock/effect row and both commands are documented in docs/lint.md (sqlite-utils style)."""

from __future__ import annotations

import pytest

from bhq_migrate.lint import RULES
from bhq_migrate.lint.analysis import ACTIONS
from tests.lint.helpers import REPO_ROOT

DOCS = (REPO_ROOT / "docs" / "lint.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("lint_rule", RULES, ids=lambda lint_rule: lint_rule.rule.id)
def test_rule_is_documented_with_problem_and_solution(lint_rule: object) -> None:
    rule = lint_rule.rule  # type: ignore[attr-defined]
    assert f"### {rule.id} `{rule.name}` ({rule.severity.value})" in DOCS
    assert f"**Problem.** {rule.rationale}" in DOCS
    assert f"**Solution.** {rule.fix}" in DOCS


@pytest.mark.parametrize("action", ACTIONS)
def test_lock_table_row_is_documented(action: str) -> None:
    facts = ACTIONS[action]
    lock = facts.lock.value if facts.lock else "—"
    assert f"| {action} | {lock} | {facts.effect.value} | {facts.note} |" in DOCS


@pytest.mark.parametrize("command", ["bhq-migrate lint", "bhq-migrate plan"])
def test_command_is_documented(command: str) -> None:
    assert f"### `{command}" in DOCS


def test_rule_table_and_reference_are_generated_from_the_registry() -> None:
    from bhq_migrate.lint.docs import render

    assert render(DOCS) == DOCS, "run `python -m bhq_migrate.lint.docs` to regenerate docs/lint.md"
