"""Issue 10, "What to build" 6 and 7, audited on one fixture: the OR with a deliberate deleted branch,
``_count`` (``true``, and per relation with a where), relation filters, to-one relations (include and fluent
reads, once per relation field), and valid TSX the grammar cannot read ("could not be parsed")."""

from __future__ import annotations

from pathlib import Path

from bhq_migrate.findings import Severity
from bhq_migrate.scan import ScanConfig, scan
from tests.scan.helpers import FIXTURES, expected_markers

ROOT = FIXTURES / "nested_reads"


def test_every_case_gives_its_exact_finding() -> None:
    result = scan([ROOT], ScanConfig(jobs=1))
    expected = {(path.name, line, rule) for path in (ROOT / "src").iterdir() for line, rule in expected_markers(path)}
    found = [(Path(f.file).name, f.line, f.rule) for f in result.findings]
    assert sorted(found) == sorted(expected)


def test_the_messages_say_what_to_do() -> None:
    result = scan([ROOT], ScanConfig(jobs=1))
    by_line = {(Path(f.file).name, f.line): f for f in result.findings}
    assert "one branch of an OR matches soft-deleted Post rows on purpose" in by_line[("reads.ts", 7)].message
    assert "suppress with a reason" in by_line[("reads.ts", 7)].message
    assert by_line[("reads.ts", 11)].message.startswith("_count: true counts every relation of Author, "
                                                        "soft-deleted rows included (posts)")
    assert "relation filter Author.posts.some" in by_line[("reads.ts", 23)].message
    assert by_line[("reads.ts", 30)].message.startswith("Post.author is a to-one relation to soft-deletable Author")
    parse = by_line[("Banner.tsx", 7)]
    assert parse.message.startswith("could not be parsed here") and parse.severity is Severity.INFO
