"""The pre-fix baseline and its sample data: Prisma's shapes, INT money, deterministic rows."""

from __future__ import annotations

import psycopg

from bhq_migrate.baseline.loader import SampleSize, load_baseline, load_sample_data
from tests.helpers import column_type, query


def test_baseline_has_prisma_tables_with_integer_money(empty_db: str) -> None:
    with psycopg.connect(empty_db) as conn:
        load_baseline(conn)
    tables = {row[0] for row in query(empty_db, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert tables == {"Tenant", "Contact", "Animal", "Invoice", "Payment"}
    assert column_type(empty_db, "Invoice", "amountCents") == "integer"
    assert column_type(empty_db, "Invoice", "createdAt") == "timestamp(3) without time zone"


def test_sample_data_is_deterministic(pg_server) -> None:  # type: ignore[no-untyped-def]
    digests = []
    for _ in range(2):
        name = pg_server.create_database()
        url = pg_server.url_for(name)
        try:
            with psycopg.connect(url) as conn:
                load_baseline(conn)
                load_sample_data(conn, SampleSize.scaled(5000))
            digests.append(query(url, """
                SELECT md5(string_agg(i::text, ',' ORDER BY i.id)), (SELECT md5(string_agg(p::text, ',' ORDER BY p.id))
                FROM "Payment" p) FROM "Invoice" i"""))
        finally:
            pg_server.drop_database(name)
    assert digests[0] == digests[1]


def test_sample_size_scales_every_table(empty_db: str) -> None:
    with psycopg.connect(empty_db) as conn:
        load_baseline(conn)
        load_sample_data(conn, SampleSize.scaled(4000))
    counts = query(empty_db, 'SELECT (SELECT count(*) FROM "Tenant"), (SELECT count(*) FROM "Contact"), '
                             '(SELECT count(*) FROM "Invoice"), (SELECT count(*) FROM "Payment")')
    assert counts == [(2, 400, 4000, 2000)]
