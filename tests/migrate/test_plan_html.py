"""`plan --format html`: one self-contained page with the plan's statements, locks, sizes, findings, trace."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import psycopg
from typer.testing import CliRunner

from bhq_migrate.cli.app import app

runner = CliRunner()


class _Page(HTMLParser):
    """Collects the visible text, the tags and any external reference (src/href)."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.external += [value or "" for name, value in attrs if name in ("src", "href")]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_report_has_each_statement_and_the_trace(baseline_db: str, tmp_path: Path) -> None:
    out = tmp_path / "plan.html"
    with psycopg.connect(baseline_db) as reader:
        reader.execute('SELECT * FROM "Invoice" LIMIT 1')
        result = runner.invoke(app, ["plan", "-d", baseline_db, "--format", "html", "--output", str(out)])
    assert result.exit_code == 0, result.output
    page = _Page()
    page.feed(out.read_text(encoding="utf-8"))
    text = " ".join(page.text)
    assert page.external == [] and "script" not in page.tags  # self-contained
    assert "001 critical_production_fixes" in text and "002 marketplace_schema" in text
    assert "ACCESS EXCLUSIVE" in text and '"Invoice"' in text and "ALTER COLUMN TYPE x3" in text
    assert "would wait" in text  # the open reader, forecast
    assert "L010" in text  # a lint finding of plan 002
    assert 'class="bar"' in out.read_text(encoding="utf-8")

    traced = runner.invoke(app, ["plan", "-d", baseline_db, "--trace", "--format", "html", "--output", str(out)])
    assert traced.exit_code == 0, traced.output
    page = _Page()
    page.feed(out.read_text(encoding="utf-8"))
    assert "Confirmed" in " ".join(page.text) and "trace (template clone)" in " ".join(page.text)
