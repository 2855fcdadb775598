"""The schema.prisma snippet in docs/prisma.md matches what plans 001 and 002 create; the docs cover every rule."""

from __future__ import annotations

import re
from pathlib import Path

from bhq_migrate.connection import connect
from bhq_migrate.prisma.audit import audit
from bhq_migrate.prisma.rules import RULES, Classification
from bhq_migrate.prisma_schema.parser import parse_schema

DOC = Path(__file__).resolve().parents[2] / "docs" / "prisma.md"
SNIPPET_MARKER = "<!-- snippet: schema.prisma -->"


def snippet() -> str:
    """The ```prisma block that follows the marker in docs/prisma.md."""
    text = DOC.read_text(encoding="utf-8")
    match = re.search(re.escape(SNIPPET_MARKER) + r"\s*```prisma\n(.*?)```", text, re.S)
    assert match, f"{DOC} has no prisma block after {SNIPPET_MARKER}"
    return match.group(1)


def test_snippet_has_no_drift_against_the_migrated_database(migrated_db: str) -> None:
    with connect(migrated_db) as conn:
        report = audit(conn, parse_schema(snippet(), "docs/prisma.md"))
    assert [f.message for f in report.drift] == []
    assert report.in_sync


def test_snippet_differs_only_by_what_prisma_cannot_express(migrated_db: str) -> None:
    with connect(migrated_db) as conn:
        report = audit(conn, parse_schema(snippet(), "docs/prisma.md"))
    assert {f.rule for f in report.findings} == {"P013"}
    assert all(f.classification is Classification.EXPECTED for f in report.findings)
    checks = [f for f in report.findings if "CHECK constraint" in f.message]
    partial = [f for f in report.findings if "partial index" in f.message]
    assert (len(checks), len(partial), len(report.findings)) == (13, 15, 28)


def test_docs_describe_every_rule() -> None:
    text = DOC.read_text(encoding="utf-8")
    for rule in RULES:
        assert f"| {rule.id} | `{rule.name}` |" in text, rule.id


def test_docs_describe_every_command_and_option() -> None:
    text = DOC.read_text(encoding="utf-8")
    for words in ("export-prisma", "audit-prisma", "--record-prisma", "--with-optional", "--overwrite",
                  "--format", "--schema", "--plans-dir", "Exit codes"):
        assert words in text, words
