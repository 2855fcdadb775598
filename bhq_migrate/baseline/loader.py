"""Load the pre-fix schema and sample data into a database the caller names."""

from __future__ import annotations

from importlib import resources

import psycopg
from pydantic import BaseModel, ConfigDict, Field


class SampleSize(BaseModel):
    """Row counts; ``SampleSize.scaled(invoices)`` keeps the other tables in proportion."""

    model_config = ConfigDict(frozen=True)

    tenants: int = Field(default=3, ge=1)
    contacts: int = Field(default=30, ge=0)
    animals: int = Field(default=30, ge=0)
    invoices: int = Field(default=100, ge=0)
    payments: int = Field(default=50, ge=0)

    @classmethod
    def scaled(cls, invoices: int, payments: int | None = None) -> SampleSize:
        return cls(
            tenants=max(1, invoices // 2000),
            contacts=max(1, invoices // 10),
            animals=max(1, invoices // 10),
            invoices=invoices,
            payments=invoices // 2 if payments is None else payments,
        )


def _read(name: str) -> str:
    return resources.files("bhq_migrate.baseline").joinpath(name).read_text(encoding="utf-8")


def baseline_sql() -> str:
    return _read("schema.sql")


def load_baseline(conn: psycopg.Connection[tuple]) -> None:  # type: ignore[type-arg]
    """Create the pre-fix tables (fails if they exist: the baseline is for empty databases)."""
    with conn.transaction():
        conn.execute(baseline_sql())


def load_sample_data(conn: psycopg.Connection[tuple], size: SampleSize | None = None) -> None:  # type: ignore[type-arg]
    """Insert deterministic rows, then ANALYZE so row estimates (plan, pre-flight) are real."""
    size = size or SampleSize()
    # A client-side cursor binds the integers into the text: the server's extended protocol
    # refuses several statements in one prepared query.
    with conn.transaction(), psycopg.ClientCursor(conn) as cur:
        cur.execute(_read("sample_data.sql"), size.model_dump())
        cur.execute('ANALYZE "Tenant", "Contact", "Animal", "Invoice", "Payment"')


def plant_duplicate_contacts(conn: psycopg.Connection[tuple], pairs: int = 1) -> None:  # type: ignore[type-arg]
    """Give ``pairs`` existing contacts a twin sharing (tenantId, marketplaceUserId), as production has."""
    with conn.transaction():
        conn.execute(
            """
            INSERT INTO "Contact" ("tenantId", "name", "email", "marketplaceUserId", "createdAt", "updatedAt")
            SELECT "tenantId", "name" || ' (duplicate)', "email", "marketplaceUserId", "createdAt", "updatedAt"
            FROM "Contact" WHERE "marketplaceUserId" IS NOT NULL ORDER BY "id" LIMIT %s
            """,
            (pairs,),
        )
