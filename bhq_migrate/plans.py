"""Plan files: ``NNN_slug.sql`` with optional ``-- key: value`` headers, split by PostgreSQL's own parser.

Shared by the runner, the linter, verify's plan/check consistency test and the Prisma export, so all of
them see exactly the statements the server will execute.

Headers (leading ``--`` comment lines, yoyo style)::

    -- transactional: false     run statements one by one in autocommit (e.g. CREATE INDEX CONCURRENTLY)
    -- optional: true           applied only when asked for (``apply --with-optional`` or ``--only``)
    -- optional: explicit       applied only when named with ``--only`` (``--with-optional`` leaves it out)
    -- depends: 001 002         ids that must be applied first
    -- description: free text
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pglast import ast
from pglast import parser as pg_parser
from pydantic import BaseModel, ConfigDict, PrivateAttr

from bhq_migrate.errors import BadPlan

PLAN_FILENAME = re.compile(r"^(?P<id>\d{3,})_(?P<name>[a-z0-9_]+)\.sql$")
_HEADER = re.compile(r"^--\s*(?P<key>transactional|optional|depends|description)\s*:\s*(?P<value>.*?)\s*$")
_LONG_NEAR = re.compile(r'at or near "(?P<near>.{41,})"$')  # an unterminated quote quotes the rest of the file
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}
_EXPLICIT = "explicit"


_VALIDATING_SETATTR: Callable[[ast.Node, str, Any], None] | None = vars(ast.Node).get("__setattr__")
"""pglast's own ``Node.__setattr__``, which checks and coerces every field of every node it builds."""
_TRUSTED = threading.RLock()
_trusted_depth = 0


def _trusted_setattr(node: ast.Node, name: str, value: Any) -> None:
    # The C parser already hands each field a value of its final type (enum members, tuples of nodes); only
    # Boolean.boolval comes as an int. tests/test_plans.py checks the trees are identical, types included.
    object.__setattr__(node, name, bool(value) if name == "boolval" and value is not None else value)


@contextmanager
def trusted_trees() -> Iterator[None]:
    """Inside this block pglast builds its trees about 4x faster: without its per-field validation, which only
    re-checks what its C parser produced and costs most of a parse (lint reads thousands of statements).

    The switch is one class attribute, set once for the block (setting it per parse would flush Python's
    method caches of every node class each time and cost more than it saves); outside the block, and with a
    pglast whose nodes validate differently, parsing is pglast's own. Nothing in bhq_migrate builds nodes by
    hand, the one thing the validation is for."""
    global _trusted_depth
    if _VALIDATING_SETATTR is None:
        yield
        return
    with _TRUSTED:
        _trusted_depth += 1
        ast.Node.__setattr__ = _trusted_setattr
        try:
            yield
        finally:
            _trusted_depth -= 1
            if _trusted_depth == 0:
                ast.Node.__setattr__ = _VALIDATING_SETATTR


class Statement(BaseModel):
    """One statement as the server will receive it, with where it starts in its file (1-based).

    :attr:`node` is its parse tree, parsed once and kept: the runner, pre-flight, lint and the online planner
    all read the same tree instead of each parsing the text again.
    """

    model_config = ConfigDict(frozen=True)

    index: int
    sql: str
    line: int
    column: int
    leading_comments: str = ""
    _node: Any = PrivateAttr(default=None)

    @property
    def node(self) -> ast.Node:
        """The statement's pglast tree (locations relative to :attr:`sql`), parsed on first use, then shared."""
        if self._node is None:
            raw = pg_parser.parse_sql(self.sql)
            self._node = raw[0].stmt  # split_statements made it one statement; its parse succeeded already
        return self._node


class Plan(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    path: Path
    text: str
    sha256: str
    transactional: bool = True
    optional: bool = False
    explicit: bool = False
    """Optional and left out of ``--with-optional``: applied only when named (``--only``)."""
    depends: tuple[str, ...] = ()
    description: str = ""
    statements: tuple[Statement, ...] = ()

    @property
    def filename(self) -> str:
        return self.path.name


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def position(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of a character offset."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def split_statements(text: str, filename: str = "<sql>") -> tuple[Statement, ...]:
    """Split with libpg_query; a statement PostgreSQL would reject raises BadPlan naming file:line:col."""
    try:
        # The parser validates the whole file and gives each statement's slice without building its tree
        # (a Python tree per statement costs 30x the parse); the tree is built once, on first use.
        slices = pg_parser.split(text, with_parser=True, only_slices=True)
    except pg_parser.ParseError:
        message, offset = parse_error_position(text)
        line, column = position(text, offset)
        raise BadPlan(f"{filename}:{line}:{column}: {message}") from None
    statements: list[Statement] = []
    for index, piece in enumerate(slices):
        chunk = text[piece]
        body_offset = skip_comments(chunk)
        body = chunk[body_offset:].strip()
        line, column = position(text, piece.start + body_offset)
        statements.append(
            Statement(index=index, sql=body, line=line, column=column, leading_comments=chunk[:body_offset])
        )
    return tuple(statements)


def parse_error_position(sql: str) -> tuple[str, int]:
    """The message and character offset of the first parse error in ``sql`` (which must not parse).

    libpg_query reports a byte offset, and pglast's conversion to characters is off when non-ASCII
    characters (a "→" in a comment) come first; parsing an ASCII stand-in of the same length gives
    the character offset directly.
    """
    stand_in = "".join(char if ord(char) < 128 else "x" for char in sql)
    try:
        pg_parser.parse_sql(stand_in)
    except pg_parser.ParseError as exc:
        return _syntax_message(exc), _error_offset(exc, sql)
    try:  # the stand-in parsed (the error depended on a non-ASCII character): use pglast's own answer
        pg_parser.parse_sql(sql)
    except pg_parser.ParseError as exc:
        return _syntax_message(exc), _error_offset(exc, sql)
    return "syntax error", 0


def scan_error_position(sql: str) -> tuple[str, int]:
    """Like :func:`parse_error_position`, for text the scanner rejects (an unterminated quote or comment)."""
    for text in ("".join(char if ord(char) < 128 else "x" for char in sql), sql):
        try:
            pg_parser.scan(text)
        except pg_parser.ParseError as exc:
            return _syntax_message(exc), _error_offset(exc, sql)
    return "syntax error", 0


def _syntax_message(exc: pg_parser.ParseError) -> str:
    """PostgreSQL's message, always saying it is a syntax error ("unterminated quoted string" alone does not)."""
    message = " ".join(str(exc.args[0] if exc.args else "syntax error").split())  # one line, even for "'abc;\n"
    message = _LONG_NEAR.sub(lambda match: f'at or near "{match["near"][:40]}..."', message)
    return message if message.startswith("syntax error") else f"syntax error: {message}"


def _error_offset(exc: pg_parser.ParseError, sql: str) -> int:
    """The error's character offset; at the end of the text's last line when PostgreSQL gives none (an error
    "at end of input", e.g. a truncated ``CREATE TABLE x (id int``)."""
    location = exc.args[1] if len(exc.args) > 1 else None
    if location is None:
        return len(sql.rstrip())
    return min(int(location), len(sql))


def skip_comments(chunk: str) -> int:
    """Offset of the first token after leading whitespace, ``--`` and ``/* */`` comments."""
    offset = 0
    while offset < len(chunk):
        if chunk[offset].isspace():
            offset += 1
        elif chunk.startswith("--", offset):
            newline = chunk.find("\n", offset)
            offset = len(chunk) if newline < 0 else newline + 1
        elif chunk.startswith("/*", offset):
            close = chunk.find("*/", offset + 2)
            offset = len(chunk) if close < 0 else close + 2
        else:
            break
    return offset


def read_headers(text: str, filename: str) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("--"):
            break
        match = _HEADER.match(stripped)
        if match:
            headers[match["key"]] = match["value"]
    for key in ("transactional", "optional"):
        allowed = _TRUE | _FALSE | ({_EXPLICIT} if key == "optional" else set())
        if key in headers and headers[key].lower() not in allowed:
            also = " or explicit" if key == "optional" else ""
            raise BadPlan(f"{filename}: header '{key}' must be true{also} or false, got {headers[key]!r}")
    return headers


def read_sql_file(path: Path) -> str:
    """A SQL file's text; unreadable or non-UTF-8 files are a one-line BadPlan."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise BadPlan(f"{path}: not valid UTF-8") from None
    except OSError as exc:
        raise BadPlan(f"{path}: cannot read: {exc.strerror}") from None
    nul = text.find("\x00")
    if nul >= 0:  # libpg_query reads a C string: it would silently drop everything after the NUL
        raise BadPlan(f"{path}:{position(text, nul)[0]}: binary content (a NUL byte), not a SQL file")
    return text


def load_plan(path: Path) -> Plan:
    """One plan file; a file without any statement (empty, only comments) is a BadPlan."""
    match = PLAN_FILENAME.match(path.name)
    if not match:
        raise BadPlan(f"{path}: plan files are named NNN_slug.sql (digits, underscore, lowercase slug)")
    text = read_sql_file(path)
    headers = read_headers(text, str(path))
    statements = split_statements(text, str(path))
    if not statements:  # recorded as applied, it would hide a truncated or misnamed file forever
        raise BadPlan(f"{path}: plan has no statement")
    return Plan(
        id=match["id"],
        name=match["name"],
        path=path,
        text=text,
        sha256=sha256_text(text),
        transactional=headers.get("transactional", "true").lower() in _TRUE,
        optional=headers.get("optional", "false").lower() in _TRUE | {_EXPLICIT},
        explicit=headers.get("optional", "false").lower() == _EXPLICIT,
        depends=tuple(headers.get("depends", "").replace(",", " ").split()),
        description=headers.get("description", ""),
        statements=statements,
    )


def load_plans(directory: Path) -> list[Plan]:
    """Every plan in ``directory``, sorted by id; no plan at all and duplicate ids are errors."""
    if not directory.is_dir():
        state = "is not a directory" if directory.exists() else "does not exist"
        raise BadPlan(f"{directory}: plans directory {state}")
    plans = [load_plan(path) for path in sorted(directory.glob("*.sql"))]
    if not plans:  # "nothing to apply" from a mistyped folder would pass silently
        raise BadPlan(f"{directory}: no plans in this folder (files named NNN_slug.sql)")
    seen: dict[str, Plan] = {}
    for plan in plans:
        if plan.id in seen:
            first = seen[plan.id].filename
            raise BadPlan(f"{directory}: plan id {plan.id} is used by both {first} and {plan.filename}")
        seen[plan.id] = plan
    known = set(seen)
    for plan in plans:
        missing = [dep for dep in plan.depends if dep not in known]
        if missing:
            raise BadPlan(f"{plan.path}: depends on unknown plan(s) {', '.join(missing)}")
    return sorted(plans, key=lambda plan: plan.id)
