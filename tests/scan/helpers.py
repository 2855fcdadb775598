"""Small builders for scan tests: a throwaway project with a schema and some source files."""

from __future__ import annotations

import re
from pathlib import Path

from bhq_migrate.scan import ScanConfig, ScanResult, scan

FIXTURES = Path(__file__).parent / "fixtures"
APP = FIXTURES / "app"

SCHEMA = """
model Tenant {
  id       Int       @id
  invoices Invoice[]
}

model Invoice {
  id        Int       @id
  tenantId  Int
  tenant    Tenant    @relation(fields: [tenantId], references: [id])
  items     Item[]
  deletedAt DateTime?
}

model Item {
  id        Int       @id
  invoiceId Int
  invoice   Invoice   @relation(fields: [invoiceId], references: [id])
  deletedAt DateTime?
}
"""

_EXPECT = re.compile(r"//\s*expect:\s*([A-Z0-9, ]+)")


def project(root: Path, files: dict[str, str | bytes], schema: str | None = SCHEMA) -> Path:
    """Write ``files`` (relative path -> content) under ``root``, plus ``prisma/schema.prisma``."""
    if schema is not None:
        (root / "prisma").mkdir(parents=True, exist_ok=True)
        (root / "prisma" / "schema.prisma").write_text(schema)
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


def scan_one(tmp_path: Path, source: str, schema: str | None = SCHEMA, name: str = "src/q.ts",
             config: ScanConfig | None = None) -> ScanResult:
    project(tmp_path, {name: source}, schema)
    return scan([tmp_path], config or ScanConfig(jobs=1))


def rules_at(result: ScanResult) -> set[tuple[int, str]]:
    return {(f.line, f.rule) for f in result.findings}


def expected_markers(path: Path) -> set[tuple[int, str]]:
    """``// expect: S001, S003`` at the end of a line: those rules must be reported on that line."""
    expected = set()
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        found = _EXPECT.search(line)
        if found:
            expected.update((number, rule.strip()) for rule in found.group(1).split(",") if rule.strip())
    return expected
