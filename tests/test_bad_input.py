"""Bad input, table-driven: every case runs the real command line in a child process and must fail the way
the README promises.

Each case asserts the exit code; exactly one line on stderr (``error: ...``, or ``interrupted`` after
Ctrl-C) with no "Traceback" and no "unexpected" anywhere; no fragment (4+ characters) of any password
used here in stdout, stderr or any file under the case's folder; nothing created where an output path was
refused; and, where a database is involved, a database identical (schema, every table's row count) before
and after. Lint reports a syntax error as a finding on stdout (exit 1) rather than an error line: those
cases say ``stream="stdout"`` and then require an empty stderr.

Ctrl-C cases are deterministic, with no timer: ``tests/interrupt_hook/sitecustomize.py`` makes the child
block inside the import of a chosen module and signal that it got there; the test then sends SIGINT.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from psycopg import conninfo

from tests.helpers import REPO_ROOT, query, scalar, schema_fingerprint

HOOK_DIR = Path(__file__).parent / "interrupt_hook"

PASSWORDS = {
    "slash": "Sup3r/Secret",  # the reproduction
    "mixed": "S3cr#t:P@ss/wörd%1",  # the reproduction: # : @ / non-ASCII %
    "at": "Zq8@Kv2@Wm",
    "qhash": "k?y#Q7x9Rv",  # libpq reads ? and # before the @ as part of the password
    "percent": "Gq%zzW8Tv",  # % not followed by two hex digits
    "unicode": "pässwörd€42",
    "space": "Xk9 Lm7 Qz",
    "env": "Yw4#Pg/Dn8",  # PGPASSWORD
}

MODEL = "model User {\n  id        Int       @id\n  deletedAt DateTime?\n}\n"
FINDING_TS = "export const f = () => prisma.user.findMany();\n"
BRACKET_SOCKET = "postgresql://app@%2Fnonexistent%2F%5B%2Fx%5D/db"  # host: the socket folder /nonexistent/[/x]
MALFORMED = "malformed database URL (not shown, it may contain a password)"
AUTH_FAILED = 'authentication failed for user "{user}"'


def raw(password: str, user: str = "{user}") -> str:
    """The URL as a user would paste it, with the password NOT percent-encoded."""
    return f"postgresql://{user}:{password}@{{host}}:{{port}}/{{dbname}}"


def encoded(password: str) -> str:
    return f"postgresql://{{user}}:{quote(password, safe='')}@{{host}}:{{port}}/{{dbname}}"


def keywords(password: str, quoted: bool = True) -> str:
    value = f"'{password}'" if quoted else password
    return f"host={{host}} port={{port}} dbname={{dbname}} user={{user}} password={value}"


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]
    code: int
    expect: str
    """Must appear in the error line (or in stdout for stream="stdout"); formatted like the arguments."""
    files: dict[str, str | bytes] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    db: bool = False
    """Run against a fresh copy of the baseline database and require it unchanged afterwards."""
    auth: bool = False
    """The case needs a server that checks passwords on TCP connections."""
    stream: str = "stderr"
    absent: tuple[str, ...] = ()
    """Paths (relative to the case folder) that must not exist afterwards: nothing was created."""
    block_import: str | None = None
    """Send SIGINT while the child is importing this module."""
    script: bool = False
    """Run the installed ``bhq-migrate`` script instead of ``python -m bhq_migrate``."""


def url_cases() -> list[Case]:
    schema = {"schema.prisma": MODEL}
    p = PASSWORDS
    return [
        # An unencoded "/" or "@" moves libpq's split: refused before connecting, nothing of the URL shown.
        Case("url-slash-status", ("status", "-d", raw(p["slash"])), 2, MALFORMED),
        Case("url-slash-apply", ("apply", "-d", raw(p["slash"])), 2, MALFORMED, db=True),
        Case("url-slash-verify-json", ("verify", "-f", "json", "-d", raw(p["slash"])), 2, MALFORMED),
        Case("url-slash-plan-json", ("plan", "-f", "json", "-d", raw(p["slash"])), 2, MALFORMED),
        Case("url-slash-audit-sarif", ("audit-prisma", "schema.prisma", "-f", "sarif", "-d", raw(p["slash"])), 2,
             MALFORMED, files=schema),
        Case("url-slash-env-verify-sarif", ("verify", "-f", "sarif"), 2, MALFORMED,
             env={"DATABASE_URL": raw(p["slash"])}),
        Case("url-slash-env-apply-dry-run", ("apply", "--dry-run"), 2, MALFORMED, db=True,
             env={"DATABASE_URL": raw(p["slash"])}),
        Case("url-mixed-status", ("status", "-d", raw(p["mixed"])), 2, MALFORMED),
        Case("url-mixed-apply", ("apply", "-d", raw(p["mixed"])), 2, MALFORMED, db=True),
        Case("url-mixed-env-status-json", ("status", "-f", "json"), 2, MALFORMED,
             env={"DATABASE_URL": raw(p["mixed"])}),
        Case("url-mixed-env-apply-json", ("apply", "-f", "json"), 2, MALFORMED, db=True,
             env={"DATABASE_URL": raw(p["mixed"])}),
        Case("url-mixed-env-verify", ("verify",), 2, MALFORMED, env={"DATABASE_URL": raw(p["mixed"])}),
        Case("url-mixed-env-plan", ("plan",), 2, MALFORMED, env={"DATABASE_URL": raw(p["mixed"])}),
        Case("url-mixed-env-audit", ("audit-prisma", "schema.prisma"), 2, MALFORMED, files=schema,
             env={"DATABASE_URL": raw(p["mixed"])}),
        Case("url-at-status", ("status", "-d", raw(p["at"])), 2, MALFORMED),
        Case("url-at-env-apply", ("apply",), 2, MALFORMED, db=True, env={"DATABASE_URL": raw(p["at"])}),
        Case("url-percent-status", ("status", "-d", raw(p["percent"])), 2, "two hex digits"),
        Case("url-percent-env-verify", ("verify",), 2, "two hex digits", env={"DATABASE_URL": raw(p["percent"])}),
        Case("url-bad-query-parameter", ("status", "-d", encoded(p["slash"]) + "?bogus=1"), 2,
             "unknown query parameter"),
        Case("url-keywords-unparseable", ("status", "-d", keywords(p["space"], quoted=False)), 2, MALFORMED),
        # libpq reads these correctly: the server refuses the (wrong) password, and it is never echoed.
        Case("url-qhash-status", ("status", "-d", raw(p["qhash"])), 2, AUTH_FAILED, db=True, auth=True),
        Case("url-qhash-apply-json", ("apply", "-f", "json", "-d", raw(p["qhash"])), 2, AUTH_FAILED, db=True,
             auth=True),
        Case("url-qhash-env-verify", ("verify",), 2, AUTH_FAILED, db=True, auth=True,
             env={"DATABASE_URL": raw(p["qhash"])}),
        Case("url-qhash-env-plan", ("plan",), 2, AUTH_FAILED, db=True, auth=True,
             env={"DATABASE_URL": raw(p["qhash"])}),
        Case("url-unicode-status", ("status", "-d", raw(p["unicode"])), 2, AUTH_FAILED, db=True, auth=True),
        Case("url-unicode-audit", ("audit-prisma", "schema.prisma", "-d", raw(p["unicode"])), 2, AUTH_FAILED,
             files=schema, db=True, auth=True),
        Case("url-unicode-encoded-env-apply", ("apply",), 2, AUTH_FAILED, db=True, auth=True,
             env={"DATABASE_URL": encoded(p["unicode"])}),
        Case("url-unicode-encoded-verify-json", ("verify", "-f", "json", "-d", encoded(p["unicode"])), 2,
             AUTH_FAILED, db=True, auth=True),
        Case("url-mixed-encoded-status", ("status", "-d", encoded(p["mixed"])), 2, AUTH_FAILED, db=True,
             auth=True),
        Case("url-mixed-encoded-apply-json", ("apply", "-f", "json", "-d", encoded(p["mixed"])), 2, AUTH_FAILED,
             db=True, auth=True),
        Case("url-keywords-status", ("status", "-d", keywords(p["space"])), 2, AUTH_FAILED, db=True, auth=True),
        Case("url-keywords-apply", ("apply", "-d", keywords(p["mixed"])), 2, AUTH_FAILED, db=True, auth=True),
        Case("url-pgpassword", ("status",), 2, AUTH_FAILED, db=True, auth=True,
             env={"PGHOST": "{host}", "PGPORT": "{port}", "PGUSER": "{user}", "PGDATABASE": "{dbname}",
                  "PGPASSWORD": p["env"]}),
        # A URL in the wrong place is a usage error; click would echo it whole.
        Case("url-as-extra-argument", ("status", raw(p["mixed"])), 2, "extra argument(s) not accepted"),
        # "[/x]" is a closing rich markup tag: every command must print it, not crash on it.
        *(Case(f"url-socket-with-brackets-{command[0]}", (*command, "-d", BRACKET_SOCKET), 2,
               "cannot connect to app@[/nonexistent/[/x]]:5432/db", files=schema)
          for command in (("status",), ("apply",), ("verify",), ("plan",), ("audit-prisma", "schema.prisma"))),
    ]


TRUNCATED = "CREATE TABLE x (id int"
QUOTE = "SELECT 1;\nSELECT 'abc;\n"


APPLY_PLANS = ("apply", "--plans-dir", "plans", "-d", "{url}")


def plan_cases() -> list[Case]:
    return [
        Case("plan-truncated-apply", APPLY_PLANS, 2,
             "plans/001_x.sql:1:23: syntax error at end of input", files={"plans/001_x.sql": TRUNCATED}, db=True),
        Case("plan-quote-apply", APPLY_PLANS, 2,
             "plans/001_x.sql:2:8: syntax error: unterminated quoted string", files={"plans/001_x.sql": QUOTE},
             db=True),
        Case("plan-dollar-apply", APPLY_PLANS, 2,
             "plans/001_x.sql:1:8: syntax error: unterminated dollar-quoted string",
             files={"plans/001_x.sql": "SELECT $$never closed;\n"}, db=True),
        Case("plan-comment-apply", APPLY_PLANS, 2,
             "plans/001_x.sql:2:1: syntax error: unterminated /* comment",
             files={"plans/001_x.sql": "SELECT 1;\n/* never closed;\n"}, db=True),
        Case("plan-truncated-plan", ("plan", "--plans-dir", "plans", "-d", "{url}"), 2, "001_x.sql:1:23: syntax error",
             files={"plans/001_x.sql": TRUNCATED}, db=True),
        Case("plan-truncated-verify", ("verify", "--plans-dir", "plans", "-d", "{dead}"), 2,
             "001_x.sql:3:23: syntax error at end of input", files={"plans/001_x.sql": f"\n\n{TRUNCATED}\n\n"}),
        Case("plan-truncated-lint", ("lint", "x.sql"), 1, "x.sql:1:23: error L000 syntax-error: syntax error at end",
             files={"x.sql": TRUNCATED}, stream="stdout"),
        Case("plan-quote-lint", ("lint", "x.sql"), 1, "x.sql:2:8: error L000 syntax-error: syntax error: "
             "unterminated quoted string", files={"x.sql": QUOTE}, stream="stdout"),
        Case("plan-comment-lint", ("lint", "x.sql"), 1, "x.sql:2:1: error L000 syntax-error: syntax error: "
             "unterminated /* comment", files={"x.sql": "SELECT 1;\n/* x;\n"}, stream="stdout"),
        Case("plan-identifier-lint", ("lint", "x.sql"), 1, "x.sql:1:15: error L000 syntax-error: syntax error: "
             "unterminated quoted identifier", files={"x.sql": 'SELECT 1 FROM "abc;\n'}, stream="stdout"),
        Case("plan-not-utf8-apply", APPLY_PLANS, 2, "plans/001_x.sql: not valid UTF-8",
             files={"plans/001_x.sql": b"\xff\xfeSELECT 1;"}, db=True),
        Case("plan-not-utf8-lint", ("lint", "x.sql"), 2, "x.sql: not valid UTF-8", files={"x.sql": b"SELECT \xff;"}),
        Case("plan-misnamed", APPLY_PLANS, 2, "plans/1_x.sql: plan files are named",
             files={"plans/1_x.sql": "SELECT 1;"}, db=True),
        Case("plan-duplicate-id", APPLY_PLANS, 2, "plan id 001 is used by both",
             files={"plans/001_a.sql": "SELECT 1;", "plans/001_b.sql": "SELECT 1;"}, db=True),
        Case("plan-unknown-dependency", APPLY_PLANS, 2, "depends on unknown plan(s) 009",
             files={"plans/001_a.sql": "-- depends: 009\nSELECT 1;\n"}, db=True),
        Case("plan-bad-header", APPLY_PLANS, 2,
             "header 'transactional' must be true or false", files={"plans/001_a.sql": "-- transactional: maybe\n"
                                                                    "SELECT 1;\n"}, db=True),
        Case("plan-folder-is-a-file", ("apply", "--plans-dir", "plans.sql", "-d", "{dead}"), 2,
             "plans.sql: plans directory is not a directory", files={"plans.sql": "SELECT 1;"}),
        Case("plan-folder-missing", ("status", "--plans-dir", "nosuch", "-d", "{dead}"), 2,
             "nosuch: plans directory does not exist"),
        *(Case(f"plan-folder-with-brackets-{command}", (command, "--plans-dir", "[/x]/plans", "-d", "{dead}"), 2,
               "[/x]/plans: plans directory does not exist") for command in ("apply", "status", "plan", "verify")),
        Case("plan-folder-with-brackets-export", ("export-prisma", "out", "--plans-dir", "[/x]/plans"), 2,
             "[/x]/plans: plans directory does not exist"),
        Case("plan-file-is-a-folder", ("apply", "--plans-dir", "plans", "-d", "{dead}"), 2,
             "plans/002_dir.sql: cannot read", files={"plans/001_a.sql": "SELECT 1;", "plans/002_dir.sql/x": ""}),
        Case("plan-empty-file", APPLY_PLANS, 2, "plans/001_a.sql: plan has no statement",
             files={"plans/001_a.sql": ""}, db=True),
        Case("plan-comment-only", APPLY_PLANS, 2, "plans/001_a.sql: plan has no statement",
             files={"plans/001_a.sql": "-- nothing to do\n/* at all */\n"}, db=True),
        Case("plan-nul-byte", APPLY_PLANS, 2, "plans/001_a.sql:1: binary content",
             files={"plans/001_a.sql": "SELECT 1;\x00\n"}, db=True),
        Case("plan-empty-folder", APPLY_PLANS, 2, "no plans in this folder", files={"plans/README": ""}, db=True),
        Case("plan-empty-lint", ("lint", "x.sql"), 2, "x.sql: no SQL statement", files={"x.sql": "-- only\n"}),
        Case("plan-verify-schema-matches-nothing", ("verify", "--schema", "nosuch", "-d", "{url}"), 2, "nosuch",
             db=True),
        Case("plan-verify-table-matches-nothing", ("verify", "--table", "nosuch", "-d", "{url}"), 2, "nosuch",
             db=True),
        Case("plan-unknown-only", ("apply", "--only", "042", "-d", "{url}"), 2, "unknown plan id(s): 042", db=True),
        Case("plan-lint-missing-path-with-brackets", ("lint", "[/x]/nosuch.sql"), 2,
             "[/x]/nosuch.sql: no such file or directory"),
    ]


def checks_cases() -> list[Case]:
    def verify(*extra: str) -> tuple[str, ...]:  # checks files are read before connecting
        return ("verify", "-d", "{dead}", "--checks-dir", "checks", *extra)

    return [
        Case("checks-not-utf8", verify(), 2, "checks/001_x.toml: not valid UTF-8",
             files={"checks/001_x.toml": b"plan = \"001\"\n\xff\xfe"}),
        Case("checks-invalid-toml", verify(), 2, "checks/001_x.toml: invalid TOML",
             files={"checks/001_x.toml": "[[tables"}),
        Case("checks-wrong-keys", verify(), 2, "checks/001_x.toml: plan", files={"checks/001_x.toml": "bogus = 1\n"}),
        Case("checks-folder-missing", ("verify", "-d", "{dead}", "--checks-dir", "nosuch"), 2,
             "nosuch: checks directory does not exist"),
        Case("checks-folder-is-a-file", ("verify", "-d", "{dead}", "--checks-dir", "c.toml"), 2,
             "c.toml: checks directory is not a directory", files={"c.toml": ""}),
        Case("checks-folder-with-brackets", ("verify", "-d", "{dead}", "--checks-dir", "[/x]"), 2,
             "[/x]: checks directory does not exist"),
        Case("checks-not-utf8-json", verify("-f", "json"), 2, "checks/001_x.toml: not valid UTF-8",
             files={"checks/001_x.toml": b"\xc3\x28"}),
    ]


def schema_cases() -> list[Case]:
    def audit(schema: str) -> tuple[str, ...]:  # the schema is read before connecting
        return ("audit-prisma", schema, "-d", "{dead}")

    return [
        Case("schema-missing", audit("nosuch.prisma"), 2, "nosuch.prisma: cannot read: No such file"),
        Case("schema-not-utf8", audit("s.prisma"), 2, "s.prisma:1: not valid UTF-8", files={"s.prisma": b"model \xff"}),
        Case("schema-is-a-folder", audit("folder"), 2, "folder: cannot read", files={"folder/x": ""}),
        Case("schema-syntax-error", audit("s.prisma"), 2, "s.prisma:2:11: syntax error at '@'",
             files={"s.prisma": "model A {\n  id Int @@id\n}\n"}),
        Case("schema-unclosed-brace", audit("s.prisma"), 2, "s.prisma:3:1: syntax error at the end of the file",
             files={"s.prisma": "model A {\n  id Int @id\n"}),
        Case("schema-unknown-type", audit("s.prisma"), 2, "'Missing'",
             files={"s.prisma": "model A {\n  id Int @id\n  other Missing\n}\n"}),
        Case("schema-brackets-missing", audit("[/x].prisma"), 2, "[/x].prisma: cannot read"),
        Case("schema-scan-missing", ("scan-queries", "src", "--schema", "nosuch.prisma"), 2,
             "schema not found: nosuch.prisma", files={"src/a.ts": FINDING_TS}),
    ]


def tree_cases() -> list[Case]:
    tree = {"src/schema.prisma": MODEL, "src/app/[id]/x.ts": FINDING_TS}

    def scan(*extra: str) -> tuple[str, ...]:
        return ("scan-queries", "src", *extra)

    return [
        Case("tree-missing", ("scan-queries", "nosuch"), 2, "path not found: nosuch"),
        Case("tree-missing-with-brackets", ("scan-queries", "[/x]/nosuch.ts"), 2, "path not found: [/x]/nosuch.ts"),
        Case("tree-bracket-path-is-printed-verbatim", ("scan-queries", "src/app/[id]/x.ts", "--schema",
                                                        "src/schema.prisma"), 1, "src/app/[id]/x.ts", files=tree,
             stream="stdout"),
        Case("tree-closing-tag-folder", ("scan-queries", "src"), 1, "src/[/x]/y.ts",
             files={"src/schema.prisma": MODEL, "src/[/x]/y.ts": FINDING_TS}, stream="stdout"),
        Case("tree-config-missing", scan("--config", "nosuch.toml"), 2, "config file not found: nosuch.toml",
             files=tree),
        Case("tree-config-invalid", scan("--config", "c.toml"), 2, "c.toml: invalid TOML",
             files={**tree, "c.toml": "x = ["}),
        Case("tree-config-not-utf8", scan("--config", "c.toml"), 2, "c.toml: not valid UTF-8",
             files={**tree, "c.toml": b"\xff\xfe"}),
        Case("tree-config-unknown-setting", scan("--config", "bhq-migrate.toml"), 2, "unknown scan setting 'bogus'",
             files={**tree, "bhq-migrate.toml": "[scan]\nbogus = 1\n"}),
        Case("tree-baseline-invalid", scan("--baseline", "b.json"), 2, "baseline b.json is not valid JSON",
             files={**tree, "b.json": "{"}),
        Case("tree-baseline-not-utf8", scan("--baseline", "b.json"), 2, "baseline b.json is not valid UTF-8",
             files={**tree, "b.json": b"\xff"}),
        Case("tree-disable-unknown-rule", scan("--disable", "NOPE"), 2, "unknown rule to disable: 'NOPE'",
             files=tree),
        Case("tree-fail-on-bogus", scan("--fail-on", "bogus"), 2, "'--fail-on'", files=tree),
        Case("tree-format-bogus", scan("--format", "xml"), 2, "'--format'", files=tree),
        Case("tree-jobs-zero", scan("--jobs", "0"), 2, "'--jobs'", files=tree),
    ]


def flag_cases() -> list[Case]:
    dead = ("-d", "{dead}")
    return [
        Case("flag-retries-negative", ("apply", "--retries", "-1", *dead), 2, "Invalid value for '--retries'"),
        Case("flag-wait-nan", ("apply", "--wait", "nan", *dead), 2, "Invalid value for '--wait'"),
        Case("flag-wait-negative", ("apply", "--wait", "-1", *dead), 2, "Invalid value for '--wait'"),
        Case("flag-wait-text", ("apply", "--wait", "soon", *dead), 2, "Invalid value for '--wait'"),
        Case("flag-backoff-infinite", ("apply", "--retry-backoff", "inf", *dead), 2,
             "Invalid value for '--retry-backoff': inf is not a finite number"),
        Case("flag-batch-rows-zero", ("apply", "--online-batch-rows", "0", *dead), 2, "'--online-batch-rows'"),
        Case("flag-lock-timeout-text", ("verify", "--lock-timeout", "banana", *dead), 2,
             "--lock-timeout: 'banana' is not a duration"),
        Case("flag-statement-timeout-negative", ("status", "--statement-timeout", "-5s", *dead), 2,
             "--statement-timeout: '-5s' is not a duration"),
        Case("flag-apply-format", ("apply", "--format", "xml", *dead), 2, "Invalid value for '--format'"),
        Case("flag-unknown-option", ("status", "--bogus"), 2, "No such option: --bogus"),
        Case("flag-demo-negative", ("demo", "--invoices", "-5"), 2, "Invalid value for '--invoices'"),
        Case("flag-unknown-command", ("frobnicate",), 2, "No such command 'frobnicate'"),
        Case("flag-missing-argument", ("audit-prisma",), 2, "Missing argument"),
        Case("flag-lint-without-paths", ("lint",), 2, "give SQL files or migration folders to lint"),
        Case("flag-missing-value", ("status", "-d"), 2, "Option '-d' requires an argument"),
        Case("flag-dry-run-online", ("apply", "--dry-run", "--online-retype", *dead), 2, "cannot be combined"),
        Case("flag-verify-format", ("verify", "--format", "yaml", *dead), 2, "Invalid value for '--format'"),
        Case("flag-export-missing-folder-argument", ("export-prisma",), 2, "Missing argument"),
        Case("flag-no-database", ("status",), 2, "no database given", env={"PGHOST": "", "PGDATABASE": ""}),
    ]


def output_cases() -> list[Case]:
    dead = ("-d", "{dead}")
    tree = {"src/a.ts": FINDING_TS}
    return [
        Case("out-junit-missing-folder", ("verify", "--junit-xml", "missing/dir/x.xml", *dead), 2,
             "Invalid value for '--junit-xml': folder missing/dir does not exist", absent=("missing",)),
        Case("out-junit-is-a-folder", ("verify", "--junit-xml", "folder", *dead), 2, "folder is a folder, not a file",
             files={"folder/keep": ""}),
        Case("out-junit-brackets", ("verify", "--junit-xml", "[/x]/r.xml", *dead), 2, "folder [/x] does not exist",
             absent=("[",)),
        Case("out-junit-under-a-file", ("verify", "--junit-xml", "f.txt/r.xml", *dead), 2, "f.txt is not a folder",
             files={"f.txt": ""}),
        Case("out-baseline-missing-folder", ("scan-queries", "src", "--baseline", "missing/b.json"), 2,
             "Invalid value for '--baseline': folder missing does not exist", files=tree, absent=("missing",)),
        Case("out-export-missing-parent", ("export-prisma", "missing/prisma/migrations"), 2,
             "folder missing/prisma does not exist", absent=("missing",)),
        Case("out-export-under-a-file", ("export-prisma", "f.txt/migrations"), 2, "f.txt is not a folder",
             files={"f.txt": ""}),
        Case("out-export-brackets", ("export-prisma", "[/x]/y/migrations"), 2, "folder [/x]/y does not exist",
             absent=("[",)),
        Case("out-export-unwritable", ("export-prisma", "{unwritable}"), 2, "{unwritable}"),
    ]


def signal_cases() -> list[Case]:
    def interrupted(name: str, args: tuple[str, ...], module: str, **extra: Any) -> Case:
        return Case(name, args, 130, "interrupted", block_import=module, **extra)

    dead = ("-d", "{dead}")
    return [
        interrupted("sigint-importing-the-cli", ("status", *dead), "bhq_migrate.cli"),
        interrupted("sigint-importing-typer", ("status", *dead), "typer"),
        interrupted("sigint-importing-rich", ("apply", *dead), "rich.console"),
        interrupted("sigint-importing-psycopg", ("verify", *dead), "psycopg"),
        interrupted("sigint-importing-pglast", ("lint", "x.sql"), "pglast", files={"x.sql": "SELECT 1;"}),
        interrupted("sigint-importing-tree-sitter", ("scan-queries", "src"), "tree_sitter", files={"src/a.ts": ""}),
        interrupted("sigint-importing-lark", ("audit-prisma", "s.prisma", *dead), "lark", files={"s.prisma": MODEL}),
        interrupted("sigint-importing-demo", ("demo",), "bhq_migrate.cli.demo"),
        interrupted("sigint-script-importing-app", ("status", *dead), "bhq_migrate.cli.app", script=True),
        # After plan 001's statements and history row, inside its transaction: everything must roll back.
        interrupted("sigint-inside-the-plan-transaction", ("apply", "--record-prisma", "--no-lint", "-d", "{url}"),
                    "bhq_migrate.prisma.migrations", db=True),
    ]


CASES = [*url_cases(), *plan_cases(), *checks_cases(), *schema_cases(), *tree_cases(), *flag_cases(),
         *output_cases(), *signal_cases()]


def test_the_table_is_large_and_ids_are_unique() -> None:
    assert len(CASES) >= 80
    assert len({case.id for case in CASES}) == len(CASES)


# -- running a case --------------------------------------------------------------------------------


def _fragments() -> set[str]:
    return {password[i:i + 4] for password in PASSWORDS.values() for i in range(len(password) - 3)}


FRAGMENTS = _fragments()


def _db_fingerprint(url: str) -> tuple[Any, ...]:
    tables = [row[0] for row in query(url, "SELECT format('%I.%I', schemaname, relname) FROM pg_stat_user_tables "
                                           "ORDER BY 1")]
    return tuple(schema_fingerprint(url)), tuple((table, scalar(url, f"SELECT count(*) FROM {table}"))
                                                 for table in tables)


def _password_checked(url: str) -> bool:
    """Whether TCP logins need a password on this server (an env-provided server may trust them)."""
    trusted = scalar(url, "SELECT count(*) FROM pg_hba_file_rules WHERE auth_method = 'trust' AND type = 'host'")
    return not trusted


def _unwritable(tmp_path: Path) -> str:
    if os.geteuid() == 0:  # root writes through permission bits; sysfs refuses new folders to everyone
        return "/sys/bhq-migrate-export"
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    return str(folder)


def _spawn(case: Case, args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).parent / "bhq-migrate")] if case.script else [sys.executable, "-m",
                                                                                       "bhq_migrate"]
    if case.block_import is None:
        return subprocess.run([*command, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300)
    ready_read, ready_write = os.pipe()
    wait_read, wait_write = os.pipe()
    env = {**env, "PYTHONPATH": os.pathsep.join([str(HOOK_DIR), env["PYTHONPATH"]]),
           "BHQ_TEST_BLOCK_IMPORT": case.block_import, "BHQ_TEST_READY_FD": str(ready_write),
           "BHQ_TEST_WAIT_FD": str(wait_read)}
    try:
        process = subprocess.Popen([*command, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   env=env, cwd=cwd, pass_fds=(ready_write, wait_read))
        os.close(ready_write)
        os.close(wait_read)
        reached = os.read(ready_read, 1)  # b"" (end of file) if the child exited without importing the module
        if reached:
            process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=300)
    finally:
        for fd in (ready_read, wait_write):
            os.close(fd)
    assert reached, f"the child never imported {case.block_import}: {stderr}"
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input(case: Case, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if case.script and not (Path(sys.executable).parent / "bhq-migrate").is_file():
        pytest.skip("the bhq-migrate script is not installed next to this Python")
    work = tmp_path / "case"
    work.mkdir()
    fields = {"host": "127.0.0.1", "port": "1", "dbname": "nodb", "user": "app",
              "dead": "postgresql://app@127.0.0.1:1/nodb", "unwritable": ""}
    fields["url"] = fields["dead"]
    url = None
    if case.db:
        url = request.getfixturevalue("baseline_db")
        params = conninfo.conninfo_to_dict(url)
        fields.update(host=str(params.get("host", "127.0.0.1")), port=str(params.get("port", "5432")),
                      dbname=str(params["dbname"]), user=str(params.get("user", "postgres")), url=url)
        if case.auth and not _password_checked(url):
            pytest.skip("this server trusts TCP logins, so a wrong password cannot be rejected")
    if "{unwritable}" in case.args:
        fields["unwritable"] = _unwritable(tmp_path)
    for relative, content in case.files.items():
        path = work / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    before = _db_fingerprint(url) if url else None

    env = {key: value for key, value in os.environ.items()
           if key not in {"DATABASE_URL", "PGPASSWORD", "PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGSERVICE"}}
    env.update({"PYTHONPATH": str(REPO_ROOT), "NO_COLOR": "1"})
    env.update({key: value.format(**fields) for key, value in case.env.items()})
    args = [arg.format(**fields) for arg in case.args]
    result = _spawn(case, args, env, work)

    shown = result.stdout + result.stderr
    assert result.returncode == case.code, shown
    assert "Traceback" not in shown and "unexpected" not in shown.lower(), shown
    # Warnings a command prints before it stops (apply's pre-flight notes) are not the error: the error is
    # still exactly one line.
    lines = [line for line in result.stderr.splitlines() if line.strip() and not line.startswith("warning: ")]
    expect = case.expect.format(**fields)
    if case.stream == "stdout":
        assert lines == [], result.stderr
        assert expect in result.stdout, result.stdout
    else:
        assert len(lines) == 1, result.stderr
        prefix = "interrupted" if case.code == 130 else "error: "
        assert lines[0].startswith(prefix) and expect in lines[0], lines[0]
    written = [path.read_bytes().decode("utf-8", "replace") for path in work.rglob("*") if path.is_file()]
    leaked = {fragment for fragment in FRAGMENTS for text in (shown, *written) if fragment in text}
    assert not leaked, f"password fragments {sorted(leaked)} in the output or in a written file"
    for relative in case.absent:
        assert not (work / relative).exists(), f"{relative} was created"
    if url:
        assert _db_fingerprint(url) == before, "the database changed"


def test_an_error_line_prints_brackets_verbatim(tmp_path: Path) -> None:
    """The no-binaries hint names the ``[embedded]`` extra; rich markup must neither swallow it nor choke on
    a closing tag like ``[/x]`` (the only way to reach the hint from the CLI is a machine without PostgreSQL)."""
    hint = "pip install 'bhq-migrate[embedded]' or see [/x] and [bold]"
    code = ("import sys, typer\nfrom bhq_migrate.cli.app import guarded\n"
            "from bhq_migrate.errors import EmbeddedServerError\n"
            f"def boom():\n    raise EmbeddedServerError({hint!r})\n"
            "try:\n    guarded(boom)\nexcept typer.Exit as exit:\n    sys.exit(exit.exit_code)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "NO_COLOR": "1"}, timeout=120)
    assert result.returncode == 2, result.stderr
    assert result.stderr == f"error: {hint}\n"
