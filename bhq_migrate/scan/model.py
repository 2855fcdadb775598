"""The data the scan passes between its stages: a file's context, the Prisma calls and raw-SQL sites found
in it, and the :class:`ScanFinding` every rule produces."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict
from tree_sitter import Node

from bhq_migrate.findings import Finding, Rule, Severity
from bhq_migrate.scan.config import ScanConfig
from bhq_migrate.scan.models import Model, ModelCatalog


class ReviewCause(BaseModel):
    """The one thing a "needs review" verdict depends on, when the scan can name it: a helper (or imported
    value) it could not follow, or a parameter of a function callable from elsewhere. Findings with the same
    ``key`` are reported once, with their call sites (:mod:`bhq_migrate.scan.causes`)."""

    model_config = ConfigDict(frozen=True)

    kind: str
    """``helper`` (a call or imported name the scan could not follow) or ``parameter``."""
    name: str
    """The helper's name as called (what ``--scoping-helper``/``--unscoped-helper`` take), or the parameter's."""
    origin: str
    """In words, where it comes from: ``imported from '@acme/where'``, ``of exported function list() (line 3)``."""
    key: str
    """What groups findings: the helper's name, or the parameter's file, function and name."""
    identity: str = ""
    """``key`` without positions or absolute paths (the helper's name; the function's and parameter's names),
    for a fingerprint that survives code moving; the grouped finding adds its displayed file."""
    settle: str = ""
    """How to settle every query that depends on it at once (set when the findings are grouped)."""


class ReviewSite(BaseModel):
    """One call site that a grouped "needs review" finding stands for."""

    model_config = ConfigDict(frozen=True)

    file: str
    line: int
    column: int
    model: str | None = None
    method: str | None = None


class ScanFinding(Finding):
    """A finding in a source file, with the Prisma model and method it concerns (when there is one).

    ``fingerprint`` identifies the finding without its line number, so a baseline survives code moving.
    """

    model: str | None = None
    method: str | None = None
    fingerprint: str = ""
    cause: ReviewCause | None = None
    """For S007: what the verdict depends on, when the scan can name it."""
    sites: tuple[ReviewSite, ...] = ()
    """For S007 with a cause: every call site that depends on it (this finding points at the first)."""


@dataclass
class FileContext:
    """One parsed file plus what the scan knows about it."""

    display: str
    source: bytes
    root: Node
    catalog: ModelCatalog
    config: ScanConfig
    client_names: set[str] = field(default_factory=set)
    """Identifiers bound to a Prisma client in this file (configured names, ``tx`` parameters, aliases)."""
    scoped_clients: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    """Local aliases of a client (``const client = tx ?? prisma``), valid within the byte ranges given."""
    delegates: dict[str, list[tuple[int, int, Model]]] = field(default_factory=dict)
    """Identifiers bound to a model delegate (``const { invoice } = prisma``), per declaring scope."""
    client_fields: set[str] = field(default_factory=set)
    """Class fields holding a client (``this.#client``, ``this._db``, ``constructor(private db: PrismaClient)``)."""
    client_types: set[str] = field(default_factory=set)
    """Local type aliases of a client type (``type DB = PrismaClient | Prisma.TransactionClient``)."""
    client_functions: set[str] = field(default_factory=set)
    """Functions of this file that return a client (``getClient()``)."""
    path: Path | None = None
    """The file's absolute path (for the project index)."""
    reported_relations: set[str] = field(default_factory=set)
    """To-one relations already reported in this file (S011, once per relation field)."""
    unknown_receivers: set[str] = field(default_factory=set)
    """Receivers of ``.<model>.<method>(`` already reported as not recognised (once per receiver)."""

    def client_alias_at(self, name: str, offset: int) -> bool:
        return any(start <= offset < end for start, end in self.scoped_clients.get(name, ()))

    def delegate_at(self, name: str, offset: int) -> Model | None:
        for start, end, model in self.delegates.get(name, ()):
            if start <= offset < end:
                return model
        return None

    def finding(
        self,
        rule: Rule,
        node: Node,
        message: str,
        *,
        model: str | None = None,
        method: str | None = None,
        severity: Severity | None = None,
        cause: ReviewCause | None = None,
    ) -> ScanFinding:
        row, column = node.start_point
        return ScanFinding(
            file=self.display,
            line=row + 1,
            column=column + 1,
            rule=rule.id,
            severity=severity or rule.severity,
            message=message,
            help=rule.fix,
            model=model,
            method=method,
            cause=cause,
        )


@dataclass
class PrismaCall:
    """``<client>.<model>.<method>(args)``, or a fluent relation read ``....findUnique(...).items(args)``."""

    node: Node
    """The call expression."""
    model: Model
    method: str
    anchor: Node
    """Where findings point: the model accessor (``invoice`` in ``prisma.invoice``) or the relation name."""
    args: Node | None
    """The first argument, unwrapped; ``None`` when the call has none."""
    fluent_from: Model | None = None
    """For a fluent relation read: the model the relation starts from."""


@dataclass
class RawSqlSite:
    """A raw-SQL call (``$queryRaw`` and friends) or a complete ``Prisma.sql`` statement."""

    node: Node
    method: str
    anchor: Node
    sql: str | None
    """The SQL with template holes replaced by ``$n`` placeholders; ``None`` when not static."""
    why_not_static: str = ""
    unknown_clauses: int = 0
    """Template holes in clause position that could not be read (replaced by nothing for the parse)."""
