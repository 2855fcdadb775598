"""``verify --probe-role ROLE``: prove tenant isolation by behaviour, as the application's role.

Reading policies tells what they say; this shows what they do, including what no text reading can: a
policy that handles a NULL tenant but not the ``''`` a pooled connection is left with. Everything runs in
ONE transaction that is always rolled back, so the probe leaves nothing behind, even the rows it creates:

1. as the connecting role, with ``row_security = off`` (the ground truth; a role the policies would bind
   gets an error, not fewer rows): pick two tenants A and B that have rows; if there are fewer than two,
   create them (a registry row, then one row per tenant table, parents first, copied from existing rows);
2. ``SET LOCAL ROLE <role>``; with no tenant set, then with ``''``: every tenant table must show zero rows;
3. with tenant A set (``set_config(setting, A, true)``): every tenant table shows all of A's rows and none
   of another tenant's;
4. with ``writes``: an INSERT naming tenant B, and an UPDATE moving one of A's rows to B, must each be
   refused by a row-level security policy (each in a savepoint).

One :class:`~bhq_migrate.verify.results.CheckResult` per table and command. Every statement runs under verify's
session limits (``--lock-timeout``, default 3s; ``--statement-timeout``, default 5min), set on the connection.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from pydantic import BaseModel, ConfigDict

from bhq_migrate.connection import SessionLimits, connect
from bhq_migrate.errors import ConfigError, ConnectionFailed
from bhq_migrate.findings import Rule, Severity
from bhq_migrate.verify.results import CheckResult, Status
from bhq_migrate.verify.snapshot import verify_sql

DEFAULT_TENANT_SETTING = "app.tenant_id"
_RLS_REFUSAL = "row-level security"

# One documented rule per probed command (SARIF descriptors, docs/verify.md "Isolation probe").
PROBE_RULES: tuple[Rule, ...] = tuple(
    Rule(id=rule_id, name=name, title=title, severity=Severity.ERROR, rationale=rationale, fix=fix)
    for rule_id, name, title, rationale, fix in (
        ("probe_no_tenant", "probe-no-tenant-sees-nothing",
         "With no tenant set, the application's role sees no row.",
         "A request that forgot to set the tenant must fail closed, not see every tenant.",
         "Compare the tenant column with a function that returns NULL when no tenant is set (plan 004)."),
        ("probe_empty_tenant", "probe-empty-tenant-sees-nothing",
         "With the tenant setting '' (a pooled connection after a transaction-local set_config), the role sees "
         "no row and no error.",
         "current_setting(..., true) is '' (not NULL) once a transaction-local setting has ended: a policy that "
         "handles only NULL leaks or breaks on pooled connections.",
         "Treat '' like NULL: NULLIF(current_setting('app.tenant_id', true), '') (plan 004's current_tenant_id())."),
        ("probe_select", "probe-tenant-sees-only-its-rows",
         "With tenant A set, the role sees all of A's rows and none of another tenant's.",
         "The policy's USING must restrict every row to the current tenant.",
         "One permissive policy per table on the tenant column; no USING (true) policy beside it."),
        ("probe_insert", "probe-cross-tenant-insert-refused",
         "With tenant A set, an INSERT naming tenant B is refused by a policy.",
         "Without WITH CHECK on the tenant column, a request for A can write rows into B.",
         "WITH CHECK (\"tenantId\" = current_tenant_id()) on the table's policy."),
        ("probe_update", "probe-cross-tenant-update-refused",
         "With tenant A set, an UPDATE moving one of A's rows to tenant B is refused by a policy.",
         "Without WITH CHECK, an UPDATE can hand a row to another tenant.",
         "WITH CHECK (\"tenantId\" = current_tenant_id()) on the table's policy."),
    )
)


class ProbeOptions(BaseModel):
    model_config = ConfigDict(frozen=True)

    role: str
    writes: bool = False
    tenant_columns: tuple[str, ...] = ("tenantId",)
    tenant_setting: str = DEFAULT_TENANT_SETTING
    schemas: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()
    limits: SessionLimits = SessionLimits()
    """lock_timeout and statement_timeout of the probe's session (verify's ``--lock-timeout`` etc.)."""


@dataclass(frozen=True)
class _Reference:
    column: str
    parent: sql.Composable
    parent_column: str
    parent_is_tenant_table: bool
    not_null: bool


@dataclass(frozen=True)
class _Table:
    schema: str
    name: str
    tenant_column: str
    tenant_type: str
    copied: tuple[str, ...]
    references: tuple[_Reference, ...]

    @property
    def shown(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def relation(self) -> sql.Composable:
        return sql.Identifier(self.schema, self.name)

    @property
    def tenant(self) -> sql.Composable:
        return sql.Identifier(self.tenant_column)


class ProbeError(Exception):
    """A probe statement failed; carries a one-line, SQLSTATE-prefixed reason."""


def probe(url: str, options: ProbeOptions) -> list[CheckResult]:
    """Run the behavioural isolation proof and return one result per table and command (always rolled back)."""
    limits = options.limits
    with connect(url, autocommit=True, limits=limits) as conn:
        try:
            with conn.transaction(force_rollback=True):
                return _probe(conn, options)
        except psycopg.errors.QueryCanceled as exc:
            raise ConnectionFailed(f"probe: {_reason(exc)} (lock_timeout={limits.lock_timeout}, "
                                   f"statement_timeout={limits.statement_timeout}); rolled back") from None
        except psycopg.Error as exc:
            raise ConnectionFailed(f"probe: {_reason(exc)}; rolled back") from None


def _probe(conn: psycopg.Connection[Any], options: ProbeOptions) -> list[CheckResult]:
    if conn.execute("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = %s", (options.role,)).fetchone() is None:
        raise ConfigError(f"--probe-role: no such role: {options.role}")
    tables = _tables(conn, options)
    if not tables:
        columns = ", ".join(options.tenant_columns)
        raise ConfigError(f"--probe-role: no tenant table (a table with a column named {columns}) in scope; "
                          "nothing could be probed")
    conn.execute("SET LOCAL row_security = off")
    try:
        tenant_a, tenant_b, created = _two_tenants(conn, tables)
    except psycopg.errors.InsufficientPrivilege as exc:
        raise ConfigError(f"probe: the connecting role must bypass row-level security to read every tenant's rows "
                          f"(superuser or BYPASSRLS): {_reason(exc)}") from None
    truth = {table.shown: _counts(conn, table, tenant_a) for table in tables}
    conn.execute("SET LOCAL row_security = on")

    results: list[CheckResult] = []
    setting = options.tenant_setting
    conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(options.role)))
    # A fresh session: the setting was never set here, so current_setting(..., true) is NULL (unless the
    # server, database or role sets it: that is reported in the result).
    before = conn.execute("SELECT current_setting(%s, true)", (setting,)).fetchone()
    preset = None if before is None else before[0]
    for table in tables:
        results.append(_nothing_visible(conn, table, "probe_no_tenant", options.role,
                                        "no tenant set" if preset is None else f"{setting} preset to {preset!r}"))
    conn.execute("SELECT set_config(%s, '', true)", (setting,))
    for table in tables:
        results.append(_nothing_visible(conn, table, "probe_empty_tenant", options.role, f"{setting} = ''"))
    conn.execute("SELECT set_config(%s, %s, true)", (setting, str(tenant_a)))
    for table in tables:
        results.append(_only_own_rows(conn, table, tenant_a, truth[table.shown], options.role, created))
    if options.writes:
        for table in tables:
            results.append(_insert_refused(conn, table, tenant_a, tenant_b, options.role))
            results.append(_update_refused(conn, table, tenant_a, tenant_b, options.role))
    conn.execute("RESET ROLE")
    return results


def _tables(conn: psycopg.Connection[Any], options: ProbeOptions) -> list[_Table]:
    schemas = [row[0] for row in conn.execute(
        "SELECT nspname::text FROM pg_catalog.pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema') "
        "AND nspname !~ '^pg_' AND (%(schemas)s::text[] IS NULL OR nspname = ANY (%(schemas)s::text[]))",
        {"schemas": list(options.schemas) or None}).fetchall()]
    rows = conn.execute(verify_sql("probe_tables"), {
        "tenant_columns": list(options.tenant_columns), "schemas": schemas, "tables": list(options.tables) or None,
    }).fetchall()
    tables = []
    for schema, name, column, column_type, copied, references in rows:
        refs = tuple(
            _Reference(ref[0], sql.Identifier(ref[1], ref[2]), ref[3], bool(ref[4]), bool(ref[5]))
            for ref in (json.loads(references) if isinstance(references, str) else references)
        )
        tables.append(_Table(schema, name, column, column_type, tuple(copied), refs))
    return _parents_first(tables)


def _parents_first(tables: Sequence[_Table]) -> list[_Table]:
    """Order tables so a table comes after the tenant tables it references (cycles keep their order)."""
    by_relation = {table.relation.as_string(None): table for table in tables}
    ordered: list[_Table] = []
    seen: set[str] = set()

    def visit(table: _Table, path: frozenset[str]) -> None:
        key = table.relation.as_string(None)
        if key in seen or key in path:
            return
        for ref in table.references:
            parent = by_relation.get(ref.parent.as_string(None))
            if parent is not None and ref.parent_is_tenant_table:
                visit(parent, path | {key})
        seen.add(key)
        ordered.append(table)

    for table in tables:
        visit(table, frozenset())
    return ordered


def _two_tenants(conn: psycopg.Connection[Any], tables: Sequence[_Table]) -> tuple[Any, Any, bool]:
    """Two tenant ids with rows: the smallest and largest present, or new ones created in the transaction."""
    present: set[Any] = set()
    for table in tables:
        statement = sql.SQL("SELECT min({c}), max({c}) FROM {t}").format(c=table.tenant, t=table.relation)
        row = conn.execute(statement).fetchone()
        present.update(value for value in (row or ()) if value is not None)
    ordered = sorted(present, key=str)
    created = False
    while len(ordered) < 2:
        ordered.append(_new_tenant(conn, tables, ordered))
        created = True
    tenant_a, tenant_b = ordered[0], ordered[-1]
    for table in tables:  # parents first: a cloned row can point at its own tenant's parent row
        for tenant in (tenant_a, tenant_b):
            _ensure_row(conn, table, tenant)
    return tenant_a, tenant_b, created


def _new_tenant(conn: psycopg.Connection[Any], tables: Sequence[_Table], existing: Sequence[Any]) -> Any:
    """A tenant id no row uses: a copy of a row of the tenant registry the tenant column references (its
    uniquely indexed text columns suffixed, so slugs stay unique), or the next integer when there is none."""
    registry = next((ref for table in tables for ref in table.references
                     if ref.column == table.tenant_column and not ref.parent_is_tenant_table), None)
    if registry is not None:
        columns = conn.execute(
            "SELECT a.attname::text, a.atttypid IN ('text'::regtype, 'varchar'::regtype) AND EXISTS ("
            "  SELECT 1 FROM pg_catalog.pg_index AS i WHERE i.indrelid = a.attrelid AND i.indisunique"
            "  AND a.attnum = ANY (i.indkey::int2[])) "
            "FROM pg_catalog.pg_attribute AS a "
            "LEFT JOIN pg_catalog.pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
            "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' "
            "AND a.attidentity = '' AND a.attname <> %s "
            "AND coalesce(pg_get_expr(d.adbin, d.adrelid), '') NOT LIKE 'nextval(%%' ORDER BY a.attnum",
            (registry.parent.as_string(None), registry.parent_column)).fetchall()
        suffix = sql.Literal(f" (bhq probe {len(existing)})")
        values = sql.SQL(", ").join(
            sql.SQL("{c} || {s}").format(c=sql.Identifier(column), s=suffix) if textual else sql.Identifier(column)
            for column, textual in columns)
        statement = sql.SQL("INSERT INTO {r} ({cols}) SELECT {vals} FROM {r} LIMIT 1 RETURNING {pk}").format(
            r=registry.parent, cols=sql.SQL(", ").join(sql.Identifier(column) for column, _ in columns), vals=values,
            pk=sql.Identifier(registry.parent_column))
        row = conn.execute(statement).fetchone()
        if row is not None:
            return row[0]
        raise ConfigError(f"probe: fewer than two tenants and the tenant registry {registry.parent.as_string(None)} "
                          "is empty: create two tenants first")
    table = tables[0]
    if table.tenant_type in ("integer", "bigint", "smallint"):
        return max((int(value) for value in existing), default=0) + 1
    return f"bhq-probe-{len(existing)}"


def _ensure_row(conn: psycopg.Connection[Any], table: _Table, tenant: Any) -> None:
    """Give ``table`` a row of ``tenant`` if it has none: a copy of any row, the tenant replaced, each reference
    to another tenant table pointed at a row of the same tenant (NULL when none and the column allows it)."""
    has = conn.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {t} WHERE {c} = %s)").format(
        t=table.relation, c=table.tenant), (tenant,)).fetchone()
    if has and has[0]:
        return
    refs = {ref.column: ref for ref in table.references if ref.parent_is_tenant_table}
    values: list[sql.Composable] = []
    for column in table.copied:
        ident = sql.Identifier(column)
        if column == table.tenant_column:
            values.append(sql.Literal(tenant))
        elif column in refs:
            ref = refs[column]
            values.append(sql.SQL("(SELECT {pc} FROM {p} WHERE {tc} = {v} LIMIT 1)").format(
                pc=sql.Identifier(ref.parent_column), p=ref.parent, tc=table.tenant, v=sql.Literal(tenant)))
        else:
            values.append(ident)
    statement = sql.SQL("INSERT INTO {t} ({cols}) SELECT {vals} FROM {t} LIMIT 1").format(
        t=table.relation, cols=sql.SQL(", ").join(map(sql.Identifier, table.copied)), vals=sql.SQL(", ").join(values))
    try:
        with conn.transaction():
            conn.execute(statement)
    except psycopg.Error:
        return  # e.g. an empty table: its result says it could not be proven


def _counts(conn: psycopg.Connection[Any], table: _Table, tenant: Any) -> tuple[int, int]:
    row = conn.execute(_split_count(table), (tenant, tenant)).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def _split_count(table: _Table) -> sql.Composed:
    """Rows of the tenant passed twice as a parameter, and rows of every other tenant."""
    return sql.SQL("SELECT count(*) FILTER (WHERE {c} = %s), count(*) FILTER (WHERE {c} IS DISTINCT FROM %s) "
                   "FROM {t}").format(c=table.tenant, t=table.relation)


def _result(rule_id: str, table: _Table, role: str, status: Status, message: str, expected: str, found: str,
            fix: str | None = None) -> CheckResult:
    rule = next(rule for rule in PROBE_RULES if rule.id == rule_id)
    return CheckResult(
        id=f"probe/{rule.name}/{table.shown}", kind=rule.name, rule_id=rule.id, table=table.shown,
        object=f"{table.shown} as {role}", status=status, severity=Severity.ERROR, message=message,
        expected=expected, found=found, fix_sql=fix if status is Status.FAIL else None,
    )


def _attempt(conn: psycopg.Connection[Any], statement: sql.Composed, params: Sequence[Any] = ()) -> Any:
    """Run one probe statement in a savepoint; an error is returned as a ProbeError, never raised."""
    try:
        with conn.transaction():
            cursor = conn.execute(statement, params)
            return cursor.fetchone() if cursor.description else cursor.rowcount
    except psycopg.errors.QueryCanceled:
        raise
    except psycopg.Error as exc:
        return ProbeError(_reason(exc))


def _nothing_visible(conn: psycopg.Connection[Any], table: _Table, rule_id: str, role: str, how: str) -> CheckResult:
    found = _attempt(conn, sql.SQL("SELECT count(*) FROM {t}").format(t=table.relation))
    if isinstance(found, ProbeError):
        return _result(rule_id, table, role, Status.FAIL, f"{table.shown} as {role} with {how}: the query failed: "
                       f"{found}", "0 rows, no error", str(found), next(r.fix for r in PROBE_RULES if r.id == rule_id))
    count = int(found[0])
    status = Status.PASS if count == 0 else Status.FAIL
    return _result(rule_id, table, role, status, f"{table.shown} as {role} with {how}: {count} row(s) visible",
                   "0 rows", f"{count} rows", next(r.fix for r in PROBE_RULES if r.id == rule_id))


def _only_own_rows(conn: psycopg.Connection[Any], table: _Table, tenant: Any, truth: tuple[int, int], role: str,
                   created: bool) -> CheckResult:
    own, others = truth
    fix = next(r.fix for r in PROBE_RULES if r.id == "probe_select")
    expected = f"{own} row(s) of tenant {tenant}, 0 of other tenants"
    found = _attempt(conn, _split_count(table), (tenant, tenant))
    if isinstance(found, ProbeError):
        return _result("probe_select", table, role, Status.FAIL, f"{table.shown} as {role} with tenant {tenant}: the "
                       f"query failed: {found}", expected, str(found), fix)
    seen_own, seen_others = int(found[0]), int(found[1])
    if others == 0:
        return _result("probe_select", table, role, Status.FAIL, f"{table.shown}: not proven: no row of another tenant "
                       "exists to be hidden" + (" (and none could be created)" if created else ""), expected,
                       f"{own} row(s), all of tenant {tenant}")
    if seen_others:
        status, verdict = Status.FAIL, f"{seen_others} row(s) of other tenants visible"
    elif seen_own != own:
        status, verdict = Status.WARN, f"{seen_own} of its {own} row(s) visible (another policy hides some)"
    else:
        status, verdict = Status.PASS, f"exactly its {own} row(s) visible, none of the {others} of other tenants"
    return _result("probe_select", table, role, status, f"{table.shown} as {role} with tenant {tenant}: {verdict}",
                   expected, f"{seen_own} own, {seen_others} of other tenants", fix)


def _refused(found: Any) -> bool:
    return isinstance(found, ProbeError) and _RLS_REFUSAL in str(found)


def _insert_refused(
    conn: psycopg.Connection[Any], table: _Table, tenant_a: Any, tenant_b: Any, role: str
) -> CheckResult:
    # A copy of one of A's rows naming B (the policy's WITH CHECK runs before constraints, so a refusal is
    # the policy's); with no visible row of A, a row with only the tenant column.
    values = sql.SQL(", ").join(sql.Literal(tenant_b) if column == table.tenant_column else sql.Identifier(column)
                                for column in table.copied)
    copy = sql.SQL("INSERT INTO {t} ({cols}) SELECT {vals} FROM {t} WHERE {c} = {a} LIMIT 1").format(
        t=table.relation, cols=sql.SQL(", ").join(map(sql.Identifier, table.copied)), vals=values, c=table.tenant,
        a=sql.Literal(tenant_a))
    found = _attempt(conn, copy)
    if found == 0:
        found = _attempt(conn, sql.SQL("INSERT INTO {t} ({c}) VALUES ({b})").format(
            t=table.relation, c=table.tenant, b=sql.Literal(tenant_b)))
    return _write_result("probe_insert", table, role, found, f"INSERT naming tenant {tenant_b} with tenant "
                         f"{tenant_a} set")


def _update_refused(
    conn: psycopg.Connection[Any], table: _Table, tenant_a: Any, tenant_b: Any, role: str
) -> CheckResult:
    statement = sql.SQL("UPDATE {t} SET {c} = {b} WHERE ctid = (SELECT ctid FROM {t} WHERE {c} = {a} LIMIT 1)").format(
        t=table.relation, c=table.tenant, a=sql.Literal(tenant_a), b=sql.Literal(tenant_b))
    found = _attempt(conn, statement)
    if found == 0:
        return _result("probe_update", table, role, Status.FAIL, f"{table.shown}: not proven: no row of tenant "
                       f"{tenant_a} is visible to update", "refused by a row-level security policy", "0 rows updated")
    return _write_result("probe_update", table, role, found, f"UPDATE of a tenant {tenant_a} row to tenant {tenant_b}")


def _write_result(rule_id: str, table: _Table, role: str, found: Any, what: str) -> CheckResult:
    fix = next(r.fix for r in PROBE_RULES if r.id == rule_id)
    expected = "refused by a row-level security policy"
    if _refused(found):
        return _result(rule_id, table, role, Status.PASS, f"{table.shown} as {role}: {what} refused", expected,
                       str(found))
    shown = str(found) if isinstance(found, ProbeError) else f"{found} row(s) written"
    return _result(rule_id, table, role, Status.FAIL, f"{table.shown} as {role}: {what} was not refused by a policy "
                   f"({shown})", expected, shown, fix)


def _reason(exc: psycopg.Error) -> str:
    text = (exc.diag.message_primary or str(exc)).strip().splitlines()[0] if str(exc) else type(exc).__name__
    return f"{exc.diag.sqlstate or 'error'}: {text}"
