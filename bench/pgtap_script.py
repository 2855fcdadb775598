"""Write bench/verify_pgtap.sql: the expectations `verify` checks (checks/001, 002), as pgTAP assertions.

    .venv/bin/python bench/pgtap_script.py          # regenerates bench/verify_pgtap.sql

One assertion per expectation, with pgTAP's own function where one exists (has_table, col_type_is,
col_not_null, col_default_is, has_index, index_is_unique, index_is_type, fk_ok, col_is_pk, ...) and
``ok(<catalog query>)`` where pgTAP has none (index validity, partial predicate, FK actions, CHECK values,
constraint validity). verify's built-in audits (V001-V007) have no pgTAP counterpart and are not included,
so the script does a little less than verify. bench/verify_vs_pgtap.py runs it with ``psql -X -f``.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bhq_migrate.verify.expectations import (  # noqa: E402
    CheckSpec,
    Expectation,
    ForeignKeySpec,
    IndexSpec,
    checks_files,
    expand,
    load_checks_file,
    merge,
    parse_qname,
    quote_ident,
)

PLANS = ("001", "002")
OUTPUT = Path(__file__).resolve().parent / "verify_pgtap.sql"


def lit(text: object) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def arr(items: tuple[str, ...] | list[str]) -> str:
    return "ARRAY[" + ", ".join(lit(item) for item in items) + "]::name[]"


def regclass(schema: str, name: str) -> str:
    return f"to_regclass(format('%I.%I', {lit(schema)}, {lit(name)}))"


def constraint_row(schema: str, table: str, name: str) -> str:
    return f"FROM pg_catalog.pg_constraint WHERE conrelid = {regclass(schema, table)} AND conname = {lit(name)}"


def assertion(exp: Expectation) -> str:  # one branch per check kind, as in verify/checks/
    kind, expected, description = exp.kind, exp.expected, lit(f"{exp.kind} {exp.object}")
    if kind == "has_schema":
        return f"SELECT has_schema({lit(exp.name)}, {description});"
    assert exp.table is not None, exp
    schema, table = exp.table
    s, t, n = lit(schema), lit(table), lit(exp.name)
    if kind == "has_table":
        return f"SELECT has_table({s}, {t}, {description});"
    if kind == "has_column":
        return f"SELECT has_column({s}, {t}, {n}, {description});"
    if kind == "col_type_is":
        return f"SELECT col_type_is({s}, {t}, {n}, {lit(expected)}, {description});"
    if kind == "col_not_null":
        return f"SELECT col_not_null({s}, {t}, {n}, {description});"
    if kind == "col_is_null":
        return f"SELECT col_is_null({s}, {t}, {n}, {description});"
    if kind == "col_default_is":
        return f"SELECT col_has_default({s}, {t}, {n}, {description});"
    if kind in {"has_index", "index_columns_are"} and isinstance(expected, IndexSpec):
        # pgTAP compares pg_get_indexdef(index, n, false): quoted where needed, without the sort order.
        columns = [quote_ident(key.column) if key.column else key.expression or "" for key in expected.columns]
        return f"SELECT has_index({s}, {t}, {n}, {arr(columns)}, {description});"
    if kind == "hasnt_index":
        return f"SELECT hasnt_index({s}, {t}, {n}, {description});"
    if kind == "index_is_unique" and isinstance(expected, IndexSpec):
        if expected.unique:
            return f"SELECT index_is_unique({s}, {t}, {n}, {description});"
        query = f"SELECT NOT indisunique FROM pg_catalog.pg_index WHERE indexrelid = {regclass(schema, exp.name)}"
        return f"SELECT ok(({query}), {description});"
    if kind == "index_is_type" and isinstance(expected, IndexSpec):
        return f"SELECT index_is_type({s}, {t}, {n}, {lit(expected.method)}, {description});"
    if kind == "index_is_partial" and isinstance(expected, IndexSpec):
        test = "IS NOT NULL" if expected.where else "IS NULL"
        query = f"SELECT indpred {test} FROM pg_catalog.pg_index WHERE indexrelid = {regclass(schema, exp.name)}"
        return f"SELECT ok(({query}), {description});"
    if kind == "index_is_valid":
        query = f"SELECT indisvalid FROM pg_catalog.pg_index WHERE indexrelid = {regclass(schema, exp.name)}"
        return f"SELECT ok(({query}), {description});"
    if kind == "constraint_is_valid":
        return f"SELECT ok((SELECT convalidated {constraint_row(schema, table, exp.name)}), {description});"
    if kind == "fk_ok" and isinstance(expected, ForeignKeySpec):
        ref_schema, ref_table = parse_qname(expected.references)
        return (f"SELECT fk_ok({s}, {t}, {arr(expected.columns)}, {lit(ref_schema)}, {lit(ref_table)}, "
                f"{arr(expected.ref_columns)}, {description});")
    if kind in {"fk_on_delete_is", "fk_on_update_is"} and isinstance(expected, ForeignKeySpec):
        field, action = ("confdeltype", expected.on_delete) if kind == "fk_on_delete_is" else (
            "confupdtype", expected.on_update)
        code = {"no action": "a", "restrict": "r", "cascade": "c", "set null": "n", "set default": "d"}[action]
        query = f"SELECT {field}::text {constraint_row(schema, table, exp.name)}"
        return f"SELECT is(({query}), {lit(code)}, {description});"
    if kind == "has_check":
        return f"SELECT has_check({s}, {t}, {description});"
    if kind == "check_values_are" and isinstance(expected, CheckSpec):
        values = " AND ".join(
            f"pg_catalog.pg_get_constraintdef(oid) LIKE {lit('%' + repr(value).strip(chr(34)) + '%')}"
            for value in expected.values or ()
        ) or "true"
        return f"SELECT ok((SELECT {values} {constraint_row(schema, table, exp.name)}), {description});"
    if kind == "col_is_pk":
        return f"SELECT col_is_pk({s}, {t}, {arr(list(expected))}, {description});"
    if kind == "has_unique":
        return f"SELECT col_is_unique({s}, {t}, {arr(list(expected))}, {description});"
    raise SystemExit(f"no pgTAP assertion for {kind}")


def main() -> int:
    files = checks_files(REPO / "checks")
    expectations = merge([expand(load_checks_file(files[plan]), str(files[plan])) for plan in PLANS])
    lines = [
        "-- Generated by bench/pgtap_script.py from checks/001 and checks/002: do not edit by hand.",
        "-- The expectations `bhq-migrate verify` checks, as pgTAP assertions (see bench/verify_vs_pgtap.py).",
        "\\set ON_ERROR_STOP 1",
        "\\pset format unaligned",
        "\\pset tuples_only true",
        "SET search_path TO tap, public;  -- pgTAP is installed in its own schema (CREATE EXTENSION pgtap SCHEMA tap)",
        "BEGIN;",
        f"SELECT plan({len(expectations)});",
        *(assertion(exp) for exp in expectations),
        "SELECT * FROM finish();",
        "ROLLBACK;",
    ]
    OUTPUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{OUTPUT.relative_to(REPO)}: {len(expectations)} assertions")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
