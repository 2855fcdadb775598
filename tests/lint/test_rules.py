"""Every rule, as data: SQL it must flag and SQL it must accept (sqlfluff-style pass/fail cases).

Each case is linted on its own; a case that needs other statements first (a table created by an earlier
plan) lists them in ``given``, linted as an earlier file.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bhq_migrate.lint import RULES, LintOptions
from bhq_migrate.lint.context import Runner
from tests.lint.helpers import lint_sql


@dataclass(frozen=True)
class Case:
    rule: str
    fail: str
    passes: str
    given: str = ""
    runner: Runner = Runner.BHQ
    history: bool = False
    """Lint ``given`` and the case as migrations deployed one after another (LintOptions.history)."""


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
    Case(
        "L020",
        'ALTER TABLE "Invoice" DROP COLUMN "notes";',
        "CREATE TABLE IF NOT EXISTS t (id bigint, a text);\nALTER TABLE t DROP COLUMN a;",
    ),
    Case("L021", 'DROP TABLE "Invoice";', "CREATE TABLE IF NOT EXISTS t (id bigint);\nDROP TABLE t;"),
    Case(
        "L022",
        'ALTER TABLE "Invoice" DROP CONSTRAINT "Invoice_amount_check";',
        'ALTER TABLE "Invoice" ADD CONSTRAINT c CHECK ("amountCents" >= 0) NOT VALID;',
    ),
    Case("L023", "DROP TYPE invoice_status;", "CREATE TYPE invoice_status AS ENUM ('DRAFT', 'PAID');"),
    Case(
        "L024",
        'ALTER TABLE "Invoice" ALTER COLUMN "status" DROP DEFAULT;',
        'ALTER TABLE "Invoice" ALTER COLUMN "status" SET DEFAULT \'DRAFT\';',
    ),
    Case(
        "L025",
        'ALTER TABLE "Invoice" ALTER COLUMN "status" DROP NOT NULL;',
        "CREATE TABLE IF NOT EXISTS t (id bigint, a text NOT NULL);\nALTER TABLE t ALTER COLUMN a DROP NOT NULL;",
    ),
    Case(
        "L026",
        'ALTER TABLE "Invoice" RENAME TO "Bill";',
        "CREATE TABLE IF NOT EXISTS t (id bigint);\nALTER TABLE t RENAME TO u;",
    ),
    Case(
        "L027",
        'ALTER TABLE "Invoice" RENAME COLUMN "status" TO "state";',
        "CREATE TABLE IF NOT EXISTS t (id bigint, a text);\nALTER TABLE t RENAME COLUMN a TO b;",
    ),
    Case(
        "L028",
        'ALTER TABLE "Invoice" ADD COLUMN IF NOT EXISTS "currency" text NOT NULL;',
        'ALTER TABLE "Invoice" ADD COLUMN IF NOT EXISTS "currency" text NOT NULL DEFAULT \'USD\';',
    ),
    Case(
        "L029",
        "ALTER TYPE invoice_status ADD VALUE IF NOT EXISTS 'SENT' BEFORE 'PAID';",
        "ALTER TYPE invoice_status ADD VALUE IF NOT EXISTS 'SENT';",
    ),
    Case(
        "L030",
        'DROP INDEX IF EXISTS "Invoice_status_idx";',
        '-- transactional: false\nDROP INDEX CONCURRENTLY IF EXISTS "Invoice_status_idx";',
    ),
    Case(
        "L031",
        "CREATE TABLE IF NOT EXISTS t (id SERIAL PRIMARY KEY, a text);",
        "CREATE TABLE IF NOT EXISTS t (id BIGSERIAL PRIMARY KEY, a text);",
    ),
    Case(
        "L032",
        "CREATE TABLE IF NOT EXISTS t (id BIGSERIAL PRIMARY KEY);",
        "CREATE TABLE IF NOT EXISTS t (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY);",
    ),
    Case(
        "L033",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS " + "i" * 64 + ' ON "Invoice" ("status");',
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS " + "i" * 63 + ' ON "Invoice" ("status");',
    ),
    Case("L034", 'UPDATE "Invoice" SET "status" = \'PAID\';', 'UPDATE "Invoice" SET "status" = \'PAID\' WHERE id = 1;'),
    Case("L035", 'DELETE FROM "Invoice";', 'DELETE FROM "Invoice" WHERE id = 1;'),
    Case(
        "L036",
        'ALTER TABLE "Payment" ALTER COLUMN "amountCents" TYPE BIGINT;\n'
        'ALTER TABLE "Invoice" ALTER COLUMN "amountCents" TYPE BIGINT;',
        'ALTER TABLE "Payment" ALTER COLUMN "amountCents" TYPE BIGINT, ALTER COLUMN "feeCents" TYPE BIGINT;',
    ),
    Case(
        "L037",
        'ALTER TABLE "Invoice" ADD CONSTRAINT c CHECK ("amountCents" >= 0) NOT VALID;\n'
        'ALTER TABLE "Invoice" VALIDATE CONSTRAINT c;',
        'ALTER TABLE "Invoice" VALIDATE CONSTRAINT c;',
    ),
    Case(
        "L038",
        'ALTER TABLE "Invoice" ADD CONSTRAINT x EXCLUDE USING gist ("contactId" WITH =);',
        "CREATE TABLE IF NOT EXISTS t (id bigint, r tstzrange, EXCLUDE USING gist (r WITH &&));",
    ),
    Case(
        "L039",
        'CREATE TRIGGER tr AFTER INSERT ON "Invoice" FOR EACH ROW EXECUTE FUNCTION f();',
        "CREATE TABLE IF NOT EXISTS t (id bigint);\n"
        "CREATE TRIGGER tr AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();",
    ),
    Case("L040", 'DROP TRIGGER tr ON "Invoice";', 'CREATE TRIGGER tr AFTER INSERT ON "Invoice" EXECUTE FUNCTION f();'),
    Case(
        "L041",
        'REINDEX INDEX "Invoice_status_idx";',
        '-- transactional: false\nREINDEX INDEX CONCURRENTLY "Invoice_status_idx";',
    ),
    Case(
        "L042",
        "REFRESH MATERIALIZED VIEW invoice_totals;",
        "-- transactional: false\nREFRESH MATERIALIZED VIEW CONCURRENTLY invoice_totals;",
    ),
    Case("L043", 'VACUUM FULL "Invoice";', '-- transactional: false\nVACUUM (ANALYZE) "Invoice";'),
    Case(
        "L044",
        'ALTER TABLE "Invoice" ADD COLUMN IF NOT EXISTS d bigint GENERATED ALWAYS AS ("amountCents" * 2) STORED;',
        "CREATE TABLE IF NOT EXISTS t (id bigint, a bigint, d bigint GENERATED ALWAYS AS (a * 2) STORED);",
    ),
    Case("L045", 'TRUNCATE "Invoice";', "CREATE TABLE IF NOT EXISTS t (id bigint);\nTRUNCATE t;"),
    Case("L046", "DROP DATABASE breederhq;", "CREATE SCHEMA IF NOT EXISTS marketplace;"),
    Case(
        "L047",
        "CREATE TABLE IF NOT EXISTS t (id bigint, code char(3));",
        "CREATE TABLE IF NOT EXISTS t (id bigint, code text);",
    ),
    Case("L048", "DROP VIEW invoice_summary;", "CREATE OR REPLACE VIEW invoice_summary AS SELECT 1 AS one;"),
    Case(
        "L049",
        "DROP FUNCTION current_tenant();",
        "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';",
    ),
    Case(
        "L050",
        'ALTER TABLE "Invoice" ADD CONSTRAINT u UNIQUE ("number");',
        'ALTER TABLE "Invoice" ADD CONSTRAINT u UNIQUE USING INDEX "Invoice_number_key";',
    ),
    Case("L051", "CREATE DOMAIN cents AS bigint CHECK (VALUE >= 0);", "CREATE DOMAIN cents AS bigint;"),
    Case(  # the earlier migration tells lint the table is unlogged: SET LOGGED copies it, SET UNLOGGED is a no-op
        "L052",
        "ALTER TABLE audit_log SET LOGGED;",
        "ALTER TABLE audit_log SET UNLOGGED;",
        given="CREATE UNLOGGED TABLE IF NOT EXISTS audit_log (id bigint);",
        history=True,
    ),
    Case("L053", "DROP SCHEMA marketplace CASCADE;", "CREATE SCHEMA IF NOT EXISTS marketplace;"),
    Case(
        "L054",
        "BEGIN;\nCREATE TABLE IF NOT EXISTS t (id bigint);",
        "BEGIN;\nCREATE TABLE IF NOT EXISTS t (id bigint);\nCOMMIT;",
        runner=Runner.PRISMA,
    ),
    Case(
        "L055",
        "ALTER TYPE invoice_status ADD VALUE IF NOT EXISTS 'SENT';\n"
        "UPDATE \"Invoice\" SET status = 'SENT' WHERE id = 1;",
        "ALTER TYPE invoice_status ADD VALUE IF NOT EXISTS 'SENT';",
        given="",
    ),
    Case(
        "L056",
        "CREATE TABLE IF NOT EXISTS t (id bigint, doc json);",
        "CREATE TABLE IF NOT EXISTS t (id bigint, doc jsonb);",
    ),
    Case("L008", 'DROP INDEX CONCURRENTLY "Invoice_x_idx";', 'DROP INDEX CONCURRENTLY IF EXISTS "Invoice_x_idx";'),
]


def test_every_rule_has_a_case() -> None:
    assert {case.rule for case in CASES} == {lint_rule.rule.id for lint_rule in RULES}


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.rule)
def test_rule_flags_its_failing_case(case: Case) -> None:
    texts = (case.given, case.fail) if case.given else (case.fail,)
    findings = lint_sql(*texts, options=LintOptions(enable=("all",), runner=case.runner, history=case.history))
    assert case.rule in {f.rule for f in findings if f.file == f"plan{len(texts)}.sql"}


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.rule)
def test_rule_accepts_its_passing_case(case: Case) -> None:
    texts = (case.given, case.passes) if case.given else (case.passes,)
    findings = lint_sql(*texts, options=LintOptions(enable=("all",), runner=case.runner, history=case.history))
    assert case.rule not in {finding.rule for finding in findings}


def test_rewrites_inside_a_do_block_count_once() -> None:
    text = (
        'DO $$ BEGIN ALTER TABLE "Invoice" ALTER COLUMN a TYPE bigint; END $$;\n'
        'ALTER TABLE "Invoice" ALTER COLUMN b TYPE bigint;'
    )
    assert len([f for f in lint_sql(text) if f.rule == "L016"]) == 1


@pytest.mark.parametrize("sql", [
    f'CREATE TABLE "{"é" * 32}" (id bigint)',  # 64 bytes in 32 characters
    f"CREATE TABLE {'é' * 32} (id bigint)",
    f'CREATE TABLE "{"x" * 30}""{"y" * 33}" (id bigint)',  # an escaped quote inside the name
    f"CREATE TABLE t (id bigint DEFAULT 'it''s \"{'z' * 70}')",  # a long quoted word inside a string: no name
    f"COMMENT ON TABLE t IS '\"'; CREATE INDEX \"{'w' * 64}\" ON t (id)",
    f'ALTER TABLE t RENAME TO "{"v" * 63}"',  # exactly 63 bytes: allowed
])
def test_long_identifiers_agree_with_the_scanner(sql: str) -> None:
    """The pre-check that spares most statements the scanner misses nothing; names count bytes, offsets
    characters (so a name of 32 two-byte characters is too long, and is found where it is)."""
    from pglast import parser

    from bhq_migrate.lint.rules.l033_identifier_too_long import MAX_BYTES, long_identifiers

    expected = []
    for token in parser.scan(sql):  # every token, the scanner's way (its offsets count characters)
        text = sql[token.start : token.end + 1]
        name = text[1:-1].replace('""', '"') if text.startswith('"') else text
        if token.name == "IDENT" and len(name.encode("utf-8")) > MAX_BYTES:
            expected.append((token.start, name))
    assert list(long_identifiers(sql)) == expected
