"""Raw SQL built with ``Prisma.join`` (issue 10, "What to build" 5): joined fragments are read like the rest
of the statement, from an array literal, a local array and what the function pushes onto it, a ``.map``, or
a method's return; a hole that still cannot be read gets a neutral clause and the verdict becomes a review,
and no message shows the parser's internals."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bhq_migrate.scan import ScanConfig, scan
from tests.scan.helpers import FIXTURES, expected_markers, scan_one

ROOT = FIXTURES / "raw_join"
REPORTS = ROOT / "src" / "reports.ts"


def test_prisma_join_fragments_are_read_and_each_case_gives_its_exact_finding() -> None:
    result = scan([ROOT], ScanConfig(jobs=1))
    assert {(Path(f.file).name, f.line, f.rule) for f in result.findings} == {
        ("reports.ts", line, rule) for line, rule in expected_markers(REPORTS)}
    assert len(result.findings) == len(expected_markers(REPORTS))


def test_the_unscoped_table_is_named_and_messages_hold_no_parser_internals() -> None:
    result = scan([ROOT], ScanConfig(jobs=1))
    by_line = {f.line: f for f in result.findings}
    assert '"Customer"' in by_line[41].message and '"Order"' not in by_line[41].message
    assert "may add it" in by_line[46].message
    for finding in result.findings:
        assert "Col:" not in finding.message and "Line " not in finding.message and "$" not in finding.message[
            finding.message.index(":") + 1:]


def test_an_unscoped_join_element_still_fails_and_a_scoped_one_passes(tmp_path: Path) -> None:
    source = ('import { Prisma } from "@prisma/client";\n'
              "export const f = (a: number) => prisma.$queryRaw`SELECT * FROM \"Invoice\" i WHERE "
              "${Prisma.join([Prisma.sql`i.id = ${a}`, Prisma.sql`i.\"tenantId\" = 1`], ' AND ')}`;\n"
              "export const g = (a: number) => prisma.$queryRaw`SELECT * FROM \"Invoice\" i WHERE "
              "${Prisma.join([Prisma.sql`i.id = ${a}`, Prisma.raw('i.\"deletedAt\" IS NULL')], ' AND ')}`;\n")
    result = scan_one(tmp_path, source)
    assert [(f.line, f.rule) for f in result.findings] == [(2, "S004")]


def test_sql_the_parser_only_half_knows_logs_no_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """sqlglot warns "contains unsupported syntax" through logging, which would reach the user's stderr."""
    source = ('export const f = () => prisma.$executeRaw`ALTER TABLE "Invoice" REPLICA IDENTITY FULL`;\n'
              "export const g = () => prisma.invoice.findMany({ where: { tenantId: 1 } });\n")
    with caplog.at_level(logging.DEBUG):
        result = scan_one(tmp_path, source)
    assert [(f.line, f.rule) for f in result.findings] == [(2, "S001")]
    assert [r.getMessage() for r in caplog.records if r.name.startswith("sqlglot")] == []


def test_a_value_after_between_and_is_a_value_not_a_condition(tmp_path: Path) -> None:
    source = ("export const f = (from: Date, to: Date) => prisma.$queryRaw`SELECT * FROM \"Invoice\" i "
              "WHERE i.\"createdAt\" BETWEEN ${from} AND ${to}`;\n"
              "export const g = (filter: unknown) => prisma.$queryRaw`SELECT * FROM \"Invoice\" i "
              "WHERE i.\"total\" > 0 AND ${filter}`;\n")
    result = scan_one(tmp_path, source)
    assert [(f.line, f.rule) for f in result.findings] == [(1, "S004"), (2, "S007")]
