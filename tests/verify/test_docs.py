"""Every check kind, audit rule and verify option is documented in docs/verify.md."""

from __future__ import annotations

import re

import pytest

from bhq_migrate.verify.audits import RULES
from bhq_migrate.verify.checks import CHECKS
from tests.conftest import REPO_ROOT

DOC = (REPO_ROOT / "docs" / "verify.md").read_text(encoding="utf-8")
CLI = (REPO_ROOT / "bhq_migrate" / "cli" / "verify.py").read_text(encoding="utf-8")


@pytest.mark.parametrize("kind", [module.KIND for module in CHECKS])
def test_every_check_kind_is_documented(kind: str) -> None:
    assert f"| `{kind}` |" in DOC


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_every_audit_rule_is_documented_with_problem_and_solution(rule: object) -> None:
    assert f"| {rule.id} | `{rule.name}` | {rule.severity.value} |" in DOC  # type: ignore[attr-defined]


@pytest.mark.parametrize("option", sorted(set(re.findall(r'"(--[a-z-]+)"', CLI))))
def test_every_option_is_documented(option: str) -> None:
    assert f"`{option}" in DOC
