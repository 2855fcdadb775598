"""Isolation audits V008-V013 and the ``--probe-role`` proof, on a database migrated with 001, 002 and 004.

Each audit passes on the migrated database and fails when one thing is broken; the probe proves the policies
by behaviour, catches what reading them cannot (a policy that handles NULL but not ''), and reports one
result per table and command in every format.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest

from bhq_migrate.baseline.loader import SampleSize, load_baseline, load_sample_data
from bhq_migrate.errors import ConfigError
from bhq_migrate.migrate.runner import ApplyOptions, apply
from bhq_migrate.verify.results import Status, VerifyReport
from tests.conftest import APP_ROLE, PLANS_DIR, create_app_role
from tests.helpers import run_cli, scalar
from tests.verify.conftest import execute, run_verify

if TYPE_CHECKING:
    from tests.pg import TestServer

ISOLATION_RULES = {"V008", "V009", "V010", "V011", "V012", "V013"}
TENANT_TABLES = ["public.Animal", "public.Contact", "public.Invoice", "public.Payment"]
PROBE_KINDS = ["probe-no-tenant-sees-nothing", "probe-empty-tenant-sees-nothing", "probe-tenant-sees-only-its-rows",
               "probe-cross-tenant-insert-refused", "probe-cross-tenant-update-refused"]


def isolation_findings(report: VerifyReport) -> set[str]:
    return {r.id for r in report.results if r.rule_id in ISOLATION_RULES and r.status is not Status.PASS}


def probe_results(report: VerifyReport) -> dict[str, Status]:
    return {r.id: r.status for r in report.results if r.id.startswith("probe/")}


def test_the_isolated_database_passes_every_isolation_audit_for_the_app_role(isolated_db: str) -> None:
    report = run_verify(isolated_db, app_roles=(APP_ROLE,))
    assert isolation_findings(report) == set()
    assert report.ok, [r.id for r in report.failures]
    assert {r.rule_id for r in report.results if r.status is Status.PASS} >= ISOLATION_RULES


def test_before_004_the_isolation_gaps_are_warnings(migrated_db: str) -> None:
    report = run_verify(migrated_db)
    found = {r.id: r.status for r in report.results if r.rule_id in ISOLATION_RULES and r.status is not Status.PASS}
    assert found == {
        **{f"V008/{table}": Status.WARN for table in TENANT_TABLES},
        "V012/public.Invoice.Invoice_clientPartyId_fkey": Status.WARN,
        "V012/public.Payment.Payment_invoiceId_fkey": Status.WARN,
    }


# (what is broken, SQL that breaks it, the findings it must produce: exactly these)
BREAKAGES = [
    pytest.param(['ALTER TABLE "Animal" DISABLE ROW LEVEL SECURITY'], {"V008/public.Animal"}, id="V008-disabled"),
    pytest.param(['ALTER TABLE "Payment" NO FORCE ROW LEVEL SECURITY'], {"V008/public.Payment"}, id="V008-not-forced"),
    pytest.param(['CREATE POLICY open ON "Contact" FOR SELECT USING (true)'], {"V010/public.Contact.open"},
                 id="V010-using-true"),
    pytest.param(['CREATE POLICY open ON "Contact" USING (true)'],  # FOR ALL: no WITH CHECK either
                 {"V010/public.Contact.open", "V009/public.Contact.open"}, id="V010-V009-using-true-for-all"),
    pytest.param(['CREATE POLICY by_name ON "Contact" FOR SELECT USING (name IS NOT NULL)'],
                 {"V010/public.Contact.by_name"}, id="V010-no-tenant-column"),
    pytest.param(['DROP POLICY tenant_isolation ON "Invoice"',
                  'CREATE POLICY tenant_isolation ON "Invoice" USING ("tenantId" = current_tenant_id())'],
                 {"V009/public.Invoice.tenant_isolation"}, id="V009-no-with-check"),
    pytest.param(['DROP POLICY tenant_isolation ON "Invoice"',
                  'CREATE POLICY reads ON "Invoice" FOR SELECT USING ("tenantId" = current_tenant_id())'],
                 {"V009/public.Invoice:INSERT", "V009/public.Invoice:UPDATE", "V009/public.Invoice:DELETE"},
                 id="V009-commands-uncovered"),
    pytest.param(['CREATE UNIQUE INDEX "Contact_email_key" ON "Contact" (email)'], {"V011/public.Contact_email_key"},
                 id="V011-unique-without-tenant"),
    pytest.param(['ALTER TABLE "Animal" ADD COLUMN "ownerId" int REFERENCES "Contact"(id)'],
                 {"V012/public.Animal.Animal_ownerId_fkey"}, id="V012-single-column-fk"),
    pytest.param(['CREATE UNIQUE INDEX "Contact_id_tenantId_key" ON "Contact" (id, "tenantId")',
                  'ALTER TABLE "Invoice" ADD CONSTRAINT "Invoice_swapped_fkey" FOREIGN KEY ("tenantId", '
                  '"clientPartyId") REFERENCES "Contact" (id, "tenantId") NOT VALID'],  # "tenantId" -> the contact's id
                 {"V012/public.Invoice.Invoice_swapped_fkey"}, id="V012-tenant-column-not-paired"),
    pytest.param([f'ALTER ROLE "{APP_ROLE}" SUPERUSER'], {f"V013/role {APP_ROLE} (superuser)"}, id="V013-superuser"),
    pytest.param([f'ALTER ROLE "{APP_ROLE}" BYPASSRLS'], {f"V013/role {APP_ROLE} (bypassrls)"}, id="V013-bypassrls"),
    pytest.param([f'ALTER TABLE "Animal" OWNER TO "{APP_ROLE}"'], {f"V013/role {APP_ROLE} (owner)"}, id="V013-owner"),
]


@pytest.mark.parametrize(("statements", "expected"), BREAKAGES)
def test_breaking_one_thing_fails_exactly_its_audit(isolated_db: str, statements: list[str], expected: set[str]
                                                    ) -> None:
    try:
        execute(isolated_db, *statements)
        report = run_verify(isolated_db, app_roles=(APP_ROLE,))
        assert isolation_findings(report) == expected
        assert {r.id for r in report.failures} >= expected  # errors, not warnings: the database relies on RLS
    finally:  # roles are cluster-wide: undo what the breakage did to the shared app role
        execute(isolated_db, f'ALTER ROLE "{APP_ROLE}" NOSUPERUSER NOBYPASSRLS')


def test_without_app_role_the_role_running_verify_is_checked(isolated_db: str) -> None:
    report = run_verify(isolated_db)  # the tests connect as the bootstrap superuser
    assert [r.id for r in report.failures if r.rule_id == "V013"] == ["V013/role postgres (superuser)"]


def test_an_unknown_app_role_is_a_usage_error(isolated_db: str) -> None:
    with pytest.raises(ConfigError, match="no such role: nobody_here"):
        run_verify(isolated_db, app_roles=("nobody_here",))


def test_the_probe_passes_with_one_result_per_table_and_command(isolated_db: str) -> None:
    report = run_verify(isolated_db, app_roles=(APP_ROLE,), probe_role=APP_ROLE, probe_writes=True)
    assert probe_results(report) == {f"probe/{kind}/{table}": Status.PASS for kind in PROBE_KINDS
                                     for table in TENANT_TABLES}
    assert report.ok
    # Always rolled back: the probe's INSERT/UPDATE attempts left nothing.
    assert scalar(isolated_db, 'SELECT count(*) FROM "Animal"') == 20


def test_without_writes_the_probe_only_reads(isolated_db: str) -> None:
    report = run_verify(isolated_db, probe_role=APP_ROLE, app_roles=(APP_ROLE,))
    assert {r.kind for r in report.results if r.id.startswith("probe/")} == set(PROBE_KINDS[:3])


def test_the_probe_catches_a_policy_that_handles_only_null(isolated_db: str) -> None:
    # NULL -> NULL -> no row, as it should; but '' (a pooled connection) is a cast error on every query.
    only_null = "\"tenantId\" = current_setting('app.tenant_id', true)::integer"
    execute(isolated_db, *(f'ALTER POLICY tenant_isolation ON "{table.split(".")[1]}" USING ({only_null}) '
                           f"WITH CHECK ({only_null})" for table in TENANT_TABLES))
    report = run_verify(isolated_db, app_roles=(APP_ROLE,), probe_role=APP_ROLE)
    statuses = probe_results(report)
    assert {key for key, status in statuses.items() if status is Status.FAIL} == {
        f"probe/probe-empty-tenant-sees-nothing/{table}" for table in TENANT_TABLES}
    empty = next(r for r in report.results if r.id == "probe/probe-empty-tenant-sees-nothing/public.Invoice")
    assert "22P02" in empty.message and "invalid input syntax" in empty.message
    assert isolation_findings(report) == set()  # reading the policies could not have told


def test_the_probe_catches_a_policy_that_lets_empty_see_everything(isolated_db: str) -> None:
    execute(isolated_db, "CREATE POLICY pooled ON \"Payment\" USING (current_setting('app.tenant_id', true) = '' "
                         "AND \"tenantId\" IS NOT NULL)")
    statuses = probe_results(run_verify(isolated_db, probe_role=APP_ROLE))
    assert statuses["probe/probe-empty-tenant-sees-nothing/public.Payment"] is Status.FAIL
    assert statuses["probe/probe-no-tenant-sees-nothing/public.Payment"] is Status.PASS


def test_the_probe_catches_a_using_true_policy_and_a_permissive_write(isolated_db: str) -> None:
    execute(isolated_db, 'CREATE POLICY open ON "Contact" FOR SELECT USING (true)',
            'CREATE POLICY anyone_inserts ON "Animal" FOR INSERT WITH CHECK (true)')
    report = run_verify(isolated_db, probe_role=APP_ROLE, probe_writes=True)
    failed = {key for key, status in probe_results(report).items() if status is Status.FAIL}
    assert failed == {"probe/probe-no-tenant-sees-nothing/public.Contact",
                      "probe/probe-empty-tenant-sees-nothing/public.Contact",
                      "probe/probe-tenant-sees-only-its-rows/public.Contact",
                      "probe/probe-cross-tenant-insert-refused/public.Animal"}


def test_the_probe_fails_a_table_without_rls(isolated_db: str) -> None:
    execute(isolated_db, 'ALTER TABLE "Invoice" DISABLE ROW LEVEL SECURITY')
    failed = {key for key, status in probe_results(run_verify(isolated_db, probe_role=APP_ROLE)).items()
              if status is Status.FAIL}
    assert failed == {f"probe/{kind}/public.Invoice" for kind in PROBE_KINDS[:3]}


@pytest.fixture
def one_tenant_db(pg_server: TestServer) -> Iterator[str]:
    name = pg_server.create_database()
    url = pg_server.url_for(name)
    with psycopg.connect(url) as conn:
        load_baseline(conn)
        load_sample_data(conn, SampleSize(tenants=1, contacts=5, animals=5, invoices=10, payments=5))
    apply(url, ApplyOptions(plans_dir=PLANS_DIR))
    apply(url, ApplyOptions(plans_dir=PLANS_DIR, only=("004",)))
    create_app_role(url)
    yield url
    pg_server.drop_database(name)


def test_with_one_tenant_the_probe_creates_a_second_inside_the_rolled_back_transaction(one_tenant_db: str) -> None:
    report = run_verify(one_tenant_db, probe_role=APP_ROLE, probe_writes=True, app_roles=(APP_ROLE,))
    assert set(probe_results(report).values()) == {Status.PASS}, [r.message for r in report.failures]
    assert len(probe_results(report)) == 20
    assert scalar(one_tenant_db, 'SELECT count(*) FROM "Tenant"') == 1
    assert scalar(one_tenant_db, 'SELECT count(DISTINCT "tenantId") FROM "Payment"') == 1


def test_a_probe_without_tenant_tables_is_a_usage_error(empty_db: str) -> None:
    execute(empty_db, f'DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = \'{APP_ROLE}\') THEN '
                      f'CREATE ROLE "{APP_ROLE}"; END IF; END $$')
    result = run_cli("verify", "-d", empty_db, "--probe-role", APP_ROLE)
    assert result.returncode == 2
    assert "no tenant table" in result.stderr and "Traceback" not in result.stderr


def test_cli_unknown_probe_role_and_writes_without_role_are_exit_2(isolated_db: str) -> None:
    unknown = run_cli("verify", "-d", isolated_db, "--probe-role", "nobody_here")
    assert unknown.returncode == 2 and "no such role: nobody_here" in unknown.stderr
    alone = run_cli("verify", "-d", isolated_db, "--probe-writes")
    assert alone.returncode == 2 and "--probe-role" in alone.stderr


def test_probe_results_in_json_sarif_and_junit(isolated_db: str, tmp_path: Path) -> None:
    execute(isolated_db, 'CREATE POLICY open ON "Contact" FOR SELECT USING (true)')
    common = ("verify", "-d", isolated_db, "--app-role", APP_ROLE, "--probe-role", APP_ROLE, "--probe-writes")

    as_json = run_cli(*common, "--format", "json")
    assert as_json.returncode == 1, as_json.stderr
    results = {r["id"]: r["status"] for r in json.loads(as_json.stdout)["results"] if r["id"].startswith("probe/")}
    assert len(results) == 20
    assert results["probe/probe-tenant-sees-only-its-rows/public.Contact"] == "fail"
    assert results["probe/probe-tenant-sees-only-its-rows/public.Invoice"] == "pass"

    junit = tmp_path / "verify.xml"
    as_sarif = run_cli(*common, "--format", "sarif", "--junit-xml", str(junit))
    assert as_sarif.returncode == 1, as_sarif.stderr
    run = json.loads(as_sarif.stdout)["runs"][0]
    probe_hits = [r for r in run["results"] if r["ruleId"].startswith("probe_")]
    assert {r["ruleId"] for r in probe_hits} == {"probe_no_tenant", "probe_empty_tenant", "probe_select"}
    assert any("public.Contact" in r["message"]["text"] for r in probe_hits)
    described = {rule["id"] for rule in run["tool"]["driver"]["rules"]}
    assert {"probe_select", "V010"} <= described

    suite = next(s for s in ET.parse(junit).getroot() if s.get("name") == "probe")
    cases = suite.findall("testcase")
    assert len(cases) == 20 and suite.get("tests") == "20" and suite.get("failures") == "3"
    failed = sorted(case.get("name") or "" for case in cases if case.find("failure") is not None)
    assert failed == sorted(f"probe/{kind}/public.Contact" for kind in PROBE_KINDS[:3])
