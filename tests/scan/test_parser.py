"""The two grammar gaps: typed tagged templates and ``await`` inside callee chains."""

from __future__ import annotations

from pathlib import Path

from bhq_migrate.scan.parser import blank_template_type_arguments, parse
from tests.scan.helpers import rules_at, scan_one


def test_typed_tagged_template_parses_without_error_after_blanking() -> None:
    source = b"const rows = await prisma.$queryRaw<Array<{ n: bigint }>>`SELECT 1`;\n"
    assert parse(source, ".ts").root_node.has_error is False


def test_blanking_keeps_every_byte_position() -> None:
    source = b"x = db.$queryRaw<Row[]>`SELECT 1`; if (a < b) { c > `d` }"
    blanked = blank_template_type_arguments(source)
    assert len(blanked) == len(source)
    assert blanked.index(b"`SELECT") == source.index(b"`SELECT")
    assert b"<Row[]>" not in blanked
    assert b"a < b" in blanked


def test_typed_tagged_template_is_checked_on_its_own_line(tmp_path: Path) -> None:
    source = 'async function f() {\n  return await prisma.$queryRaw<{ id: number }[]>`SELECT * FROM "Invoice"`;\n}\n'
    result = scan_one(tmp_path, source)
    assert rules_at(result) == {(2, "S004")}


def test_awaited_call_in_a_chain_is_still_a_prisma_call(tmp_path: Path) -> None:
    source = "async function f() {\n  return (await prisma.invoice.findMany({ where: { tenantId: 1 } })).length;\n}\n"
    assert rules_at(scan_one(tmp_path, source)) == {(2, "S001")}


def test_tsx_file_with_jsx_is_scanned(tmp_path: Path) -> None:
    source = (
        "export default async function Page() {\n"
        "  const rows = await prisma.invoice.findMany({ where: { tenantId: 1 } });\n"
        "  return <ul>{rows.map((r) => <li key={r.id}>{r.id}</li>)}</ul>;\n"
        "}\n"
    )
    result = scan_one(tmp_path, source, name="app/page.tsx")
    assert rules_at(result) == {(2, "S001")}
