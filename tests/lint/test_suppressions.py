"""`-- bhq-migrate-ignore <rule> -- <reason>` suppresses one statement's finding, by id or by name."""

from __future__ import annotations

from bhq_migrate.lint import LintOptions
from tests.lint.helpers import lint_sql, rules_of

RETYPE = 'ALTER TABLE "Invoice" ALTER COLUMN "amountCents" TYPE BIGINT;'


def test_suppression_by_name_hides_the_finding() -> None:
    findings = lint_sql(f"-- bhq-migrate-ignore changing-column-type -- the retype is the fix\n{RETYPE}")
    assert "L002" not in rules_of(findings)


def test_suppression_by_id_hides_the_finding() -> None:
    findings = lint_sql(f"-- bhq-migrate-ignore L002 -- the retype is the fix\n{RETYPE}")
    assert "L002" not in rules_of(findings)


def test_suppression_applies_to_the_next_statement_only() -> None:
    findings = lint_sql(f"-- bhq-migrate-ignore L002 -- the retype is the fix\n{RETYPE}\n{RETYPE}")
    assert len([f for f in findings if f.rule == "L002"]) == 1


def test_suppression_without_reason_suppresses_nothing_and_is_reported() -> None:
    findings = lint_sql(f"-- bhq-migrate-ignore changing-column-type\n{RETYPE}")
    assert {"L002", "L019"} <= rules_of(findings)


def test_unknown_rule_is_reported_at_the_comment() -> None:
    findings = lint_sql(f"SELECT 1;\n-- bhq-migrate-ignore changing-colum-type -- typo\n{RETYPE}")
    unknown = [f for f in findings if f.rule == "L019"]
    assert [(f.line, f.column) for f in unknown] == [(2, 1)]
    assert "changing-colum-type" in unknown[0].message


def test_suppression_before_a_do_block_covers_its_statements() -> None:
    text = (
        "-- bhq-migrate-ignore constraint-without-not-valid -- tiny table\n"
        'DO $$ BEGIN ALTER TABLE "Tenant" ADD CONSTRAINT c CHECK (a > 0); END $$;'
    )
    assert "L004" not in rules_of(lint_sql(text))


def test_suppressed_findings_can_be_kept_with_their_reason() -> None:
    findings = lint_sql(
        f"-- bhq-migrate-ignore L002 -- the retype is the fix\n{RETYPE}",
        options=LintOptions(keep_suppressed=True),
    )
    assert [f.suppressed for f in findings if f.rule == "L002"] == ["the retype is the fix"]


def test_syntax_errors_cannot_be_suppressed() -> None:
    findings = lint_sql("-- bhq-migrate-ignore syntax-error -- no\nSELEC 1;")
    assert "L000" in rules_of(findings)
