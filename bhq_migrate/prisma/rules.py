"""The audit-prisma rules: one documented rule per kind of disagreement between schema.prisma and the database.

Each rule says how Prisma Migrate will treat the difference:

* ``drift``: Prisma sees it. ``prisma migrate dev`` reports drift and writes a migration that changes
  the database to match schema.prisma (or fails trying), and ``prisma db push`` would apply it.
* ``expected``: Prisma cannot express the object (CHECK constraints, partial or expression indexes,
  exclusion constraints) and leaves it alone. Nothing to fix; keep it in a bhq-migrate plan.
"""

from __future__ import annotations

from enum import Enum

from bhq_migrate.findings import Rule, Severity


class Classification(str, Enum):
    DRIFT = "drift"
    EXPECTED = "expected"


class PrismaRule(Rule):
    """A rule with the consequence of its findings for Prisma Migrate."""

    classification: Classification


def _drift(rule_id: str, name: str, title: str, rationale: str, fix: str) -> PrismaRule:
    return PrismaRule(
        id=rule_id, name=name, title=title, severity=Severity.ERROR, rationale=rationale, fix=fix,
        classification=Classification.DRIFT,
    )


MODEL_MISSING_IN_DATABASE = _drift(
    "P001", "model-missing-in-database", "A model has no table in the database",
    "Prisma Migrate will create the table on the next `migrate dev`; queries through the model fail until then.",
    "Apply the plan that creates the table, or fix the model's @@map/@@schema.",
)
FIELD_MISSING_IN_DATABASE = _drift(
    "P002", "field-missing-in-database", "A scalar field has no column in the database",
    "Prisma Client selects every scalar field, so queries on the model fail until the column exists.",
    "Apply the plan that adds the column, or fix the field's @map.",
)
COLUMN_MISSING_IN_PRISMA = _drift(
    "P003", "column-missing-in-prisma", "A database column has no field in the model",
    "Prisma Migrate treats the column as drift: the next `migrate dev` writes a migration that drops it, "
    "with its data.",
    "Add the field to the model (with @map if the names differ), or mark it with @ignore.",
)
TYPE_MISMATCH = _drift(
    "P004", "type-mismatch", "A field's type differs from its column's type",
    "Prisma maps String to text, Int to integer, DateTime to timestamp(3) unless a @db.* native type says "
    "otherwise; any other column type is drift, and `migrate dev` writes an ALTER COLUMN ... TYPE.",
    "Give the field the native type of the column (e.g. @db.VarChar(255), @db.Timestamp(6)), or change the "
    "column in a plan.",
)
NULLABILITY_MISMATCH = _drift(
    "P005", "nullability-mismatch", "A field's optionality differs from its column's NULL constraint",
    "A required field over a nullable column (or the reverse) is drift; `migrate dev` writes SET/DROP NOT "
    "NULL, and the client may read a NULL it does not expect.",
    "Make the field optional (`?`) to match a nullable column, or add NOT NULL in a plan.",
)
DEFAULT_MISMATCH = _drift(
    "P006", "default-mismatch", "A field's @default differs from its column's DEFAULT",
    "Prisma compares column defaults: a DEFAULT the schema does not declare (e.g. NOW() under @updatedAt) "
    "or a different value is drift, and `migrate dev` writes SET/DROP DEFAULT.",
    "Declare the same default (@default(now()), @default(false), ...), or change the column in a plan.",
)
UNIQUE_NOT_IN_DATABASE = _drift(
    "P007", "unique-not-in-database", "A @id, @unique or @@unique has no matching database object",
    "The schema promises uniqueness the database does not enforce; Prisma Client's findUnique and 1:1 "
    "relations rely on it, and `migrate dev` will create the index, failing on duplicate rows.",
    "Add the unique index in a plan (after resolving duplicates), or remove the attribute.",
)
INDEX_NOT_IN_DATABASE = _drift(
    "P008", "index-not-in-database", "An @@index has no matching database index",
    "`migrate dev` will create the index, with a lock on the table during the build.",
    "Add the index in a plan (CREATE INDEX CONCURRENTLY on a busy table), or remove the @@index.",
)
INDEX_IS_PARTIAL_IN_DATABASE = _drift(
    "P009", "index-is-partial-in-database",
    "An @@index/@@unique is a partial index in the database (expressed differently)",
    "The schema declares a full index where the database has a partial one. Prisma before 7.4 does not "
    "see partial indexes at all, so `migrate dev` tries to create the declared index again (failing when "
    "the name is taken, or adding a duplicate). Prisma 7.4+ without the partialIndexes preview feature "
    "ignores the predicate and stays silent, but a database built from schema.prisma (migrate reset, db "
    "push) still gets a full index, and a unique one rejects rows the partial index allows.",
    "Remove the @@index/@@unique and keep the partial index in a plan, or, with Prisma's partialIndexes "
    'preview feature, declare it with where: raw("...").',
)
NAME_DIFFERS = _drift(
    "P010", "constraint-name-differs", "An index or constraint exists under another name than Prisma expects",
    "Prisma names objects <table>_<columns>_idx/_key/_pkey/_fkey unless map: says otherwise; a different "
    "name is drift and `migrate dev` writes a rename.",
    'Add map: "<database name>" to the attribute.',
)
FOREIGN_KEY_DIFFERS = _drift(
    "P011", "foreign-key-differs", "A relation has no matching foreign key, or its actions differ",
    "Prisma defaults to onDelete Restrict (SetNull for optional relations) and onUpdate Cascade; a missing "
    "foreign key or other actions are drift.",
    "Declare the database's actions (onDelete:/onUpdate:) on the @relation, or fix the constraint in a plan.",
)
UNKNOWN_TO_PRISMA = _drift(
    "P012",
    "database-object-unknown-to-prisma",
    "A table, index or constraint Prisma could express is not in the schema",
    "Prisma Migrate sees the object and, since schema.prisma does not declare it, the next `migrate dev` "
    "writes a migration that drops it.",
    "Declare it in schema.prisma (model, @@index, @@unique or @relation), or drop it in a plan.",
)
NOT_EXPRESSIBLE = PrismaRule(
    id="P013",
    name="not-expressible-in-prisma",
    title="A database object Prisma cannot express (CHECK, partial or expression index, EXCLUDE)",
    severity=Severity.INFO,
    rationale="Prisma has no syntax for it and Prisma Migrate leaves it alone, so it is expected. It lives "
    "only in the plans: a database built from schema.prisma alone (prisma migrate reset, db push) lacks it.",
    fix="Nothing to change in schema.prisma; keep the object in a bhq-migrate plan (and the exported "
    "Prisma migrations).",
    classification=Classification.EXPECTED,
)

RULES: tuple[PrismaRule, ...] = (
    MODEL_MISSING_IN_DATABASE,
    FIELD_MISSING_IN_DATABASE,
    COLUMN_MISSING_IN_PRISMA,
    TYPE_MISMATCH,
    NULLABILITY_MISMATCH,
    DEFAULT_MISMATCH,
    UNIQUE_NOT_IN_DATABASE,
    INDEX_NOT_IN_DATABASE,
    INDEX_IS_PARTIAL_IN_DATABASE,
    NAME_DIFFERS,
    FOREIGN_KEY_DIFFERS,
    UNKNOWN_TO_PRISMA,
    NOT_EXPRESSIBLE,
)
