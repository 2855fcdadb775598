"""`plan --format html`: one self-contained page with the plan's statements, locks, sizes, findings, trace; parsed,
and rendered in headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import psycopg
import pytest
from typer.testing import CliRunner

from bhq_migrate.baseline.loader import SampleSize, load_baseline, load_sample_data
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


# --- the page as a browser renders it: Debian's chromium, headless ---------------------------------------------

CHROMIUM = shutil.which("chromium")

PROBE = """<script>
(() => {
  // What the rendered page shows: per plan table its heading and rows (innerText honours the CSS), and per
  // duration bar its laid-out width against the width of its cell's content box.
  const contentWidth = cell => {
    const style = getComputedStyle(cell);
    return cell.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  };
  const plans = [...document.querySelectorAll("table")].map(table => ({
    heading: table.previousElementSibling.previousElementSibling.innerText,
    rows: [...table.tBodies[0].rows].map(row => {
      const bar = row.cells[6].querySelector(".bar");
      const style = bar && getComputedStyle(bar);
      return {
        cells: [...row.cells].map(cell => cell.innerText.trim()),
        lockColor: getComputedStyle(row.cells[1]).color,
        lockWeight: getComputedStyle(row.cells[1]).fontWeight,
        bar: bar && {width: bar.getBoundingClientRect().width, height: bar.getBoundingClientRect().height,
                     cell: contentWidth(row.cells[6]), background: style.backgroundColor},
        verdictColor: row.cells[10].firstElementChild && getComputedStyle(row.cells[10].firstElementChild).color,
      };
    }),
  }));
  const out = document.createElement("pre");
  out.id = "bhq-probe";
  out.textContent = JSON.stringify({plans, text: document.body.innerText, scripts: document.scripts.length});
  document.body.appendChild(out);
})();
</script>"""
"""Appended to a copy of the page (the report has no script of its own): Chromium lays the page out, then this
reads the result into the DOM that ``--dump-dom`` prints."""


class _Probe(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.inside = tag == "pre" and ("id", "bhq-probe") in attrs

    def handle_endtag(self, tag: str) -> None:
        self.inside = False

    def handle_data(self, data: str) -> None:
        if self.inside:
            self.found.append(data)


def _render(page: Path, tmp_path: Path) -> dict[str, Any]:
    """``page`` with the probe, rendered by headless Chromium: what the probe read from the laid-out page."""
    assert CHROMIUM is not None
    probed = tmp_path / "probed.html"
    probed.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    profile = tmp_path / "chromium-profile"
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1600,1200", "--dump-dom",
         probed.as_uri()],
        capture_output=True, text=True, timeout=300, check=False,  # a bound for a hung browser only
    )
    assert done.returncode == 0, done.stderr[-2000:]
    probe = _Probe()
    probe.feed(done.stdout)
    assert probe.found, f"Chromium printed no probe result: {done.stdout[:500]} {done.stderr[-2000:]}"
    result: dict[str, Any] = json.loads("".join(probe.found))
    return result


def _plan_json(url: str, *extra: str) -> dict[str, Any]:
    result = runner.invoke(app, ["plan", "-d", url, "--format", "json", *extra])
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it with apt-get)")
def test_html_report_renders_in_chromium_with_each_plan_statement_lock_bar_and_finding(
    empty_db: str, tmp_path: Path
) -> None:
    baseline_db = empty_db
    with psycopg.connect(baseline_db) as conn:  # big enough for rewrites and scans of different lengths
        load_baseline(conn)
        load_sample_data(conn, SampleSize.scaled(40_000))
    out = tmp_path / "plan.html"
    with psycopg.connect(baseline_db) as reader:  # an open transaction on "Invoice": the lock queue forecast
        reader.execute('SELECT * FROM "Invoice" LIMIT 1')
        expected = _plan_json(baseline_db)
        result = runner.invoke(app, ["plan", "-d", baseline_db, "--format", "html", "--output", str(out)])
    assert result.exit_code == 0, result.output
    shown = _render(out, tmp_path)

    assert shown["scripts"] == 1  # the probe's: the report itself runs no script
    assert [plan["heading"] for plan in shown["plans"]] == [f"{p['id']} {p['name']}" for p in expected["pending"]]
    assert [p["heading"] for p in shown["plans"]][:2] == ["001 critical_production_fixes", "002 marketplace_schema"]
    seconds_shown = {s["estimated_seconds"] for p in expected["pending"] for s in p["statements"]} - {None}
    longest = max(seconds_shown)
    assert longest > 0 and len(seconds_shown) >= 3  # bars of different lengths
    filled: list[bool] = []
    for plan, rendered in zip(expected["pending"], shown["plans"], strict=True):
        assert len(rendered["rows"]) == len(plan["statements"])
        for statement, row in zip(plan["statements"], rendered["rows"], strict=True):
            line, lock, table, _rows, _size, effect, duration, what, lint = row["cells"][:9]
            assert (line, lock, table, effect) == (
                str(statement["line"]), statement["lock_mode"] or "-", statement["table"] or "-", statement["effect"])
            assert " ".join(what.split()) == " ".join(statement["summary"].split())
            assert {f["rule"] for f in statement["findings"]} == {
                word.rstrip(":") for word in lint.split() if re.fullmatch(r"L\d{3}:", word)}
            seconds = statement["estimated_seconds"]
            if seconds is None:
                assert row["bar"] is None and duration == ""
                continue
            bar = row["bar"]
            assert duration == f"{seconds:.2f} s"
            assert bar["background"] == "rgb(217, 83, 79)" and bar["height"] == 10  # the CSS applied
            # Laid out at its share of the longest statement (at least the CSS's 1 px), within a pixel.
            assert abs(bar["width"] - max(1.0, bar["cell"] * seconds / longest)) <= 1.0, (statement, bar)
            if seconds == longest:
                filled.append(bar["width"] >= bar["cell"] - 1.0 and bar["cell"] > 20)  # a visible, full bar
            if lock == "ACCESS EXCLUSIVE":
                assert row["lockColor"] == "rgb(187, 0, 0)" and row["lockWeight"] == "700"
    assert filled and all(filled)  # the longest statement's bar fills its cell
    invoice = [row["cells"] for row in shown["plans"][0]["rows"] if row["cells"][2] == '"Invoice"']
    assert any(cells[1] == "ACCESS EXCLUSIVE" and "ALTER COLUMN TYPE" in cells[7] for cells in invoice)
    assert any("would wait" in cells[9] for cells in invoice)  # the open reader
    assert "L010" in " ".join(row["cells"][8] for row in shown["plans"][1]["rows"])  # plan 002's finding
    assert "pre-flight" in shown["text"]


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it with apt-get)")
def test_traced_html_report_renders_each_verdict_in_chromium(baseline_db: str, tmp_path: Path) -> None:
    out = tmp_path / "plan.html"
    traced = runner.invoke(app, ["plan", "-d", baseline_db, "--trace", "--format", "html", "--output", str(out)])
    assert traced.exit_code == 0, traced.output
    shown = _render(out, tmp_path)
    verdicts = [row["cells"][10].splitlines()[0] for plan in shown["plans"] for row in plan["rows"]]
    assert verdicts and "Mismatch" not in verdicts
    assert verdicts.count("Confirmed") >= 20
    colours = {row["verdictColor"] for plan in shown["plans"] for row in plan["rows"]
               if row["cells"][10].startswith("Confirmed")}
    assert colours == {"rgb(0, 119, 0)"}
    assert "trace (template clone)" in shown["text"]
