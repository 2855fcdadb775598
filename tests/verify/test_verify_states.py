"""verify on databases in known states: migrated, hardened, unmigrated; and which plans it checks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bhq_migrate.errors import ConfigError
from bhq_migrate.migrate.runner import ApplyOptions, apply
from bhq_migrate.verify import Status
from tests.verify.conftest import execute, failing_ids, result, run_verify


def test_a_database_migrated_by_apply_passes_every_declared_check(migrated_db: str) -> None:
    report = run_verify(migrated_db)
    assert report.plans == ["001", "002"]
    assert report.plan_selection == "history"
    assert report.failures == []
    assert report.ok
    declared = [r for r in report.results if r.plan]
    assert len(declared) > 500
    assert all(r.status is Status.PASS for r in declared)


def test_the_seeds_design_warts_are_warnings_that_strict_turns_into_failures(migrated_db: str) -> None:
    report = run_verify(migrated_db)
    warned_rules = {r.rule_id for r in report.results if r.status is Status.WARN}
    assert warned_rules == {"V003", "V004", "V005", "V006"}
    strict = run_verify(migrated_db, strict=True)
    assert not strict.ok
    assert {r.rule_id for r in strict.failures} == warned_rules


def test_the_optional_hardening_plan_supersedes_what_it_changes_and_passes(hardened_db: str) -> None:
    report = run_verify(hardened_db)
    assert report.plans == ["001", "002", "003"]
    assert report.failures == []
    # 002 said NOT NULL, 003 says nullable: only the later expectation is checked.
    invoice_id = [r for r in report.results if r.object == "marketplace.transactions.invoice_id"
                  and r.kind in ("col_not_null", "col_is_null")]
    assert [(r.plan, r.kind, r.status) for r in invoice_id] == [("003", "col_is_null", Status.PASS)]
    retyped = result(report, "003/col_type_is/public.Invoice.marketplaceTransactionId")
    assert retyped.found == "bigint"


def test_forcing_the_hardening_plan_on_a_database_without_it_lists_what_is_missing(migrated_db: str) -> None:
    report = run_verify(migrated_db, plans=("001", "002", "003"))
    failing = failing_ids(report)
    assert "003/col_type_is/public.Invoice.marketplaceTransactionId" in failing
    assert "003/has_index/marketplace.invoices_transaction_id_key" in failing
    assert "003/fk_ok/public.Invoice.Invoice_marketplaceTransactionId_fkey" in failing
    assert "003/col_type_is/marketplace.users.created_at" in failing


def test_the_unmigrated_baseline_fails_and_lists_the_missing_objects(baseline_db: str) -> None:
    report = run_verify(baseline_db)
    assert report.plan_selection == "default"
    assert report.plans == ["001", "002"]
    failing = failing_ids(report)
    assert "001/col_type_is/public.Invoice.amountCents" in failing
    assert "001/has_column/public.Invoice.deletedAt" in failing
    assert "001/has_index/public.Contact_marketplaceUserId_tenantId_key" in failing
    assert "001/hasnt_index/public.Contact_marketplaceUserId_idx" in failing
    assert "002/has_schema/marketplace" in failing
    assert "002/has_table/marketplace.users" in failing
    assert "V001/public.Payment.amountCents" in failing
    missing_table = result(report, "002/has_table/marketplace.transactions")
    assert "missing" in missing_table.message


def test_checks_about_a_missing_object_are_skipped_not_failed_twice(baseline_db: str) -> None:
    report = run_verify(baseline_db)
    column_type = result(report, "002/col_type_is/marketplace.users.email")
    assert column_type.status is Status.SKIP
    assert "marketplace.users" in column_type.message


def test_schema_filter_checks_only_that_schema(migrated_db: str) -> None:
    execute(migrated_db, 'ALTER TABLE "Invoice" ALTER COLUMN "amountCents" TYPE integer')
    report = run_verify(migrated_db, schemas=("marketplace",))
    assert all(r.table is None or r.table.startswith("marketplace.") for r in report.results)
    assert report.ok
    assert not run_verify(migrated_db, schemas=("public",)).ok


def test_table_filter_checks_only_that_table(migrated_db: str) -> None:
    report = run_verify(migrated_db, tables=("marketplace.users",))
    tables = {r.table for r in report.results if r.table}
    assert tables == {"marketplace.users"}


@pytest.mark.parametrize(
    ("schemas", "tables", "unmatched"),
    [
        (("nosuch",), (), "--schema nosuch matched nothing"),
        (("public", "nosuch"), (), "--schema nosuch matched nothing"),
        ((), ("nosuch",), "--table nosuch matched nothing"),
        ((), ("Invoice", "public.nosuch"), "--table public.nosuch matched nothing"),
        (("marketplace",), ("Invoice",), "--table Invoice matched nothing in schema(s) marketplace"),
        (("pg_catalog",), (), "--schema pg_catalog matched nothing"),
    ],
)
def test_a_filter_that_matches_nothing_is_an_error(
    migrated_db: str, schemas: tuple[str, ...], tables: tuple[str, ...], unmatched: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(unmatched)):
        run_verify(migrated_db, schemas=schemas, tables=tables)


def test_filters_by_name_or_qualified_name_match_tables(migrated_db: str) -> None:
    report = run_verify(migrated_db, schemas=("public", "marketplace"), tables=("Invoice", "marketplace.users"))
    assert {r.table for r in report.results if r.table} == {"public.Invoice", "marketplace.users"}


def test_an_edited_plan_file_after_apply_is_reported(baseline_db: str, plans_copy: Path) -> None:
    apply(baseline_db, ApplyOptions(plans_dir=plans_copy))
    edited = plans_copy / "002_marketplace_schema.sql"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n-- edited after apply\n", encoding="utf-8")
    report = run_verify(baseline_db, plans_dir=plans_copy)
    mismatch = result(report, "V007/plan 002")
    assert mismatch.status is Status.FAIL
    assert "002" in mismatch.message and mismatch.source == str(edited)
    assert "V007/plan 001" not in failing_ids(report)
