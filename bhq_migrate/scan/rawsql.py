"""Raw SQL in source code: find it, rebuild the statement text, and check it with sqlglot (postgres dialect).

Template holes become ``$n`` placeholders. A hole that is itself a ``Prisma.sql`` fragment (inline or a
local variable) or a ``Prisma.raw("...")`` literal is inlined, so a ``deletedAt`` condition kept in a
fragment still counts. A bare ``Prisma.sql`` template is checked only when it is a whole statement
(``SELECT``/``UPDATE``/``DELETE``/``WITH``); fragments are checked where they are used.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from tree_sitter import Node

from bhq_migrate.scan.clients import first_argument
from bhq_migrate.scan.model import FileContext, RawSqlSite
from bhq_migrate.scan.models import ModelCatalog
from bhq_migrate.scan.parser import ancestors, text, unwrap
from bhq_migrate.scan.scoping import Resolver

RAW_METHODS = frozenset({"$queryRaw", "$queryRawUnsafe", "$executeRaw", "$executeRawUnsafe"})
_STATEMENT_START = re.compile(r"^\s*(\(\s*)*(select|update|delete|with)\b", re.IGNORECASE)
_MAX_INLINE_DEPTH = 4


_FRAGMENT_HELPERS = frozenset({"sql", "join", "raw", "empty"})


def _fragment_helper(node: Node | None, resolver: Resolver) -> str | None:
    """``sql``, ``join``, ``raw`` or ``empty`` when ``node`` names Prisma's SQL helper of that name:
    ``Prisma.sql`` (any namespace spelled ``Prisma``), or ``join`` imported from a Prisma package
    (``import { join } from "@prisma/client/runtime/library"``)."""
    node = unwrap(node)
    if node is None:
        return None
    if node.type == "member_expression":
        obj = unwrap(node.child_by_field_name("object"))
        name = text(node.child_by_field_name("property"))
        if obj is not None and obj.type == "identifier" and text(obj) == "Prisma" and name in _FRAGMENT_HELPERS:
            return name
        return None
    if node.type == "identifier" and resolver.module is not None:
        entry = resolver.module.ensure_indexed().imports.get(text(node))
        if entry is not None and "prisma" in entry[0] and entry[1] in _FRAGMENT_HELPERS:
            return entry[1]
    return None


def _is_prisma_sql(call: Node, resolver: Resolver | None = None) -> bool:
    callee = unwrap(call.child_by_field_name("function"))
    if callee is None:
        return False
    if resolver is not None:
        return _fragment_helper(callee, resolver) == "sql"
    return text(callee).replace(" ", "") == "Prisma.sql"


def _template_sql(template: Node, resolver: Resolver, counter: list[int], depth: int = 0) -> str:
    parts: list[str] = []
    for child in template.named_children:
        if child.type == "template_substitution":
            parts.append(_hole_sql(child, resolver, counter, depth, "".join(parts)))
        else:
            parts.append(text(child))
    return "".join(parts)


def _call_arguments(call: Node) -> list[Node]:
    args = call.child_by_field_name("arguments")
    if args is None or args.type != "arguments":
        return []
    return [child for child in args.named_children if child.type != "comment"]


def _string_literal(node: Node | None) -> str | None:
    """The value of a plain string literal (``' AND '``); ``None`` for anything else."""
    node = unwrap(node)
    if node is None:
        return None
    if node.type == "string":
        return text(node)[1:-1]
    if node.type == "template_string" and not any(c.type == "template_substitution" for c in node.named_children):
        return text(node)[1:-1]
    return None


# After one of these the SQL expects an expression, so a hole there is a value ($n), not a clause.
_EXPECTS_VALUE = re.compile(
    r"(?:[=<>!(,+\-*/%|:]|\b(?:and|or|not|where|select|from|join|on|by|in|is|like|ilike|between|set|values|as|"
    r"when|then|else|case|limit|offset|having|returning|any|all|distinct|into|using|interval|array)|\[)\s*$",
    re.IGNORECASE)
# After one of these a hole is a whole condition: a fragment in practice (``WHERE ${filters}``), not a value.
_EXPECTS_CONDITION = re.compile(r"\b(?:where|and|or|on|having)\s*$", re.IGNORECASE)
# ... except the AND of ``BETWEEN ${low} AND ${high}``, which takes a value.
_BETWEEN_AND = re.compile(r"\bbetween\s+(?:(?!\band\b).)+\band\s*$", re.IGNORECASE | re.DOTALL)


def _in_clause_position(before: str) -> bool:
    """A hole right after a complete expression (``... <= $2 ${filter}``) holds a clause, not a value."""
    stripped = before.rstrip()
    return bool(stripped) and not _EXPECTS_VALUE.search(stripped)


def _hole_sql(hole: Node, resolver: Resolver, counter: list[int], depth: int, before: str = "") -> str:
    expression = unwrap(next((c for c in hole.named_children if c.type != "comment"), None))
    fragment = _fragment_sql(expression, resolver, counter, depth)
    if fragment is not None:
        return fragment
    if _in_clause_position(before):
        if len(counter) > 1:
            counter[1] += 1  # the caller turns a verdict that depends on this clause into a review
        return " "  # a clause we cannot read (a filter built elsewhere): neutral, so the rest is still checked
    if (_EXPECTS_CONDITION.search(before.rstrip()) and not _BETWEEN_AND.search(before.rstrip())
            and _names_a_fragment(expression, resolver)):
        if len(counter) > 1:
            counter[1] += 1
        return " TRUE "  # a whole condition we cannot read: neutral, and the verdict becomes a review
    counter[0] += 1
    return f"${counter[0]}"


def _names_a_fragment(expression: Node | None, resolver: Resolver) -> bool:
    """A hole in condition position (``WHERE ${x}``) that is not a value: anything but a literal or an
    arithmetic or comparison expression (a bind parameter of type boolean is rare; a filter fragment is not)."""
    return expression is not None and expression.type not in (
        "string", "number", "true", "false", "null", "template_string", "binary_expression", "unary_expression")


def _fragment_source(expression: Node | None, resolver: Resolver, depth: int) -> tuple[Node, Resolver] | None:
    """The ``Prisma.sql`...```, ``Prisma.join(...)``, ``Prisma.raw("...")`` or ``Prisma.empty`` behind an
    expression (with the resolver of the module it is written in): directly, through a local variable, a
    branch of a conditional (the first that is not ``Prisma.empty``), or what a function or method of the
    project returns (``${this.idsFilter(ids)}``)."""
    if expression is None or depth > _MAX_INLINE_DEPTH:
        return None
    helper = _fragment_helper(expression, resolver)
    if helper == "empty":
        return expression, resolver
    if expression.type == "identifier":
        return _fragment_source(resolver.definition(expression), resolver, depth + 1)
    if expression.type in ("ternary_expression", "binary_expression"):
        empty: tuple[Node, Resolver] | None = None
        for side in ("consequence", "alternative", "right", "left"):
            found = _fragment_source(unwrap(expression.child_by_field_name(side)), resolver, depth + 1)
            if found is not None and _fragment_helper(found[0], found[1]) == "empty":
                empty = empty or found
            elif found is not None:
                return found
        return empty
    if expression.type != "call_expression":
        return None
    helper = _fragment_helper(expression.child_by_field_name("function"), resolver)
    if helper == "sql":
        args = expression.child_by_field_name("arguments")
        return (expression, resolver) if args is not None and args.type == "template_string" else None
    if helper in ("join", "raw"):
        return expression, resolver
    target = resolver.function_of(expression)
    if target is None:
        return None
    owner, function = target
    for returned in owner._returned(function):
        found = _fragment_source(returned, owner, depth + 1)
        if found is not None:
            return found
    return None


def _fragment_sql(expression: Node | None, resolver: Resolver, counter: list[int], depth: int) -> str | None:
    """The SQL text of a fragment expression; ``None`` when it is not one the scan can read."""
    found = _fragment_source(expression, resolver, depth)
    if found is None:
        return None
    node, owner = found
    helper = _fragment_helper(node, owner) if node.type != "call_expression" else _fragment_helper(
        node.child_by_field_name("function"), owner)
    if helper == "empty":
        return ""
    if helper == "raw":
        raw_args = _call_arguments(node)
        return _string_literal(raw_args[0]) if raw_args else None
    if helper == "join":
        return _join_sql(node, owner, counter, depth + 1)
    template = node.child_by_field_name("arguments")
    return _template_sql(template, owner, counter, depth + 1) if template is not None else None


_MAX_JOINED = 64


def _join_sql(call: Node, resolver: Resolver, counter: list[int], depth: int) -> str | None:
    """``Prisma.join(values, separator = ", ", prefix = "", suffix = "")``: each value that is a fragment is
    inlined, any other is a ``$n`` value. The values are an array literal, a local array (with what the
    function pushes onto it), or ``xs.map(x => Prisma.sql`...`)`` (one element stands for all). ``None`` when
    they cannot be read."""
    args = _call_arguments(call)
    if not args or depth > _MAX_INLINE_DEPTH:
        return None
    given = [_string_literal(arg) for arg in args[1:4]]
    if any(value is None for value in given):
        return None  # a separator, prefix or suffix computed at run time
    separator, prefix, suffix = [str(value) for value in given] + [", ", "", ""][len(given):]
    elements = _join_elements(unwrap(args[0]), resolver, separator)
    if elements is None:
        return None
    if not elements:
        return None  # Prisma.join throws on an empty array: that path never runs
    parts = []
    for element in elements[:_MAX_JOINED]:
        if element is None:
            parts.append("TRUE")  # a condition pushed only sometimes: neutral in an AND
            continue
        fragment = _fragment_sql(element, resolver, counter, depth + 1)
        if fragment is None:
            counter[0] += 1
            fragment = f"${counter[0]}"
        parts.append(fragment)
    return f"{prefix}{separator.join(parts)}{suffix}"


_CONDITIONAL = frozenset({"if_statement", "for_statement", "for_in_statement", "while_statement", "do_statement",
                          "switch_statement", "ternary_expression", "binary_expression", "catch_clause",
                          "arrow_function", "function_expression"})


def _join_elements(values: Node | None, resolver: Resolver, separator: str) -> list[Node | None] | None:
    """The values ``Prisma.join`` receives: an array literal; a local array with the elements the same
    function pushes onto it (a push under a condition is read only when the separator is ``AND``, as ``None``,
    a neutral ``TRUE``: leaving its condition out can only hide a filter, never invent one); or
    ``xs.map(x => fragment)``."""
    if values is None:
        return None
    if values.type == "array":
        elements: list[Node | None] = [child for child in values.named_children if child.type != "comment"]
        return None if any(e is not None and e.type == "spread_element" for e in elements) else elements
    if values.type == "call_expression":
        callee = unwrap(values.child_by_field_name("function"))
        args = _call_arguments(values)
        callback = unwrap(args[0]) if args else None
        if (callee is None or callee.type != "member_expression" or text(callee.child_by_field_name("property"))
                != "map" or callback is None or callback.type not in ("arrow_function", "function_expression")):
            return None
        returned = Resolver._returned(callback)
        return [returned[0]] if len(returned) == 1 else None
    if values.type != "identifier":
        return None
    array = resolver.definition(values)
    declarator = array.parent if array is not None else None
    while declarator is not None and declarator.type != "variable_declarator":
        declarator = declarator.parent  # through `as Prisma.Sql[]`
    if array is None or declarator is None:
        return None
    array = unwrap(array)
    if array is None or array.type != "array":
        return None
    listed = _join_elements(array, resolver, separator)
    if listed is None:
        return None
    scope = next((a for a in ancestors(declarator) if a.type in _SCOPES), None)
    for push, conditional in _pushes(scope, text(values), declarator.end_byte) if scope is not None else []:
        if conditional and separator.strip().upper() != "AND":
            return None  # an optional element under OR or a comma: the statement cannot be read
        listed.extend([None] if conditional else _call_arguments(push))
    return listed


_SCOPES = frozenset({"function_declaration", "function_expression", "arrow_function", "method_definition",
                     "program"})


def _pushes(scope: Node, name: str, after: int) -> list[tuple[Node, bool]]:
    """``name.push(...)`` calls in ``scope`` (not in nested functions) after byte ``after``, each with whether
    it runs only under a condition (an ``if``, a loop, a ``&&``, a callback)."""
    found: list[tuple[Node, bool]] = []
    stack = [(scope, False)]
    while stack:
        node, conditional = stack.pop()
        if node.type == "call_expression" and node.start_byte >= after:
            callee = unwrap(node.child_by_field_name("function"))
            if (callee is not None and callee.type == "member_expression"
                    and text(callee.child_by_field_name("property")) == "push"
                    and text(callee.child_by_field_name("object")) == name):
                found.append((node, conditional))
        if node is not scope and node.type in _SCOPES and node.type not in ("arrow_function", "function_expression"):
            continue
        inner = conditional or (node is not scope and node.type in _CONDITIONAL)
        stack.extend((child, inner) for child in node.children)
    return found


def _static_sql(argument: Node | None, resolver: Resolver, depth: int = 0) -> tuple[str | None, str]:
    """SQL text of a raw call's argument, or ``(None, reason)``."""
    argument = unwrap(argument)
    if argument is None:
        return None, "no SQL argument"
    if argument.type == "template_string":
        return _template_sql(argument, resolver, [0]), ""
    if argument.type == "string":
        return text(argument)[1:-1], ""
    fragment = _fragment_sql(argument, resolver, [0], depth)
    if fragment is not None:
        return fragment, ""
    if argument.type == "identifier" and depth < _MAX_INLINE_DEPTH:
        value = resolver.definition(argument)
        if value is not None:
            sql, _reason = _static_sql(value, resolver, depth + 1)
            if sql is not None:
                return sql, ""
    return None, f"the SQL is built at run time ({text(argument)[:40]})"


def _names_a_checked_statement(argument: Node | None, resolver: Resolver) -> bool:
    """``$queryRaw(query)`` where ``const query = Prisma.sql`SELECT ...``` : already checked where defined."""
    if argument is None or argument.type != "identifier":
        return False
    value = resolver.definition(argument)
    if value is None or value.type != "call_expression" or not _is_prisma_sql(value):
        return False
    args = value.child_by_field_name("arguments")
    return args is not None and args.type == "template_string" and bool(
        _STATEMENT_START.match(_template_sql(args, resolver, [0]))
    )


def raw_sql_site(call: Node, ctx: FileContext, resolver: Resolver) -> RawSqlSite | None:
    callee = unwrap(call.child_by_field_name("function"))
    if callee is None:
        return None
    args = call.child_by_field_name("arguments")
    if callee.type == "member_expression":
        method_node = callee.child_by_field_name("property")
        method = text(method_node)
        if method in RAW_METHODS and method_node is not None:
            counter = [0, 0]
            if args is not None and args.type == "template_string":
                sql: str | None = _template_sql(args, resolver, counter)
                reason = ""
            else:
                argument = first_argument(call)
                if _names_a_checked_statement(argument, resolver):
                    return None
                sql, reason = _static_sql(argument, resolver)
            return RawSqlSite(call, method, method_node, sql, reason, unknown_clauses=counter[1])
    if _is_prisma_sql(call) and args is not None and args.type == "template_string":
        if _inside_raw_call(call):
            return None
        counter = [0, 0]
        sql = _template_sql(args, resolver, counter)
        if _STATEMENT_START.match(sql):
            return RawSqlSite(call, "Prisma.sql", callee, sql, unknown_clauses=counter[1])
    return None


def _inside_raw_call(node: Node) -> bool:
    """A ``Prisma.sql`` used as (part of) a raw call's argument or a template hole is checked there."""
    for current in ancestors(node):
        if current.type == "template_substitution":
            return True
        if current.type == "call_expression":
            callee = unwrap(current.child_by_field_name("function"))
            if callee is not None and callee.type == "member_expression" and text(
                callee.child_by_field_name("property")
            ) in RAW_METHODS:
                return True
        if current.type in ("statement_block", "program"):
            return False
    return False


# ---- SQL analysis ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SqlIssue:
    kind: str
    """``unscoped`` (read/update without the IS NULL), ``hard-delete`` or ``unparsed``."""
    table: str
    model: str | None
    statement: str
    detail: str = ""


def _conjuncts(condition: exp.Expression | None) -> list[exp.Expression]:
    if condition is None:
        return []
    if isinstance(condition, exp.Where):
        condition = condition.this
    while isinstance(condition, exp.Paren):
        condition = condition.this
    if isinstance(condition, exp.And):
        return _conjuncts(condition.this) + _conjuncts(condition.expression)
    return [condition]


def _is_null_check(condition: exp.Expression, column: str, alias: str) -> bool:
    if not isinstance(condition, exp.Is) or not isinstance(condition.expression, exp.Null):
        return False
    target = condition.this
    if not isinstance(target, exp.Column) or target.name.lower() != column.lower():
        return False
    qualifier = target.table
    return not qualifier or qualifier.lower() == alias.lower()


def _sources(select: exp.Select) -> list[tuple[exp.Table, exp.Expression | None]]:
    """Tables read directly by this SELECT, each with its JOIN condition."""
    found: list[tuple[exp.Table, exp.Expression | None]] = []
    from_ = select.args.get("from") or select.args.get("from_")
    if from_ is not None:
        for table in [from_.this, *from_.expressions]:
            if isinstance(table, exp.Table):
                found.append((table, None))
    for join in select.args.get("joins") or []:
        if isinstance(join.this, exp.Table):
            found.append((join.this, join.args.get("on")))
    return found


_NOT_A_STATEMENT = (exp.Alias, exp.Column, exp.Identifier, exp.Literal, exp.Binary, exp.Paren, exp.Anonymous,
                    exp.Null, exp.Star)


_SQLGLOT_LOG = logging.getLogger("sqlglot")
_POSITION = re.compile(r"\s*Line \d+, Col: -?\d+\.?")


def _in_words(exc: Exception, sql: str) -> str:
    """What could not be read, and where, without the parser's internals (``Line 15, Col: -77``)."""
    errors = getattr(exc, "errors", None)
    if errors:
        first = errors[0]
        line = first.get("line")
        what = _plain(str(first.get("description") or "unexpected text").lower()).rstrip(".")
        near = str(first.get("highlight") or "").strip()
        where = f" at line {line} of the statement" if isinstance(line, int) and 0 < line <= sql.count("\n") + 1 \
            else ""
        return f"the SQL could not be read{where}: {what}" + (f" near {near[:40]!r}" if near else "")
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return "the SQL could not be read: " + _plain(_POSITION.sub("", first))[:160]


# sqlglot names its own classes in some messages: "required keyword: 'expression' missing for
# <class 'sqlglot.expressions.core.and'>"; say "an incomplete AND" instead.
_MISSING_PART = re.compile(r"required keyword: '\w+' missing for <class '[\w.]*?(\w+)'>", re.IGNORECASE)
_CLASS = re.compile(r"<class '[\w.]*?(\w+)'>")


def _plain(message: str) -> str:
    message = _MISSING_PART.sub(lambda m: f"an incomplete {m.group(1).upper()}", message)
    return _CLASS.sub(lambda m: m.group(1).upper(), message)


def analyse_sql(sql: str, catalog: ModelCatalog) -> list[SqlIssue]:
    """Problems in one raw SQL string: reads/updates of soft-deletable tables without ``IS NULL`` on the
    soft-delete column (for that table or its alias), DELETEs from them, and SQL that does not parse."""
    previous = _SQLGLOT_LOG.level
    _SQLGLOT_LOG.setLevel(logging.ERROR)  # "contains unsupported syntax" warnings would reach the user's stderr
    try:
        statements = [s for s in sqlglot.parse(sql, read="postgres") if s is not None]
    except (SqlglotError, ValueError, RecursionError) as exc:
        return [SqlIssue("unparsed", "", None, "", _in_words(exc, sql))]
    finally:
        _SQLGLOT_LOG.setLevel(previous)
    issues: list[SqlIssue] = []
    for statement in statements:
        if isinstance(statement, _NOT_A_STATEMENT):  # sqlglot is lenient: "SELEC x" parses as an alias
            issues.append(SqlIssue("unparsed", "", None, "", "not a recognisable SQL statement"))
            continue
        kind = type(statement).__name__.upper()
        for delete in statement.find_all(exp.Delete):
            table = delete.this
            if isinstance(table, exp.Table):
                model = catalog.by_table.get(table.name.lower())
                if model is not None and catalog.is_soft_deletable(model):
                    issues.append(SqlIssue("hard-delete", table.name, model.name, "DELETE"))
        for select in statement.find_all(exp.Select):
            for table, join_on in _sources(select):
                issue = _unscoped(table, [*_conjuncts(select.args.get("where")), *_conjuncts(join_on)],
                                  catalog, "SELECT" if kind != "UPDATE" else "UPDATE")
                if issue is not None:
                    issues.append(issue)
        for update in statement.find_all(exp.Update):
            tables = [update.this] if isinstance(update.this, exp.Table) else []
            from_ = update.args.get("from") or update.args.get("from_")
            if from_ is not None and isinstance(from_.this, exp.Table):
                tables.append(from_.this)
            for table in tables:
                issue = _unscoped(table, _conjuncts(update.args.get("where")), catalog, "UPDATE")
                if issue is not None:
                    issues.append(issue)
    return issues


def _unscoped(table: exp.Table, conditions: list[exp.Expression], catalog: ModelCatalog,
              statement: str) -> SqlIssue | None:
    model = catalog.by_table.get(table.name.lower())
    if model is None:
        return None
    field = catalog.soft_delete_field(model)
    if field is None:
        return None
    alias = table.alias_or_name
    if any(_is_null_check(c, field.column, alias) for c in conditions):
        return None
    return SqlIssue("unscoped", table.name, model.name, statement, f'"{field.column}" IS NULL')
