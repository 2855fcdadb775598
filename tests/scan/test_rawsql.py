"""Raw SQL analysis with sqlglot (postgres dialect)."""

from __future__ import annotations

from bhq_migrate.scan.models import default_catalog
from bhq_migrate.scan.rawsql import analyse_sql

CATALOG = default_catalog(("Invoice", "Contact", "Animal"), ("deletedAt",), ("tenantId",))


def kinds(sql: str) -> list[tuple[str, str]]:
    return [(issue.kind, issue.table) for issue in analyse_sql(sql, CATALOG)]


def test_select_without_is_null_is_unscoped() -> None:
    assert kinds('SELECT * FROM "Invoice" WHERE "tenantId" = $1') == [("unscoped", "Invoice")]


def test_is_null_on_the_alias_scopes_the_table() -> None:
    assert kinds('SELECT i.id FROM "Invoice" i WHERE i."deletedAt" IS NULL') == []


def test_is_null_on_another_alias_does_not_scope_the_table() -> None:
    sql = 'SELECT i.id FROM "Invoice" i JOIN "Contact" c ON c.id = i."contactId" WHERE c."deletedAt" IS NULL'
    assert kinds(sql) == [("unscoped", "Invoice")]


def test_is_null_in_the_join_condition_scopes_the_joined_table() -> None:
    sql = ('SELECT i.id FROM "Invoice" i LEFT JOIN "Contact" c ON c.id = i."contactId" AND c."deletedAt" IS NULL '
           'WHERE i."deletedAt" IS NULL')
    assert kinds(sql) == []


def test_is_null_under_or_does_not_scope() -> None:
    assert kinds('SELECT * FROM "Invoice" WHERE id = $1 OR "deletedAt" IS NULL') == [("unscoped", "Invoice")]


def test_subquery_reads_are_checked() -> None:
    sql = 'SELECT * FROM "Payment" p WHERE p."invoiceId" IN (SELECT id FROM "Invoice")'
    assert kinds(sql) == [("unscoped", "Invoice")]


def test_update_without_is_null_is_unscoped_and_delete_is_hard() -> None:
    assert kinds('UPDATE "Contact" SET email = $1 WHERE id = $2') == [("unscoped", "Contact")]
    assert kinds('DELETE FROM "Animal" WHERE id = $1') == [("hard-delete", "Animal")]


def test_tables_without_soft_delete_are_ignored() -> None:
    assert kinds('SELECT * FROM "Payment"; DELETE FROM "Payment" WHERE id = $1') == []


def test_sql_that_does_not_parse_is_reported_not_raised() -> None:
    assert [kind for kind, _ in kinds("SELEC FROM WHERE ((")] == ["unparsed"]
    assert [kind for kind, _ in kinds("SELECT 'unterminated")] == ["unparsed"]


def test_parse_errors_are_said_in_words_without_parser_internals() -> None:
    from bhq_migrate.scan.rawsql import analyse_sql

    issues = analyse_sql('SELECT * FROM "Invoice" WHERE id <= $2 $3 GROUP BY 1', default_catalog(
        ("Invoice",), ("deletedAt",), ("tenantId",)))
    assert issues and issues[0].kind == "unparsed"
    assert "Col:" not in issues[0].detail and "could not be read" in issues[0].detail


def test_sqlglot_class_names_never_reach_the_message() -> None:
    issues = analyse_sql('SELECT * FROM "Invoice" WHERE a = $1 AND  GROUP BY x', CATALOG)
    assert [issue.kind for issue in issues] == ["unparsed"]
    assert "<class" not in issues[0].detail and "sqlglot" not in issues[0].detail
    assert "an incomplete AND near 'GROUP BY'" in issues[0].detail
