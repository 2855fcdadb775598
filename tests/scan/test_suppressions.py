"""``// bhq-migrate-ignore <rule> -- <reason>`` comments."""

from __future__ import annotations

from pathlib import Path

from tests.scan.helpers import rules_at, scan_one

READ = "prisma.invoice.findMany({ where: { tenantId: 1 } });"


def test_suppression_on_the_line_above_with_a_reason_hides_the_finding(tmp_path: Path) -> None:
    result = scan_one(tmp_path, f"// bhq-migrate-ignore unscoped-read -- trash view\n{READ}\n")
    assert (result.findings, result.suppressed) == ([], 1)


def test_suppression_on_the_same_line_by_rule_id(tmp_path: Path) -> None:
    assert scan_one(tmp_path, f"{READ} // bhq-migrate-ignore S001 -- admin export\n").findings == []


def test_block_comment_suppression(tmp_path: Path) -> None:
    assert scan_one(tmp_path, f"/* bhq-migrate-ignore S001 -- admin export */\n{READ}\n").findings == []


def test_suppression_two_lines_above_does_not_apply(tmp_path: Path) -> None:
    result = scan_one(tmp_path, f"// bhq-migrate-ignore S001 -- too far away\n\n{READ}\n")
    assert rules_at(result) == {(3, "S001")}


def test_suppression_without_a_reason_is_reported_and_suppresses_nothing(tmp_path: Path) -> None:
    result = scan_one(tmp_path, f"// bhq-migrate-ignore unscoped-read\n{READ}\n")
    assert rules_at(result) == {(1, "S009"), (2, "S001")}
    assert "reason is required" in result.findings[0].message


def test_unknown_rule_in_a_suppression_is_reported(tmp_path: Path) -> None:
    result = scan_one(tmp_path, f"// bhq-migrate-ignore unscoped-raed -- typo\n{READ}\n")
    assert rules_at(result) == {(1, "S009"), (2, "S001")}
    assert "unknown rule 'unscoped-raed'" in result.findings[0].message


def test_suppression_of_another_rule_does_not_hide_this_one(tmp_path: Path) -> None:
    result = scan_one(tmp_path, f"// bhq-migrate-ignore hard-delete -- not this\n{READ}\n")
    assert rules_at(result) == {(2, "S001")}


def test_several_rules_in_one_suppression(tmp_path: Path) -> None:
    source = "// bhq-migrate-ignore S001, tenant-unscoped -- migration script\nprisma.invoice.findMany();\n"
    assert scan_one(tmp_path, source).findings == []


def test_jsx_comment_suppression(tmp_path: Path) -> None:
    source = (
        "export default async function Page() {\n"
        "  return (<div>\n"
        "    {/* bhq-migrate-ignore S001 -- preview of the trash */}\n"
        "    {await prisma.invoice.findMany({ where: { tenantId: 1 } })}\n"
        "  </div>);\n}\n"
    )
    assert scan_one(tmp_path, source, name="app/page.tsx").findings == []
