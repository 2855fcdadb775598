"""Each audit-prisma rule as data: a database and a schema.prisma where it fires, and a fix where it does not."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
import pytest

from bhq_migrate.findings import Severity
from bhq_migrate.prisma.audit import AuditReport, audit
from bhq_migrate.prisma.rules import RULES, Classification
from bhq_migrate.prisma_schema.parser import parse_schema

TABLE_A = 'CREATE TABLE "A" ("id" INTEGER NOT NULL, CONSTRAINT "A_pkey" PRIMARY KEY ("id"));'
TABLE_A_CODE = 'CREATE TABLE "A" ("id" INTEGER NOT NULL, "code" TEXT NOT NULL, CONSTRAINT "A_pkey" PRIMARY KEY ("id"));'
TABLE_B_REFERENCING_A = (
    'CREATE TABLE "B" ("id" INTEGER NOT NULL, "aId" INTEGER NOT NULL, CONSTRAINT "B_pkey" PRIMARY KEY ("id"), '
    'CONSTRAINT "B_aId_fkey" FOREIGN KEY ("aId") REFERENCES "A"("id") ON DELETE RESTRICT);'
)
MODEL_B = "model B {{\n  id Int @id\n  aId Int\n  a A @relation(fields: [aId], references: [id]{actions})\n}}\n"


@dataclass(frozen=True)
class Case:
    rule: str
    ddl: str
    fires: str  # schema.prisma models where the rule reports
    fixed: str  # the same with the difference fixed
    preview: str = ""


CASES = [
    Case("P001", TABLE_A, "model A {\n  id Int @id\n}\nmodel C {\n  id Int @id\n}\n", "model A {\n  id Int @id\n}\n"),
    Case("P002", TABLE_A, "model A {\n  id Int @id\n  name String\n}\n", "model A {\n  id Int @id\n}\n"),
    Case("P003", TABLE_A + 'ALTER TABLE "A" ADD COLUMN "extra" TEXT;', "model A {\n  id Int @id\n}\n",
         "model A {\n  id Int @id\n  extra String?\n}\n"),
    Case("P004", TABLE_A + 'ALTER TABLE "A" ADD COLUMN "name" VARCHAR(20) NOT NULL;',
         "model A {\n  id Int @id\n  name String\n}\n", "model A {\n  id Int @id\n  name String @db.VarChar(20)\n}\n"),
    Case("P005", TABLE_A + 'ALTER TABLE "A" ADD COLUMN "flag" BOOLEAN DEFAULT false;',
         "model A {\n  id Int @id\n  flag Boolean @default(false)\n}\n",
         "model A {\n  id Int @id\n  flag Boolean? @default(false)\n}\n"),
    Case("P006", TABLE_A + 'ALTER TABLE "A" ADD COLUMN "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;',
         "model A {\n  id Int @id\n  at DateTime @updatedAt\n}\n",
         "model A {\n  id Int @id\n  at DateTime @default(now()) @updatedAt\n}\n"),
    Case("P007", TABLE_A_CODE, "model A {\n  id Int @id\n  code String @unique\n}\n",
         "model A {\n  id Int @id\n  code String\n}\n"),
    Case("P008", TABLE_A_CODE, "model A {\n  id Int @id\n  code String\n  @@index([code])\n}\n",
         "model A {\n  id Int @id\n  code String\n}\n"),
    Case("P009", TABLE_A_CODE + 'CREATE INDEX "A_code_idx" ON "A"("code") WHERE "code" <> \'\';',
         "model A {\n  id Int @id\n  code String\n  @@index([code])\n}\n",
         "model A {\n  id Int @id\n  code String\n  @@index([code], where: raw(\"code <> ''\"))\n}\n",
         preview='generator client {\n  provider = "prisma-client-js"\n  previewFeatures = ["partialIndexes"]\n}\n'),
    Case("P010", TABLE_A_CODE + 'CREATE INDEX "a_by_code" ON "A"("code");',
         "model A {\n  id Int @id\n  code String\n  @@index([code])\n}\n",
         "model A {\n  id Int @id\n  code String\n  @@index([code], map: \"a_by_code\")\n}\n"),
    Case("P011", TABLE_A + TABLE_B_REFERENCING_A,
         "model A {\n  id Int @id\n  bs B[]\n}\n" + MODEL_B.format(actions=""),
         "model A {\n  id Int @id\n  bs B[]\n}\n" + MODEL_B.format(actions=", onUpdate: NoAction")),
    Case("P012", TABLE_A_CODE + 'CREATE INDEX "A_code_idx" ON "A"("code");',
         "model A {\n  id Int @id\n  code String\n}\n",
         "model A {\n  id Int @id\n  code String\n  @@index([code])\n}\n"),
    Case("P013", TABLE_A_CODE + 'ALTER TABLE "A" ADD CONSTRAINT "A_code_check" CHECK ("code" <> \'\');',
         "model A {\n  id Int @id\n  code String\n}\n", "model A {\n  id Int @id\n  code String\n}\n"),
]
DATASOURCE = 'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\n'


def _audit(url: str, ddl: str, models: str, preview: str = "") -> AuditReport:
    with psycopg.connect(url) as conn:
        conn.execute(ddl)  # type: ignore[arg-type]
        conn.commit()
        return audit(conn, parse_schema(DATASOURCE + preview + models, "schema.prisma"))


def test_every_rule_has_a_case() -> None:
    assert sorted({case.rule for case in CASES}) == sorted(rule.id for rule in RULES)


@pytest.mark.parametrize("case", CASES, ids=[case.rule for case in CASES])
def test_rule_reports_the_difference(empty_db: str, case: Case) -> None:
    report = _audit(empty_db, case.ddl, case.fires, case.preview)
    assert case.rule in {f.rule for f in report.findings}


DRIFT_CASES = [case for case in CASES if case.rule != "P013"]


@pytest.mark.parametrize("case", DRIFT_CASES, ids=[case.rule for case in DRIFT_CASES])
def test_fixed_schema_is_in_sync(empty_db: str, case: Case) -> None:
    report = _audit(empty_db, case.ddl, case.fixed, case.preview)
    assert report.findings == ()


def test_check_constraint_is_expected_and_keeps_the_schema_in_sync(empty_db: str) -> None:
    case = next(c for c in CASES if c.rule == "P013")
    report = _audit(empty_db, case.ddl, case.fires)
    assert [(f.rule, f.classification) for f in report.findings] == [("P013", Classification.EXPECTED)]
    assert report.in_sync


def test_partial_index_without_a_prisma_counterpart_is_expected(empty_db: str) -> None:
    report = _audit(
        empty_db, TABLE_A_CODE + 'CREATE INDEX "A_live" ON "A"("code") WHERE "code" <> \'\';',
        "model A {\n  id Int @id\n  code String\n}\n",
    )
    assert [(f.rule, f.subject) for f in report.findings] == [("P013", 'public."A" index "A_live"')]


def test_partial_index_is_drift_once_prisma_can_express_it(empty_db: str) -> None:
    """With the partialIndexes preview feature, Prisma sees partial indexes and drops undeclared ones."""
    report = _audit(
        empty_db, TABLE_A_CODE + 'CREATE INDEX "A_live" ON "A"("code") WHERE "code" <> \'\';',
        "model A {\n  id Int @id\n  code String\n}\n",
        preview='generator client {\n  provider = "prisma-client-js"\n  previewFeatures = ["partialIndexes"]\n}\n',
    )
    assert [f.rule for f in report.findings] == ["P012"]


def test_sort_order_difference_is_drift(empty_db: str) -> None:
    report = _audit(
        empty_db, TABLE_A_CODE + 'CREATE INDEX "A_code_idx" ON "A"("code" DESC);',
        "model A {\n  id Int @id\n  code String\n  @@index([code])\n}\n",
    )
    assert [f.rule for f in report.findings] == ["P008"]
    assert "sort order" in report.findings[0].message


def test_enum_values_are_compared(empty_db: str) -> None:
    report = _audit(
        empty_db,
        "CREATE TYPE \"Mode\" AS ENUM ('stripe', 'manual');" + TABLE_A + 'ALTER TABLE "A" ADD COLUMN "mode" "Mode";',
        "enum Mode {\n  stripe\n  manual\n  direct\n}\nmodel A {\n  id Int @id\n  mode Mode?\n}\n",
    )
    assert [f.rule for f in report.findings] == ["P004"]
    assert "direct" in report.findings[0].message


def test_mapped_names_and_schemas_are_used(empty_db: str) -> None:
    ddl = (
        "CREATE SCHEMA shop; "
        "CREATE TABLE shop.items (id INTEGER NOT NULL, item_code TEXT, CONSTRAINT items_pkey PRIMARY KEY (id));"
    )
    models = (
        'model Item {\n  id Int @id\n  code String? @map("item_code")\n  @@map("items")\n  @@schema("shop")\n}\n'
    )
    datasource = 'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n  schemas = ["shop"]\n}\n'
    with psycopg.connect(empty_db) as conn:
        conn.execute(ddl)
        conn.commit()
        report = audit(conn, parse_schema(datasource + models))
    assert report.findings == ()


def test_ignored_model_keeps_its_table(empty_db: str) -> None:
    report = _audit(empty_db, TABLE_A + 'CREATE TABLE "Legacy" ("x" TEXT);',
                    "model A {\n  id Int @id\n}\nmodel Legacy {\n  x String? @id\n  @@ignore\n}\n")
    assert report.findings == ()


def test_audit_runs_on_a_read_only_session(empty_db: str) -> None:
    """Read-only commands never write: a session that refuses writes is enough for the audit."""
    with psycopg.connect(empty_db) as conn:
        conn.execute(TABLE_A)
        conn.commit()
    with psycopg.connect(empty_db, options="-c default_transaction_read_only=on") as conn:
        report = audit(conn, parse_schema(DATASOURCE + "model A {\n  id Int @id\n}\n"))
    assert report.in_sync


def test_drift_rules_are_errors_and_expected_rules_are_info() -> None:
    for rule in RULES:
        expected_severity = Severity.ERROR if rule.classification is Classification.DRIFT else Severity.INFO
        assert rule.severity is expected_severity, rule.id
