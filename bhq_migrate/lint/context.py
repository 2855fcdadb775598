"""What a rule sees (:class:`LintContext`) and what it reports (:class:`Hit`).

The context holds every statement of the files linted together, in plan order, each with its
:class:`~bhq_migrate.lint.analysis.StatementEffect`, and the :class:`~bhq_migrate.lint.schema.SchemaModel`
those statements build.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace

from pglast import ast
from pglast.enums.parsenodes import AlterTableType

from bhq_migrate.catalog.model import Catalog
from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.analysis import ACTIONS, Effect, StatementEffect, analyse_statement, combine
from bhq_migrate.lint.schema import SchemaModel
from bhq_migrate.lint.source import SourceFile, Unit


@dataclass(frozen=True)
class LintOptions:
    runner_sets_lock_timeout: bool = False
    """True when the statements will run under bhq-migrate's runner, which sets lock_timeout and
    statement_timeout itself: ``missing-lock-timeout`` then has nothing to report."""
    keep_suppressed: bool = False
    """Return suppressed findings too (marked ``suppressed``), e.g. to compare with squawk."""


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

    def statements_in(self, source: SourceFile) -> Iterator[AnalysedStatement]:
        return (statement for statement in self.statements if statement.unit.file == source.file)

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

    def ordinal(self, unit: Unit | None) -> int:
        """Position of ``unit`` in plan order; -1 for objects already in the database."""
        if unit is None:
            return -1
        if not self._ordinals:
            self._ordinals.update({id(statement.unit): n for n, statement in enumerate(self.statements)})
        return self._ordinals.get(id(unit), -1)


def build_context(sources: Sequence[SourceFile], options: LintOptions, catalog: Catalog | None) -> LintContext:
    """Analyse every statement in order, growing the schema model as the plans would."""
    schema = SchemaModel.from_catalog(catalog)
    statements: list[AnalysedStatement] = []
    for source in sources:
        do_blocks: dict[int, int] = {}
        inside: dict[int, list[AnalysedStatement]] = {}
        for unit in source.units:
            effect = analyse_statement(unit.node, schema.column_type)
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
    return LintContext(list(sources), statements, schema, options)


def _do_block(outer: AnalysedStatement, inner: list[AnalysedStatement]) -> AnalysedStatement:
    """A DO block locks and costs what its statements do; dynamic SQL makes its effect unknown."""
    effect = combine(statement.effect for statement in inner)
    if outer.unit.dynamic_sql:
        effect = replace(effect, effect=Effect.UNKNOWN, notes=(*effect.notes, ACTIONS["DO block dynamic SQL"].note))
    return replace(outer, effect=effect, table_existed=any(statement.table_existed for statement in inner))
