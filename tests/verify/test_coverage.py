"""Plans and checks cannot drift apart: everything a plan creates, alters or drops has an expectation."""

from __future__ import annotations

from pathlib import Path

import pytest

from bhq_migrate.plans import Plan, load_plan, load_plans
from bhq_migrate.verify.coverage import touched, uncovered
from bhq_migrate.verify.expectations import ChecksFile, load_checks_file
from tests.conftest import CHECKS_DIR, PLANS_DIR
from tests.helpers import scalar
from tests.verify.conftest import execute

PLANS = {plan.id: plan for plan in load_plans(PLANS_DIR)}


def checks_for(plan: Plan) -> ChecksFile:
    return load_checks_file(CHECKS_DIR / f"{plan.id}_{plan.name}.toml")


@pytest.mark.parametrize("plan_id", sorted(PLANS))
def test_every_object_a_plan_touches_has_an_expectation(plan_id: str) -> None:
    plan = PLANS[plan_id]
    missing = uncovered(plan, checks_for(plan))
    assert missing == [], "\n".join(item.describe() for item in missing)


def test_a_removed_expectation_is_reported_with_its_plan_line() -> None:
    plan = PLANS["001"]
    checks = checks_for(plan)
    invoice = checks.tables["Invoice"]
    trimmed = checks.model_copy(update={"tables": {**checks.tables, "Invoice": invoice.model_copy(
        update={"indexes": {k: v for k, v in invoice.indexes.items() if k != "Invoice_stripe_idx"}})}})
    missing = uncovered(plan, trimmed)
    assert [item.subject for item in missing] == ["index public.Invoice_stripe_idx"]
    assert plan.text.splitlines()[missing[0].line - 1].startswith('CREATE INDEX IF NOT EXISTS "Invoice_stripe_idx"')


def test_statements_inside_do_blocks_are_covered_too() -> None:
    subjects = {item.subject for item in touched(PLANS["003"])[0]}
    assert "constraint public.Invoice.Invoice_marketplaceTransactionId_fkey" in subjects
    assert "constraint marketplace.users.users_tenant_id_fkey" in subjects


def test_only_the_hardening_timestamp_loop_is_opaque() -> None:
    # 004 names its tables (apply --online must see its index builds), so it is covered statement by statement.
    opaque = {(item.plan, item.reason) for plan in PLANS.values() for item in touched(plan)[1]}
    assert opaque == {("003", "dynamic SQL (EXECUTE) in a DO block")}


def test_hardening_declares_timestamptz_for_every_marketplace_timestamp_column_002_creates() -> None:
    # What the opaque loop in 003 does, derived from 002's own CREATE TABLE statements.
    import pglast
    from pglast import ast

    naive: set[str] = set()
    for statement in PLANS["002"].statements:
        for raw in pglast.parse_sql(statement.sql):
            stmt = raw.stmt
            if isinstance(stmt, ast.CreateStmt) and stmt.relation.schemaname == "marketplace":
                for element in stmt.tableElts:
                    if isinstance(element, ast.ColumnDef) and element.typeName.names[-1].sval == "timestamp":
                        naive.add(f"marketplace.{stmt.relation.relname}.{element.colname}")
    checks = checks_for(PLANS["003"])
    declared = {
        f"{table}.{column}"
        for table, spec in checks.tables.items()
        for column, column_spec in spec.columns.items()
        if column_spec.type == "timestamp with time zone"
    }
    assert naive and naive == declared


@pytest.mark.parametrize(
    ("ddl", "expected_name"),
    [
        ("CREATE TABLE s.t (a int CHECK (a > 0))", "constraint s.t.t_a_check"),
        ("CREATE TABLE s.t (a int, b int, CHECK (b > 0))", "constraint s.t.t_b_check"),
        ("CREATE TABLE s.t (a int, b int, CHECK (b > a))", "constraint s.t.t_check"),
        ("CREATE TABLE s.t (a int, b int, UNIQUE (a, b))", "constraint s.t.t_a_b_key"),
        ("CREATE TABLE s.t (a int REFERENCES s.u)", "constraint s.t.t_a_fkey"),
    ],
)
def test_unnamed_constraints_get_postgresqls_default_names(
    empty_db: str, tmp_path: Path, ddl: str, expected_name: str
) -> None:
    plan_file = tmp_path / "001_example.sql"
    plan_file.write_text(ddl + ";\n")
    subjects = {item.subject for item in touched(load_plan(plan_file))[0]}
    assert expected_name in subjects
    # ...and that is the name PostgreSQL really gives it
    execute(empty_db, "CREATE SCHEMA s", "CREATE TABLE s.u (id int PRIMARY KEY)", ddl)
    assert scalar(empty_db, "SELECT count(*) FROM pg_constraint WHERE conname = %s",
                  (expected_name.rsplit(".", 1)[-1],)) == 1
