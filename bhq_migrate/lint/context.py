"""What a rule sees (:class:`LintContext`) and what it reports (:class:`Hit`).

The context holds every statement of the files linted together, in plan order, each with its
:class:`~bhq_migrate.lint.analysis.StatementEffect`, and the :class:`~bhq_migrate.lint.schema.SchemaModel`
those statements build.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum

from pglast import ast, parser
from pglast.enums.parsenodes import AlterTableType

from bhq_migrate.catalog.model import Catalog
from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.analysis import ACTIONS, Effect, StatementEffect, analyse_statement, combine
from bhq_migrate.lint.schema import SchemaModel
from bhq_migrate.lint.source import SourceFile, Unit


class Runner(str, Enum):
    """Who runs the files, which decides the transaction each file runs in."""

    BHQ = "bhq"
    """bhq-migrate: one transaction per plan unless its header says `-- transactional: false`."""
    PRISMA = "prisma"
    """Prisma Migrate on PostgreSQL: no transaction around a file; BEGIN/COMMIT in the file are the author's."""
    FLYWAY = "flyway"
    """Flyway: one transaction per file; BEGIN/COMMIT and CONCURRENTLY inside it fail."""


@dataclass(frozen=True)
class LintOptions:
    runner_sets_lock_timeout: bool = False
    """True when the statements will run under bhq-migrate's runner, which sets lock_timeout and
    statement_timeout itself: ``missing-lock-timeout`` then has nothing to report."""
    keep_suppressed: bool = False
    """Return suppressed findings too (marked ``suppressed``), e.g. to compare with squawk."""
    runner: Runner = Runner.BHQ
    """Who runs the files: decides whether each file runs in a transaction (see :class:`Runner`)."""
    enable: tuple[str, ...] = ()
    """Rules (ids or names, or ``all``) to run on top of the default set: turns on opt-in rules."""
    disable: tuple[str, ...] = ()
    """Rules (ids or names) not to run."""
    history: bool = False
    """Files are migrations deployed one after another, each at its own time: whatever an earlier file created
    is an existing (live, populated) object for the later files. False: the files run together, as `apply` runs
    pending plans, so everything they create is new and empty."""


@dataclass(frozen=True, eq=False)
class AnalysedStatement:
    unit: Unit
    effect: StatementEffect
    table_existed: bool
    """Whether the statement's table existed before the plans ran (see SchemaModel.table_existed)."""


@dataclass(frozen=True)
class Hit:
    """One rule violation, at a node of a statement (``location`` relative to ``unit.sql``) or at an explicit
    file/line/column (syntax errors). ``severity`` overrides the rule's default."""

    message: str
    unit: Unit | None = None
    location: int | None = None
    severity: Severity | None = None
    file: str = ""
    line: int = 0
    column: int = 0


@dataclass(frozen=True)
class LintRule:
    """A rule's documentation (:class:`~bhq_migrate.findings.Rule`) and its check."""

    rule: Rule
    check: Callable[[LintContext], Iterable[Hit]]


@dataclass
class LintContext:
    sources: list[SourceFile]
    statements: list[AnalysedStatement]
    schema: SchemaModel
    options: LintOptions = field(default_factory=LintOptions)
    _ordinals: dict[int, int] = field(default_factory=dict, repr=False)
    _file_order: dict[str, int] = field(default_factory=dict, repr=False)
    _by_file: dict[str, list[AnalysedStatement]] = field(default_factory=dict, repr=False)
    _clauses: dict[int, list[int]] = field(default_factory=dict, repr=False)

    def statements_in(self, source: SourceFile) -> Iterator[AnalysedStatement]:
        if not self._by_file:  # one pass, not one per file: a folder of 1,000 migrations is linted as one run
            for statement in self.statements:
                self._by_file.setdefault(statement.unit.file, []).append(statement)
        return iter(self._by_file.get(source.file, ()))

    def of_type(self, kind: type) -> Iterator[AnalysedStatement]:
        return (statement for statement in self.statements if isinstance(statement.unit.node, kind))

    def alter_commands(self, subtype: AlterTableType) -> Iterator[tuple[AnalysedStatement, ast.AlterTableCmd]]:
        """Every ``ALTER TABLE`` sub-command of ``subtype`` on a table that existed before the plans ran
        (the only ones whose locks and scans hurt a live system)."""
        for statement in self.of_type(ast.AlterTableStmt):
            node = statement.unit.node
            if not statement.table_existed or not isinstance(node, ast.AlterTableStmt):
                continue
            for cmd in node.cmds or ():
                if cmd.subtype == subtype:
                    yield statement, cmd

    def clause_location(self, statement: AnalysedStatement, cmd: ast.AlterTableCmd) -> int | None:
        """Where ``cmd``'s clause starts in its ALTER TABLE (a ``location`` for :class:`Hit`): findings about
        one clause of a long multi-clause statement then point at that clause's line, as squawk's do."""
        key = id(statement.unit)
        if key not in self._clauses:
            self._clauses[key] = clause_starts(statement.unit.sql)
        node = statement.unit.node
        commands = list(node.cmds or ()) if isinstance(node, ast.AlterTableStmt) else []
        starts = self._clauses[key]
        index = next((n for n, candidate in enumerate(commands) if candidate is cmd), None)
        if index is None or len(starts) != len(commands):
            return None
        return starts[index]

    def table_existed(self, table: str, unit: Unit) -> bool:
        """Did ``table`` exist, with rows, when the file of ``unit`` ran?"""
        if not self._file_order:
            self._file_order.update({source.file: n for n, source in enumerate(self.sources)})
        return self.schema.table_existed(table, self._file_order.get(unit.file))

    def in_transaction(self, source: SourceFile) -> bool:
        """Does ``source`` run inside one transaction (so locks taken early are held to its end)?"""
        if self.options.runner is Runner.PRISMA:
            return any(isinstance(unit.node, ast.TransactionStmt) for unit in source.units)
        if self.options.runner is Runner.FLYWAY:
            return True
        return source.transactional

    def ordinal(self, unit: Unit | None) -> int:
        """Position of ``unit`` in plan order; -1 for objects already in the database."""
        if unit is None:
            return -1
        if not self._ordinals:
            self._ordinals.update({id(statement.unit): n for n, statement in enumerate(self.statements)})
        return self._ordinals.get(id(unit), -1)


def clause_starts(sql: str) -> list[int]:
    """Character offsets, in one ALTER TABLE statement, of each comma-separated clause (the first clause
    counts from the statement's start). Commas inside parentheses belong to their clause."""
    raw = sql.encode("utf-8")
    starts, depth = [0], 0
    try:
        tokens = parser.scan(sql)
    except parser.ParseError:
        return starts
    for token in tokens:
        if token.name == "ASCII_40":
            depth += 1
        elif token.name == "ASCII_41":
            depth -= 1
        elif token.name == "ASCII_44" and depth == 0:
            starts.append(len(raw[: token.end + 1].decode("utf-8", errors="ignore")))
    return [start + len(sql[start:]) - len(sql[start:].lstrip()) for start in starts]


def build_context(sources: Sequence[SourceFile], options: LintOptions, catalog: Catalog | None) -> LintContext:
    """Analyse every statement in order, growing the schema model as the plans would."""
    schema = SchemaModel.from_catalog(catalog)
    statements: list[AnalysedStatement] = []
    for file_index, source in enumerate(sources):
        do_blocks: dict[int, int] = {}
        inside: dict[int, list[AnalysedStatement]] = {}
        for unit in source.units:
            effect = analyse_statement(unit.node, schema.column_type, schema.persistence_of)
            existed = bool(effect.object) and schema.table_existed(effect.object or "")
            analysed = AnalysedStatement(unit, effect, existed)
            if unit.in_do_block:
                inside.setdefault(unit.index, []).append(analysed)
            elif isinstance(unit.node, ast.DoStmt):
                do_blocks[unit.index] = len(statements)
            statements.append(analysed)
            schema.apply(unit)
        for index, position in do_blocks.items():
            statements[position] = _do_block(statements[position], inside.get(index, []))
        if options.history:
            schema.settle(file_index + 1)
    return LintContext(list(sources), statements, schema, options)


def _do_block(outer: AnalysedStatement, inner: list[AnalysedStatement]) -> AnalysedStatement:
    """A DO block locks and costs what its statements do; dynamic SQL makes its effect unknown."""
    effect = combine(statement.effect for statement in inner)
    if outer.unit.dynamic_sql:
        effect = replace(effect, effect=Effect.UNKNOWN, notes=(*effect.notes, ACTIONS["DO block dynamic SQL"].note))
    return replace(outer, effect=effect, table_existed=any(statement.table_existed for statement in inner))
