"""Small helpers shared by the lint tests."""

from __future__ import annotations

from pathlib import Path

from bhq_migrate.lint import LintFinding, LintOptions, lint_sources
from bhq_migrate.lint.source import source_from_text

FIXTURES = Path(__file__).parent / "fixtures"
REPO_ROOT = Path(__file__).resolve().parents[2]
PLANS_DIR = REPO_ROOT / "sql"


def lint_sql(*texts: str, options: LintOptions | None = None) -> list[LintFinding]:
    """Lint SQL texts as consecutive files ``plan1.sql``, ``plan2.sql``..."""
    sources = [source_from_text(text, f"plan{n}.sql") for n, text in enumerate(texts, start=1)]
    return lint_sources(sources, options)


def rules_of(findings: list[LintFinding]) -> set[str]:
    return {finding.rule for finding in findings}
