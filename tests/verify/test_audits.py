"""Each built-in audit rule, with a passing and a failing case on a tiny schema (rule tests as data)."""

from __future__ import annotations

import pytest

from bhq_migrate.findings import Severity
from bhq_migrate.verify.audits import (
    AUDITS,
    DEFAULT_MONEY_PATTERNS,
    DEFAULT_SOFT_DELETE_COLUMNS,
    RULES,
    AuditContext,
    Hit,
)
from bhq_migrate.verify.snapshot import AuditQuery, capture
from tests.verify.conftest import execute


def audit(url: str, rule_id: str, money_patterns: tuple[str, ...] = DEFAULT_MONEY_PATTERNS) -> list[Hit]:
    """Run one rule's catalog query (in a read-only snapshot) and turn its rows into hits."""
    module = next(m for m in AUDITS if m.RULE.id == rule_id)
    query = AuditQuery(rules=(module.QUERY,), money_patterns=money_patterns,
                       soft_delete_columns=DEFAULT_SOFT_DELETE_COLUMNS)
    hits: list[Hit] = module.run(AuditContext(snapshot=capture(url, audits=query)))
    return hits

# (rule id, schema SQL, objects the rule must report: [] means it must pass)
CASES = [
    pytest.param("V001", ['CREATE TABLE t ("amountCents" bigint, total_cents bigint, cents integer)'], [],
                 id="V001-pass-bigint-money"),
    pytest.param("V001", ['CREATE TABLE t ("amountCents" integer, total_cents numeric)'],
                 ["public.t.amountCents", "public.t.total_cents"], id="V001-fail-int-money"),
    pytest.param("V002", ["CREATE TABLE t (a int)", "CREATE INDEX t_a ON t (a)"], [], id="V002-pass"),
    pytest.param("V002", ["CREATE TABLE t (a int)", "INSERT INTO t VALUES (1), (1)",
                          "CREATE UNIQUE INDEX CONCURRENTLY t_a ON t (a)"], ["public.t_a"], id="V002-fail-invalid"),
    pytest.param("V003", ["CREATE TABLE p (id int PRIMARY KEY)",
                          "CREATE TABLE c (id int, p_id int REFERENCES p, other int)",
                          "CREATE INDEX c_p ON c (p_id, other)"], [], id="V003-pass-leading-column"),
    pytest.param("V003", ["CREATE TABLE p (id int PRIMARY KEY)",
                          "CREATE TABLE c (id int, p_id int REFERENCES p, other int)",
                          "CREATE INDEX c_p_partial ON c (p_id) WHERE p_id IS NOT NULL"], [],
                 id="V003-pass-not-null-partial"),
    pytest.param("V003", ["CREATE TABLE p (id int PRIMARY KEY)",
                          "CREATE TABLE c (id int, p_id int REFERENCES p, other int)",
                          "CREATE INDEX c_other_p ON c (other, p_id)"], ["public.c.c_p_id_fkey"],
                 id="V003-fail-not-leading"),
    pytest.param("V004", ["CREATE TABLE t (a int, b int, c int)", "CREATE INDEX t_ab ON t (a, b)",
                          "CREATE INDEX t_b ON t (b)", "CREATE INDEX t_a_desc ON t (a DESC)"], [],
                 id="V004-pass-distinct-indexes"),
    pytest.param("V004", ["CREATE TABLE t (a int UNIQUE, b int)", "CREATE INDEX t_a_idx ON t (a)"],
                 ["public.t_a_idx"], id="V004-fail-duplicates-unique-constraint"),
    pytest.param("V004", ["CREATE TABLE t (a int, b int)", "CREATE INDEX t_ab ON t (a, b)",
                          "CREATE INDEX t_a ON t (a) WHERE a IS NOT NULL"], ["public.t_a"],
                 id="V004-fail-prefix-of-another"),
    pytest.param("V005", ['CREATE TABLE t (email text, "deletedAt" timestamptz)',
                          'CREATE UNIQUE INDEX t_email ON t (email) WHERE "deletedAt" IS NULL'], [],
                 id="V005-pass-live-rows-only"),
    pytest.param("V005", ['CREATE TABLE t (email text UNIQUE, "deletedAt" timestamptz)'], ["public.t_email_key"],
                 id="V005-fail-counts-deleted"),
    pytest.param("V006", ["CREATE TABLE t (at timestamptz)"], [], id="V006-pass"),
    pytest.param("V006", ["CREATE TABLE t (at timestamp(3), ok timestamptz)"], ["public.t"], id="V006-fail"),
]


@pytest.mark.parametrize(("rule_id", "schema", "expected"), CASES)
def test_audit_rule(empty_db: str, rule_id: str, schema: list[str], expected: list[str]) -> None:
    for statement in schema:
        try:
            execute(empty_db, statement)
        except Exception:
            if "CONCURRENTLY" not in statement:  # a failed concurrent build is the point of V002's case
                raise
    hits = audit(empty_db, rule_id)
    assert sorted(hit.object for hit in hits) == sorted(expected)
    for hit in hits:
        assert hit.message and hit.table


def test_history_audit_passes_without_history_and_fails_on_an_edited_plan(migrated_db: str) -> None:
    module = next(m for m in AUDITS if m.RULE.id == "V007")
    snapshot = capture(migrated_db)
    assert snapshot.history is not None
    matching = {plan_id: (entry.sha256, f"{plan_id}.sql") for plan_id, entry in snapshot.history.items()}
    assert module.run(AuditContext(snapshot=snapshot, plan_files=matching)) == []
    edited = {**matching, "002": ("0" * 64, "002.sql")}
    assert [hit.object for hit in module.run(AuditContext(snapshot=snapshot, plan_files=edited))] == ["plan 002"]
    without_file = {k: v for k, v in matching.items() if k != "001"}
    hits = module.run(AuditContext(snapshot=snapshot, plan_files=without_file))
    assert [hit.found for hit in hits] == ["no file"]


def test_money_patterns_are_configurable(empty_db: str) -> None:
    execute(empty_db, "CREATE TABLE t (price_amount integer)")
    assert audit(empty_db, "V001") == []
    assert [hit.object for hit in audit(empty_db, "V001", money_patterns=("*_amount",))] == ["public.t.price_amount"]


def test_every_rule_has_a_stable_id_name_severity_rationale_and_fix() -> None:
    assert [rule.id for rule in RULES] == [f"V{n:03d}" for n in range(1, 15)]
    for rule in RULES:
        assert rule.name and rule.title and rule.rationale and rule.fix
    errors = {rule.id for rule in RULES if rule.severity is Severity.ERROR}
    # The isolation rules are errors, downgraded per finding to warnings before a database adopts RLS.
    assert errors == {"V001", "V002", "V007", "V008", "V009", "V010", "V011", "V012", "V013", "V014"}


# Redundancy is judged on the server's parse trees: the same predicate spelled differently is the same.
def test_redundant_index_with_the_same_predicate_spelled_differently(empty_db: str) -> None:
    execute(empty_db, "CREATE TABLE t (a int, s varchar(10))",
            "CREATE INDEX t_a_active ON t (a) WHERE s IN ('x', 'y')",
            "CREATE INDEX t_a_active_2 ON t (a) WHERE (s = ANY (ARRAY['x', 'y']))")
    assert [hit.object for hit in audit(empty_db, "V004")] == ["public.t_a_active_2"]


def test_indexes_with_different_predicates_are_not_redundant(empty_db: str) -> None:
    execute(empty_db, "CREATE TABLE t (a int, s text)", "CREATE INDEX t_x ON t (a) WHERE s = 'x'",
            "CREATE INDEX t_y ON t (a) WHERE s = 'y'")
    assert audit(empty_db, "V004") == []


def test_a_unique_index_is_not_redundant_to_a_wider_index(empty_db: str) -> None:
    execute(empty_db, "CREATE TABLE t (a int, b int)", "CREATE UNIQUE INDEX t_a ON t (a)",
            "CREATE INDEX t_ab ON t (a, b)")
    assert audit(empty_db, "V004") == []


def test_a_glob_pattern_treats_underscore_literally(empty_db: str) -> None:
    execute(empty_db, "CREATE TABLE t (totalcents integer, total_cents integer)")
    assert [hit.object for hit in audit(empty_db, "V001")] == ["public.t.total_cents"]
