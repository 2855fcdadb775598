"""Every rule, as data: SQL it must flag and SQL it must accept (sqlfluff-style pass/fail cases).

Each case is linted on its own; a case that needs other statements first (a table created by an earlier
plan) lists them in ``given``, linted as an earlier file.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bhq_migrate.lint import RULES
from tests.lint.helpers import lint_sql


@dataclass(frozen=True)
class Case:
    rule: str
    fail: str
    passes: str
    given: str = ""


CASES = [
    Case(
        "L000",
        'ALTER TABLE "Tenant" ADD CONSTRAINT IF NOT EXISTS c CHECK (a > 0);',
        'ALTER TABLE "Tenant" ADD CONSTRAINT c CHECK (a > 0) NOT VALID;',
    ),
    Case(
        "L001",
        "BEGIN;\nCREATE TABLE IF NOT EXISTS t (id bigint);\nCOMMIT;",
        "CREATE TABLE IF NOT EXISTS t (id bigint);",
    ),
    Case(
        "L002",
        'ALTER TABLE "Invoice" ALTER COLUMN "amountCents" TYPE BIGINT;',
        'ALTER TABLE "Invoice" ADD COLUMN IF NOT EXISTS "amountCentsV2" BIGINT;',
    ),
    Case(
        "L001",
        'CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON "Invoice" ("status");',
        '-- transactional: false\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON "Invoice" ("status");',
    ),
    Case(
        "L003",
        'CREATE INDEX IF NOT EXISTS i ON "Invoice" ("status");',
        'CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON "Invoice" ("status");',
    ),
    Case(
        "L004",
        'ALTER TABLE "Invoice" ADD CONSTRAINT c CHECK ("amountCents" >= 0);',
        'ALTER TABLE "Invoice" ADD CONSTRAINT c CHECK ("amountCents" >= 0) NOT VALID;',
    ),
    Case(
        "L005",
        'ALTER TABLE "Invoice" ALTER COLUMN "status" SET NOT NULL;',
        'ALTER TABLE "Invoice" ALTER COLUMN "status" DROP NOT NULL;',
    ),
    Case(
        "L006",
        'ALTER TABLE "Invoice" ADD COLUMN IF NOT EXISTS token uuid DEFAULT gen_random_uuid();',
        'ALTER TABLE "Invoice" ADD COLUMN IF NOT EXISTS seen timestamptz DEFAULT now();',
    ),
    Case(
        "L007",
        'ALTER TABLE "Invoice" ADD COLUMN IF NOT EXISTS note text;',
        "SET lock_timeout = '5s';\nALTER TABLE \"Invoice\" ADD COLUMN IF NOT EXISTS note text;",
    ),
    Case("L008", "CREATE TABLE t (id bigint);", "CREATE TABLE IF NOT EXISTS t (id bigint);"),
    Case(
        "L009",
        "CREATE TABLE IF NOT EXISTS t (id bigint, total_cents INTEGER);",
        "CREATE TABLE IF NOT EXISTS t (id bigint, total_cents BIGINT);",
    ),
    Case(
        "L010",
        "CREATE TABLE IF NOT EXISTS t (id bigint, created_at TIMESTAMP);",
        "CREATE TABLE IF NOT EXISTS t (id bigint, created_at TIMESTAMPTZ);",
    ),
    Case(
        "L011",
        "CREATE TABLE IF NOT EXISTS u (id bigint, email text UNIQUE);\n"
        "CREATE INDEX IF NOT EXISTS u_email ON u (email);",
        "CREATE TABLE IF NOT EXISTS u (id bigint, email text UNIQUE);\n"
        "CREATE INDEX IF NOT EXISTS u_email_lower ON u (lower(email));",
    ),
    Case(
        "L012",
        "CREATE TABLE IF NOT EXISTS c (id bigint, t_id INTEGER REFERENCES t (id));",
        "CREATE TABLE IF NOT EXISTS c (id bigint, t_id BIGINT REFERENCES t (id));",
        given="CREATE TABLE IF NOT EXISTS t (id BIGSERIAL PRIMARY KEY);",
    ),
    Case(
        "L013",
        'CREATE UNIQUE INDEX IF NOT EXISTS k ON "Contact" ("email", "tenantId");',
        'CREATE UNIQUE INDEX IF NOT EXISTS k ON "Contact" ("email", "tenantId") WHERE "deletedAt" IS NULL;',
        given='ALTER TABLE "Contact" ADD COLUMN IF NOT EXISTS "deletedAt" timestamptz;',
    ),
    Case(
        "L014",
        "CREATE TABLE IF NOT EXISTS invoices (id bigint, user_id bigint REFERENCES users (id) ON DELETE CASCADE);",
        "CREATE TABLE IF NOT EXISTS invoices (id bigint, user_id bigint REFERENCES users (id) ON DELETE RESTRICT);",
    ),
    Case(
        "L015",
        "CREATE TABLE IF NOT EXISTS b (id bigint, payment_mode text CHECK (payment_mode IN ('stripe')));",
        "CREATE TABLE IF NOT EXISTS b (id bigint, payment_mode text CHECK (payment_mode IN ('stripe', 'manual')));",
        given="CREATE TABLE IF NOT EXISTS a (id bigint, payment_mode text "
        "CHECK (payment_mode IN ('stripe', 'manual')));",
    ),
    Case(
        "L016",
        'ALTER TABLE "Invoice" ALTER COLUMN a TYPE bigint;\nALTER TABLE "Invoice" ALTER COLUMN b TYPE bigint;',
        'ALTER TABLE "Invoice" ALTER COLUMN a TYPE bigint, ALTER COLUMN b TYPE bigint;',
    ),
    Case(
        "L017",
        'CREATE INDEX IF NOT EXISTS i ON t ("deletedAt") WHERE "deletedAt" IS NULL;',
        'CREATE INDEX IF NOT EXISTS i ON t ("tenantId") WHERE "deletedAt" IS NULL;',
    ),
    Case(
        "L018",
        "CREATE UNIQUE INDEX IF NOT EXISTS k ON t (a, b) WHERE a IS NOT NULL;",
        "CREATE UNIQUE INDEX IF NOT EXISTS k ON t (a, b);",
    ),
    Case(
        "L019",
        "-- bhq-migrate-ignore no-such-rule -- because\nCREATE TABLE IF NOT EXISTS t (id bigint);",
        "-- bhq-migrate-ignore create-without-if-not-exists -- created once by hand\nCREATE TABLE t (id bigint);",
    ),
]


def test_every_rule_has_a_case() -> None:
    assert {case.rule for case in CASES} == {lint_rule.rule.id for lint_rule in RULES}


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.rule)
def test_rule_flags_its_failing_case(case: Case) -> None:
    texts = (case.given, case.fail) if case.given else (case.fail,)
    findings = lint_sql(*texts)
    assert case.rule in {f.rule for f in findings if f.file == f"plan{len(texts)}.sql"}


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.rule)
def test_rule_accepts_its_passing_case(case: Case) -> None:
    texts = (case.given, case.passes) if case.given else (case.passes,)
    findings = lint_sql(*texts)
    assert case.rule not in {finding.rule for finding in findings}


def test_rewrites_inside_a_do_block_count_once() -> None:
    text = (
        'DO $$ BEGIN ALTER TABLE "Invoice" ALTER COLUMN a TYPE bigint; END $$;\n'
        'ALTER TABLE "Invoice" ALTER COLUMN b TYPE bigint;'
    )
    assert len([f for f in lint_sql(text) if f.rule == "L016"]) == 1
