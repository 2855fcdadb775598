"""Parse ``schema.prisma`` with a real grammar (``prisma.lark``, LALR via lark) into plain frozen models.

PyPI has no maintained parser of the Prisma Schema Language, so the grammar is ours; it covers what a
relational schema uses (see the grammar's header). Every model, field and attribute keeps its 1-based
line and column, so the audit can point at the line to change. A schema Prisma would reject for its
syntax, or for a field type that names nothing, raises :class:`PrismaSchemaError` as
``file:line:column: message``.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Union

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from bhq_migrate.errors import PrismaSchemaError

SCALAR_TYPES = frozenset(
    {"String", "Boolean", "Int", "BigInt", "Float", "Decimal", "DateTime", "Json", "Bytes", "Unsupported"}
)


@dataclass(frozen=True)
class Constant:
    """A bare word used as a value: ``Desc``, ``Cascade``, ``postgresql``, ``db.VarChar``."""

    name: str


@dataclass(frozen=True)
class FunctionCall:
    """``autoincrement()``, ``now()``, ``env("DATABASE_URL")``, ``raw("...")``, ``createdAt(sort: Desc)``."""

    name: str
    arguments: tuple[Argument, ...] = ()

    def named(self, key: str) -> Value | None:
        return next((arg.value for arg in self.arguments if arg.name == key), None)


Value = Union[str, int, float, bool, Constant, FunctionCall, tuple["Value", ...], "ObjectValue"]


@dataclass(frozen=True)
class ObjectValue:
    """``{ published: true }`` (the object form of a partial index's ``where:``)."""

    pairs: tuple[tuple[str, Value], ...]


@dataclass(frozen=True)
class Argument:
    name: str | None
    value: Value


@dataclass(frozen=True)
class Attribute:
    """``@unique``, ``@db.VarChar(255)``, ``@@index([a, b], map: "x")``; ``name`` has no ``@``."""

    name: str
    arguments: tuple[Argument, ...]
    line: int
    column: int

    def positional(self, index: int = 0) -> Value | None:
        values = [arg.value for arg in self.arguments if arg.name is None]
        return values[index] if index < len(values) else None

    def named(self, key: str) -> Value | None:
        return next((arg.value for arg in self.arguments if arg.name == key), None)

    def argument(self, key: str, index: int = 0) -> Value | None:
        """A named argument, or else the positional one that stands for it (``@@index([a])``)."""
        named = self.named(key)
        return named if named is not None else self.positional(index)


@dataclass(frozen=True)
class Field:
    name: str
    type_name: str
    optional: bool
    is_list: bool
    type_argument: Value | None
    attributes: tuple[Attribute, ...]
    line: int
    column: int

    def attribute(self, name: str) -> Attribute | None:
        return next((attr for attr in self.attributes if attr.name == name), None)

    def native_type(self) -> Attribute | None:
        """``@db.VarChar(255)`` and friends."""
        return next((attr for attr in self.attributes if attr.name.startswith("db.")), None)


@dataclass(frozen=True)
class Model:
    """A ``model`` (or ``view``/``type`` block, by ``kind``)."""

    name: str
    kind: str
    fields: tuple[Field, ...]
    attributes: tuple[Attribute, ...]
    line: int
    column: int
    file: str = ""
    """The file that declares it (a multi-file schema spreads models over several)."""

    def attribute(self, name: str) -> Attribute | None:
        return next((attr for attr in self.attributes if attr.name == name), None)

    def attributes_named(self, name: str) -> tuple[Attribute, ...]:
        return tuple(attr for attr in self.attributes if attr.name == name)

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True)
class EnumValue:
    name: str
    attributes: tuple[Attribute, ...]
    line: int
    column: int


@dataclass(frozen=True)
class Enum:
    name: str
    values: tuple[EnumValue, ...]
    attributes: tuple[Attribute, ...]
    line: int
    column: int
    file: str = ""

    def attribute(self, name: str) -> Attribute | None:
        return next((attr for attr in self.attributes if attr.name == name), None)


@dataclass(frozen=True)
class ConfigBlock:
    """A ``datasource`` or ``generator`` block."""

    kind: str
    name: str
    assignments: tuple[tuple[str, Value], ...]
    line: int
    column: int

    def get(self, key: str) -> Value | None:
        return next((value for name, value in self.assignments if name == key), None)


@dataclass(frozen=True)
class PrismaSchema:
    path: str
    datasources: tuple[ConfigBlock, ...] = ()
    generators: tuple[ConfigBlock, ...] = ()
    models: tuple[Model, ...] = ()
    views: tuple[Model, ...] = ()
    composite_types: tuple[Model, ...] = ()
    enums: tuple[Enum, ...] = field(default=())

    def model(self, name: str) -> Model | None:
        return next((m for m in self.models if m.name == name), None)

    def enum(self, name: str) -> Enum | None:
        return next((e for e in self.enums if e.name == name), None)

    @property
    def datasource_schemas(self) -> tuple[str, ...]:
        """The datasource's ``schemas = [...]`` list (multi-schema), empty when not set."""
        if not self.datasources:
            return ()
        value = self.datasources[0].get("schemas")
        return tuple(v for v in value if isinstance(v, str)) if isinstance(value, tuple) else ()


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = resources.files("bhq_migrate.prisma_schema").joinpath("prisma.lark").read_text(encoding="utf-8")
    # cache=True keeps the analysed grammar in the temp folder: building it costs more than parsing a large
    # schema, on every run (lark checks the cache against the grammar and its own version). Positions come
    # from tokens (the grammar keeps keywords and "@"/"@@" in the tree), not from propagate_positions.
    return Lark(grammar, parser="lalr", maybe_placeholders=False, cache=True)


# Readable names for the grammar's terminals in error messages.
_TERMINAL_NAMES = {
    "NAME": "a name",
    "STRING": "a string",
    "NUMBER": "a number",
    "NEWLINE": "a new line",
    "LBRACE": '"{"',
    "RBRACE": '"}"',
    "LPAR": '"("',
    "RPAR": '")"',
    "LSQB": '"["',
    "RSQB": '"]"',
    "COMMA": '","',
    "COLON": '":"',
    "EQUAL": '"="',
    "AT": '"@"',
    "BLOCK_AT": '"@@"',
    "DOT": '"."',
    "OPTIONAL": '"?"',
    "LIST": '"[]"',
    "DATASOURCE": "\"datasource\"",
    "GENERATOR": "\"generator\"",
    "MODEL": '"model"',
    "ENUM": '"enum"',
    "VIEW": '"view"',
    "TYPE": '"type"',
    "$END": "the end of the file",
}


def _describe_expected(expected: set[str]) -> str:
    names = sorted({_TERMINAL_NAMES.get(name, name.strip("_").lower()) for name in expected})
    if len(names) > 6:
        names = [*names[:6], "..."]
    return ", ".join(names)


def _syntax_error(exc: UnexpectedInput, source: str, path: str) -> PrismaSchemaError:
    line, column = exc.line, exc.column
    if isinstance(exc, UnexpectedToken):
        token = exc.token
        if token.type == "$END":
            what = "the end of the file"
            line, column = _end_position(source)
        elif token.type == "NEWLINE":
            what = "the end of the line"
        else:
            what = repr(str(token))
        message = f"syntax error at {what}; expected {_describe_expected(set(exc.expected))}"
    elif isinstance(exc, UnexpectedCharacters):
        message = f"syntax error: character {source[exc.pos_in_stream or 0]!r} is not allowed here"
    elif isinstance(exc, UnexpectedEOF):
        line, column = _end_position(source)
        message = "syntax error at the end of the file (is a closing brace missing?)"
    else:  # pragma: no cover - lark has no other UnexpectedInput kinds
        message = str(exc).splitlines()[0]
    return PrismaSchemaError(f"{path}:{line}:{column}: {message}")


def _end_position(source: str) -> tuple[int, int]:
    lines = source.split("\n")
    return len(lines), len(lines[-1]) + 1


def _parse_file(source: str, path: str) -> PrismaSchema:
    try:
        tree = _parser().parse(source)
    except UnexpectedInput as exc:
        raise _syntax_error(exc, source, path) from None
    return _Builder(path).schema(tree)


def parse_schema(source: str, path: str = "schema.prisma") -> PrismaSchema:
    """Parse the text of a schema.prisma; ``path`` only names it in errors and findings."""
    schema = _parse_file(source, path)
    _validate(schema)
    return schema


def _read(path: Path) -> str:
    """The file's text; a binary or non-UTF-8 file is an error that names the line of the first bad byte."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PrismaSchemaError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        source = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise PrismaSchemaError(f"{path}:{line}: not valid UTF-8 (a binary file?)") from None
    nul = source.find("\x00")
    if nul >= 0:
        raise PrismaSchemaError(f"{path}:{source.count(chr(10), 0, nul) + 1}: NUL byte (a binary file?)")
    return source


def load_schema(path: Path) -> PrismaSchema:
    return parse_schema(_read(path), str(path))


def load_schema_files(paths: Sequence[Path], name: str) -> PrismaSchema:
    """A multi-file schema (``prisma/schema/*.prisma``): every file parsed on its own, then validated as one
    schema, so a field may name a model declared in a sibling file. ``name`` names the whole in findings;
    each model keeps the file that declares it."""
    parts = [_parse_file(_read(path), str(path)) for path in paths]
    schema = PrismaSchema(
        path=name,
        datasources=tuple(b for part in parts for b in part.datasources),
        generators=tuple(b for part in parts for b in part.generators),
        models=tuple(m for part in parts for m in part.models),
        views=tuple(m for part in parts for m in part.views),
        composite_types=tuple(m for part in parts for m in part.composite_types),
        enums=tuple(e for part in parts for e in part.enums),
    )
    _validate(schema)
    return schema


class _Builder:
    """Turns the lark tree into the frozen models above."""

    def __init__(self, path: str) -> None:
        self.path = path

    def schema(self, tree: Tree[Token]) -> PrismaSchema:
        datasources: list[ConfigBlock] = []
        generators: list[ConfigBlock] = []
        models: list[Model] = []
        views: list[Model] = []
        types: list[Model] = []
        enums: list[Enum] = []
        for child in tree.children:
            if not isinstance(child, Tree):
                continue
            if child.data == "config_block":
                block = self.config_block(child)
                (datasources if block.kind == "datasource" else generators).append(block)
            elif child.data == "model":
                models.append(self.model(child, "model"))
            elif child.data == "view":
                views.append(self.model(child, "view"))
            elif child.data == "composite_type":
                types.append(self.model(child, "type"))
            elif child.data == "enum":
                enums.append(self.enum(child))
        return PrismaSchema(
            path=self.path,
            datasources=tuple(datasources),
            generators=tuple(generators),
            models=tuple(models),
            views=tuple(views),
            composite_types=tuple(types),
            enums=tuple(enums),
        )

    def config_block(self, tree: Tree[Token]) -> ConfigBlock:
        kind, name = (str(token) for token in tree.children[:2])
        assignments = tuple(
            (str(child.children[0]), self.value(child.children[1]))
            for child in tree.children[2:]
            if isinstance(child, Tree) and child.data == "assignment"
        )
        return ConfigBlock(kind, name, assignments, *_start(tree))

    def model(self, tree: Tree[Token], kind: str) -> Model:
        name = str(tree.children[1])  # children[0] is the keyword
        fields = tuple(self.field(c) for c in tree.children if isinstance(c, Tree) and c.data == "field")
        attributes = tuple(
            self.attribute(c) for c in tree.children if isinstance(c, Tree) and c.data == "block_attribute"
        )
        return Model(name, kind, fields, attributes, *_start(tree), self.path)

    def field(self, tree: Tree[Token]) -> Field:
        name_token = tree.children[0]
        type_tree = tree.children[1]
        assert isinstance(name_token, Token) and isinstance(type_tree, Tree)
        type_name = str(type_tree.children[0])
        optional = any(isinstance(c, Token) and c.type == "OPTIONAL" for c in type_tree.children)
        is_list = any(isinstance(c, Token) and c.type == "LIST" for c in type_tree.children)
        type_argument = next(
            (
                self.value(c.children[0])
                for c in type_tree.children
                if isinstance(c, Tree) and c.data == "type_arguments"
            ),
            None,
        )
        attributes = tuple(self.attribute(c) for c in tree.children[2:] if isinstance(c, Tree))
        return Field(
            str(name_token), type_name, optional, is_list, type_argument, attributes, name_token.line or 0,
            name_token.column or 0,
        )

    def enum(self, tree: Tree[Token]) -> Enum:
        values: list[EnumValue] = []
        attributes: list[Attribute] = []
        for child in tree.children[2:]:  # after the keyword and the name
            if not isinstance(child, Tree):
                continue
            if child.data == "enum_value":
                token = child.children[0]
                assert isinstance(token, Token)
                value_attributes = tuple(self.attribute(c) for c in child.children[1:] if isinstance(c, Tree))
                values.append(EnumValue(str(token), value_attributes, token.line or 0, token.column or 0))
            elif child.data == "block_attribute":
                attributes.append(self.attribute(child))
        return Enum(str(tree.children[1]), tuple(values), tuple(attributes), *_start(tree), self.path)

    def attribute(self, tree: Tree[Token]) -> Attribute:
        name_tree = tree.children[1]  # children[0] is "@" or "@@"
        assert isinstance(name_tree, Tree)
        name = ".".join(str(token) for token in name_tree.children)
        arguments: tuple[Argument, ...] = ()
        if len(tree.children) > 2 and isinstance(tree.children[2], Tree):
            arguments = self.arguments(tree.children[2])
        return Attribute(name, arguments, *_start(tree))

    def arguments(self, tree: Tree[Token]) -> tuple[Argument, ...]:
        result: list[Argument] = []
        for child in tree.children:
            if not isinstance(child, Tree) or child.data != "argument":
                continue
            if len(child.children) == 2:
                result.append(Argument(str(child.children[0]), self.value(child.children[1])))
            else:
                result.append(Argument(None, self.value(child.children[0])))
        return tuple(result)

    def value(self, node: Tree[Token] | Token) -> Value:
        if isinstance(node, Token):  # pragma: no cover - every value rule is a tree
            return str(node)
        kind = node.data
        if kind == "string":
            return str(ast.literal_eval(str(node.children[0])))
        if kind == "number":
            text = str(node.children[0])
            return float(text) if "." in text else int(text)
        if kind == "constant":
            word = str(node.children[0])
            if word in {"true", "false"}:
                return word == "true"
            return Constant(word)
        if kind == "path":
            return Constant(".".join(str(token) for token in node.children))
        if kind == "call":
            arguments_tree = node.children[1]
            assert isinstance(arguments_tree, Tree)
            return FunctionCall(str(node.children[0]), self.arguments(arguments_tree))
        if kind == "array":
            return tuple(self.value(child) for child in node.children if isinstance(child, Tree))
        if kind == "empty_array":
            return ()
        if kind == "object":
            return ObjectValue(
                tuple(
                    (str(pair.children[0]), self.value(pair.children[1]))
                    for pair in node.children
                    if isinstance(pair, Tree)
                )
            )
        line, column = _start(node)
        raise PrismaSchemaError(f"{self.path}:{line}:{column}: unsupported value")


def _start(tree: Tree[Token]) -> tuple[int, int]:
    """The line and column of the first token of ``tree``."""
    token = next(tree.scan_values(lambda value: isinstance(value, Token)))
    return token.line or 0, token.column or 0


def _validate(schema: PrismaSchema) -> None:
    """What Prisma rejects beyond syntax and the audit relies on: unknown types, duplicates, stray schemas."""
    declared: dict[str, int] = {}
    blocks: tuple[Model | Enum, ...] = (*schema.models, *schema.views, *schema.composite_types, *schema.enums)
    for block in blocks:
        if block.name in declared:
            raise PrismaSchemaError(
                f"{block.file or schema.path}:{block.line}:{block.column}: {block.name!r} is already declared "
                f"at line {declared[block.name]}"
            )
        declared[block.name] = block.line
    known_schemas = set(schema.datasource_schemas)
    for model in (*schema.models, *schema.views, *schema.composite_types):
        where = model.file or schema.path
        seen: set[str] = set()
        for fld in model.fields:
            if fld.name in seen:
                raise PrismaSchemaError(
                    f"{where}:{fld.line}:{fld.column}: field {fld.name!r} is declared twice in {model.name}"
                )
            seen.add(fld.name)
            if fld.type_name not in SCALAR_TYPES and fld.type_name not in declared:
                raise PrismaSchemaError(
                    f"{where}:{fld.line}:{fld.column}: type {fld.type_name!r} of field "
                    f"{model.name}.{fld.name} is neither a scalar type nor a declared model, enum or type"
                )
        schema_attribute = model.attribute("schema")
        if schema_attribute is not None:
            target = schema_attribute.positional()
            if not known_schemas:
                raise PrismaSchemaError(
                    f"{where}:{schema_attribute.line}:{schema_attribute.column}: @@schema needs the "
                    'datasource to list its schemas (schemas = ["public", ...])'
                )
            if target not in known_schemas:
                raise PrismaSchemaError(
                    f"{where}:{schema_attribute.line}:{schema_attribute.column}: schema {target!r} is not "
                    f"in the datasource's schemas {sorted(known_schemas)}"
                )
