"""How other linters' rules map to ours: squawk 2.70 and pgfence (npm ``@flvmnt/pgfence``).

One table per tool: rule name -> ``(our rule id or None, note)``. ``None`` means we deliberately have no such
rule, and the note says why. ``docs/lint.md`` renders these tables (:mod:`bhq_migrate.lint.docs`), the squawk
agreement test and ``bench/lint_corpus.py`` compare findings through them.
"""

from __future__ import annotations

Mapping = dict[str, tuple[str | None, str]]

_COMPAT = (
    "squawk's opt-in backward-compatibility family; the changes that break a running Prisma client (drops and "
    "renames of tables, columns, types, views, functions) have rules here, this one does not break it"
)
_NOT_PRISMA = "PostgreSQL feature outside what Prisma migrations and this product use; no rule yet"

SQUAWK: Mapping = {
    "syntax-error": ("L000", "squawk recovers and reports follow-on errors; we report the server's one"),
    "transaction-nesting": ("L001", "depends on the runner (`--runner`): a Prisma file may hold its own BEGIN"),
    "ban-concurrent-index-creation-in-transaction": ("L001", ""),
    "changing-column-type": ("L002", "ours is info when the change is catalog-only (varchar widening)"),
    "require-concurrent-index-creation": ("L003", ""),
    "constraint-missing-not-valid": ("L004", ""),
    "adding-foreign-key-constraint": ("L004", ""),
    "adding-not-nullable-field": ("L005", ""),
    "adding-field-with-default": ("L006", "only volatile defaults rewrite since PostgreSQL 11"),
    "adding-serial-primary-key-field": ("L006", "a SERIAL default is volatile: the table is rewritten"),
    "require-lock-timeout": ("L007", "once per file; `apply` sets both timeouts itself"),
    "require-statement-timeout": ("L007", "once per file; `apply` sets both timeouts itself"),
    "require-timeout-settings": ("L007", ""),
    "prefer-robust-stmts": ("L008", ""),
    "prefer-timestamp-tz": ("L010", ""),
    "unused-ignore": ("L019", "an unknown rule or a missing reason in a suppression"),
    "ban-drop-column": ("L020", ""),
    "ban-drop-table": ("L021", ""),
    "ban-drop-constraint": ("L022", ""),
    "ban-drop-type": ("L023", ""),
    "ban-drop-domain": ("L023", ""),
    "ban-drop-not-null": ("L025", "info: often intended"),
    "renaming-table": ("L026", ""),
    "renaming-column": ("L027", ""),
    "adding-required-field": ("L028", ""),
    "require-enum-value-ordering": (
        "L029",
        "opposite stance: squawk asks every ADD VALUE to name its position; we flag the values inserted in the "
        "middle, since appending (what Prisma generates) changes no existing order",
    ),
    "ban-add-enum-value": (None, _COMPAT),
    "require-concurrent-index-deletion": ("L030", ""),
    "ban-drop-index": ("L030", "ours flags the lock, not the drop itself"),
    "prefer-bigint-over-int": ("L031", "key columns only: an INTEGER quantity is fine, a key only grows"),
    "prefer-bigint-over-smallint": ("L031", "key columns only"),
    "prefer-identity": ("L032", "off by default: Prisma generates SERIAL"),
    "identifier-too-long": ("L033", ""),
    "prefer-repack": ("L043", ""),
    "ban-truncate-cascade": ("L045", "ours flags every TRUNCATE of an existing table"),
    "ban-drop-database": ("L046", ""),
    "ban-char-field": ("L047", ""),
    "ban-drop-view": ("L048", ""),
    "ban-drop-function": ("L049", ""),
    "disallowed-unique-constraint": ("L050", ""),
    "ban-create-domain-with-constraint": ("L051", ""),
    "ban-alter-domain-with-add-constraint": ("L051", ""),
    "ban-drop-schema": ("L053", ""),
    "ban-uncommitted-transaction": ("L054", ""),
    "ban-drop-trigger": ("L040", "off by default, as in squawk"),
    "require-concurrent-reindex": ("L041", ""),
    "prefer-text-field": (None, "VARCHAR(n) is Prisma's String @db.VarChar, and widening it is catalog-only"),
    "require-table-schema": (None, "Prisma migrations name tables unqualified and rely on the search_path"),
    "require-concurrent-partition-detach": (None, _NOT_PRISMA),
    "ban-drop-sequence": (None, _COMPAT),
    "ban-drop-generated-expression": (None, _COMPAT),
    "renaming-object": (None, _COMPAT),
    "ban-set-schema": (None, _COMPAT),
    "ban-alter-identity": (None, _COMPAT),
    "ban-drop-extension": (None, _COMPAT),
    "ban-set-default": (None, _COMPAT),
    "ban-disable-trigger": (None, _COMPAT),
    "ban-replica-identity": (None, _COMPAT),
    "ban-drop-policy": (None, "row-level security is checked on the live database by verify's isolation audits"),
    "ban-create-policy": (None, "row-level security is checked on the live database by verify's isolation audits"),
    "ban-alter-policy-condition": (None, "verify's isolation audits and `--probe-role` check the policies' effect"),
    "ban-alter-policy-roles": (None, "verify's isolation audits and `--probe-role` check the policies' effect"),
    "ban-alter-row-level-security": (None, "verify's isolation audits check RLS is enabled and forced"),
    "ban-revoke": (None, _COMPAT),
    "ban-replace-view-function": (None, _COMPAT),
    "ban-alter-function-options": (None, _COMPAT),
    "ban-alter-view-options": (None, _COMPAT),
    "ban-alter-role-options": (None, _COMPAT),
    "ban-alter-database-options": (None, _COMPAT),
    "ban-alter-system-options": (None, _COMPAT),
    "ban-alter-extension": (None, _COMPAT),
    "ban-new-write-restriction": (None, _COMPAT),
    "ban-add-composite-attribute": (None, _COMPAT),
    "ban-add-column": (None, _COMPAT),
    "ban-detach-inheritance": (None, _COMPAT),
    "ban-alter-sequence-values": (None, _COMPAT),
    "ban-duplicate-column-assignments": (None, "PostgreSQL itself rejects the statement (L000 reports it)"),
}

SQUAWK_PARTIAL = frozenset(
    {"prefer-bigint-over-int", "prefer-bigint-over-smallint", "require-enum-value-ordering", "ban-drop-index"}
)
"""Mapped squawk rules whose scope is deliberately narrower or different (the note says how): agreement is
measured for them, but not required."""

_SAFE_FORM = "the safe form: pgfence reports it as LOW for the record; we report nothing"

PGFENCE: Mapping = {
    "add-column-constant-default": (None, "catalog-only since PostgreSQL 11: " + _SAFE_FORM),
    "add-column-default-pre-pg11": (None, "PostgreSQL 10 and older are not supported"),
    "add-column-json": ("L056", ""),
    "add-column-non-constant-default": ("L006", ""),
    "add-column-not-null-no-default": ("L028", ""),
    "add-column-serial": ("L006", ""),
    "add-column-stored-generated": ("L044", ""),
    "add-constraint-check-no-not-valid": ("L004", ""),
    "add-constraint-exclude": ("L038", ""),
    "add-constraint-fk-no-not-valid": ("L004", ""),
    "add-constraint-unique": ("L050", ""),
    "add-constraint-unique-using-index": (None, _SAFE_FORM),
    "add-pk-using-index": (None, _SAFE_FORM),
    "add-pk-without-using-index": ("L050", ""),
    "alter-column-set-not-null": ("L005", ""),
    "alter-column-type": ("L002", ""),
    "concurrent-in-transaction": ("L001", ""),
    "create-index-not-concurrent": ("L003", ""),
    "delete-without-where": ("L035", ""),
    "drop-column": ("L020", ""),
    "drop-index-not-concurrent": ("L030", ""),
    "drop-table": ("L021", ""),
    "missing-lock-timeout": ("L007", ""),
    "missing-statement-timeout": ("L007", ""),
    "missing-application-name": (None, "`apply` names its sessions `bhq-migrate <version>`; a file cannot know"),
    "missing-idle-timeout": (None, "`apply` never leaves a transaction idle; its statement_timeout bounds each one"),
    "not-valid-validate-same-tx": ("L037", ""),
    "prefer-bigint-over-int": ("L031", "key columns only"),
    "prefer-robust-create-index": ("L008", ""),
    "prefer-robust-create-table": ("L008", ""),
    "prefer-robust-drop-index": ("L008", ""),
    "prefer-robust-drop-table": ("L008", ""),
    "prefer-text-field": (None, SQUAWK["prefer-text-field"][1]),
    "prefer-timestamptz": ("L010", ""),
    "rename-column": ("L027", ""),
    "rename-table": ("L026", ""),
    "statement-after-access-exclusive": ("L036", ""),
    "truncate": ("L045", ""),
    "truncate-cascade": ("L045", ""),
    "update-in-migration": ("L034", "ours flags UPDATE without WHERE; a targeted UPDATE is fine"),
    "vacuum-full": ("L043", ""),
    "validate-constraint": (None, "VALIDATE CONSTRAINT is the safe form (SHARE UPDATE EXCLUSIVE)"),
}
