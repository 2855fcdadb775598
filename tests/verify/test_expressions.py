"""Predicates, CHECK value sets and defaults compare by meaning, against what PostgreSQL 15 really renders."""

from __future__ import annotations

import pytest

from bhq_migrate.verify.expressions import canonical_type, same_expression, value_set
from tests.helpers import scalar
from tests.verify.conftest import execute

# (how a plan writes it, what the server must render as an equivalent)
EQUIVALENT_PREDICATES = [
    pytest.param("status IN ('a', 'b')", id="in-list"),
    pytest.param("status = 'active'", id="varchar-equals-literal"),
    pytest.param("status NOT IN ('a', 'b')", id="not-in-list"),
    pytest.param("amount BETWEEN 0 AND total", id="between"),
    pytest.param("(status = 'a' OR amount IS NOT NULL) AND (status <> 'b' OR total IS NOT NULL)", id="and-of-ors"),
    pytest.param("flag = TRUE", id="boolean-literal"),
    pytest.param("amount >= -1", id="negative-number"),
    pytest.param("lower(status) = 'x'", id="function-over-varchar"),
    pytest.param("amount > 0 AND total > 0 AND amount <= total", id="flat-and"),
]


@pytest.fixture
def probe_db(empty_db: str) -> str:
    execute(empty_db, "CREATE TABLE probe (status varchar(20), amount bigint, total bigint, flag boolean)")
    return empty_db


@pytest.mark.parametrize("source", EQUIVALENT_PREDICATES)
def test_a_check_written_by_a_plan_matches_the_servers_rendering(probe_db: str, source: str) -> None:
    execute(probe_db, f"ALTER TABLE probe ADD CONSTRAINT probe_check CHECK ({source})")
    rendered = scalar(probe_db, "SELECT pg_get_expr(conbin, conrelid) FROM pg_constraint WHERE conname = 'probe_check'")
    assert rendered != source  # the server really re-renders it...
    assert same_expression(source, rendered)  # ...and it still means the same


@pytest.mark.parametrize("source", EQUIVALENT_PREDICATES)
def test_a_partial_index_predicate_matches_the_servers_rendering(probe_db: str, source: str) -> None:
    execute(probe_db, f"CREATE INDEX probe_idx ON probe (amount) WHERE {source}")
    rendered = scalar(
        probe_db, "SELECT pg_get_expr(indpred, indrelid) FROM pg_index WHERE indexrelid = 'probe_idx'::regclass"
    )
    assert same_expression(source, rendered)


@pytest.mark.parametrize(
    ("expected", "other"),
    [
        pytest.param("status IN ('a', 'b')", "status IN ('a', 'b', 'c')", id="value-added"),
        pytest.param("status IN ('a', 'b')", "status NOT IN ('a', 'b')", id="negated"),
        pytest.param("amount >= 0", "amount > 0", id="operator"),
        pytest.param("amount >= 0", "amount >= -1", id="sign-of-literal"),
        pytest.param("status = 'a' OR amount > 0", "status = 'a' AND amount > 0", id="and-vs-or"),
        pytest.param("amount IS NULL", "amount IS NOT NULL", id="null-test"),
    ],
)
def test_different_meanings_stay_different(probe_db: str, expected: str, other: str) -> None:
    execute(probe_db, f"ALTER TABLE probe ADD CONSTRAINT probe_check CHECK ({other})")
    rendered = scalar(probe_db, "SELECT pg_get_expr(conbin, conrelid) FROM pg_constraint WHERE conname = 'probe_check'")
    assert not same_expression(expected, rendered)


def test_the_value_set_of_a_rendered_check_is_a_set(probe_db: str) -> None:
    execute(probe_db, "ALTER TABLE probe ADD CONSTRAINT probe_check CHECK (status IN ('b', 'a', 'c'))")
    rendered = scalar(probe_db, "SELECT pg_get_expr(conbin, conrelid) FROM pg_constraint WHERE conname = 'probe_check'")
    found = value_set(rendered)
    assert found is not None
    assert (found.column, found.values, found.negated) == ("status", frozenset({"a", "b", "c"}), False)


@pytest.mark.parametrize(
    ("default", "column_type"),
    [("'manual'", "varchar(50)"), ("FALSE", "boolean"), ("0", "bigint"), ("0.00", "numeric(3,2)"),
     ("NOW()", "timestamp"), ("CURRENT_TIMESTAMP", "timestamptz")],
)
def test_a_default_matches_the_servers_rendering(empty_db: str, default: str, column_type: str) -> None:
    execute(empty_db, f"CREATE TABLE probe (c {column_type} DEFAULT {default})")
    rendered = scalar(empty_db, "SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef WHERE adrelid = 'probe'::regclass")
    assert same_expression(default, rendered)


@pytest.mark.parametrize(
    "written", ["varchar(255)", "timestamptz", "timestamp(3)", "int", "bigint", "decimal(3,2)", "text[]", "bool"]
)
def test_a_type_as_a_plan_writes_it_reads_as_format_type_renders_it(empty_db: str, written: str) -> None:
    execute(empty_db, f"CREATE TABLE probe (c {written})")
    rendered = scalar(empty_db, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                                "WHERE attrelid = 'probe'::regclass AND attname = 'c'")
    assert canonical_type(written) == rendered
