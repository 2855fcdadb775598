"""Which models are soft-deletable or tenant-owned, read from the project's ``schema.prisma``.

A light line-based reader is enough: the scan needs model names, field names and types, list relations,
``@map``/``@@map`` names (for raw SQL) and which relation carries the tenant key. Multi-file schemas
(``prismaSchemaFolder``: a ``schema/`` folder of ``.prisma`` files) are read as one.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bhq_migrate.errors import ConfigError

SCALAR_TYPES = frozenset(
    {"String", "Boolean", "Int", "BigInt", "Float", "Decimal", "DateTime", "Json", "Bytes", "Unsupported"}
)

# Directories that never hold a project's own schema (dependencies, build output, generated clients).
SKIPPED_DIRS = frozenset(
    {"node_modules", ".git", "dist", "build", "out", ".next", ".turbo", ".output", "coverage", ".prisma",
     ".vercel", ".svelte-kit", ".cache", ".yarn", ".pnpm-store"}
)

_MODEL_START = re.compile(r"^\s*model\s+(\w+)\s*\{")
_FIELD = re.compile(r"^\s*(\w+)\s+(\w+)(\[\])?(\?)?(.*)$")
_MAP = re.compile(r"@map\(\s*(?:name:\s*)?\"([^\"]+)\"")
_TABLE_MAP = re.compile(r"^\s*@@map\(\s*(?:name:\s*)?\"([^\"]+)\"")
_RELATION_FIELDS = re.compile(r"@relation\([^)]*fields:\s*\[([^\]]*)\]")


@dataclass
class ModelField:
    name: str
    type: str
    is_list: bool
    column: str
    relation_fields: tuple[str, ...] = ()


@dataclass
class Model:
    name: str
    table: str
    fields: dict[str, ModelField] = field(default_factory=dict)

    @property
    def accessor(self) -> str:
        """The client property: Prisma lower-cases the first letter (``TeamUser`` -> ``teamUser``)."""
        return self.name[:1].lower() + self.name[1:]


@dataclass
class ModelCatalog:
    """The models of one schema and what the scan rules need to know about them."""

    models: dict[str, Model]
    soft_delete_fields: tuple[str, ...]
    tenant_fields: tuple[str, ...]
    source: str = "<defaults>"
    root: Path | None = None
    """Source files under this folder use this catalog (the folder holding the schema's project)."""

    def __post_init__(self) -> None:
        self.by_accessor = {model.accessor: model for model in self.models.values()}
        self.by_table = {model.table.lower(): model for model in self.models.values()}

    def model_for_accessor(self, accessor: str) -> Model | None:
        return self.by_accessor.get(accessor)

    def soft_delete_field(self, model: Model) -> ModelField | None:
        for name in self.soft_delete_fields:
            if name in model.fields:
                return model.fields[name]
        return None

    def is_soft_deletable(self, model: Model) -> bool:
        return self.soft_delete_field(model) is not None

    def tenant_field(self, model: Model) -> str | None:
        for name in self.tenant_fields:
            if name in model.fields:
                return name
        return None

    def tenant_relations(self, model: Model) -> set[str]:
        """Relation fields whose foreign key is the tenant field (``tenant: { id }`` scopes too)."""
        tenant = self.tenant_field(model)
        if tenant is None:
            return set()
        return {f.name for f in model.fields.values() if tenant in f.relation_fields}

    def list_relation_target(self, model: Model, field_name: str) -> Model | None:
        candidate = model.fields.get(field_name)
        if candidate is None or not candidate.is_list:
            return None
        return self.models.get(candidate.type)

    def relation_target(self, model: Model, field_name: str) -> Model | None:
        candidate = model.fields.get(field_name)
        return None if candidate is None else self.models.get(candidate.type)

    def interesting(self) -> bool:
        return any(self.is_soft_deletable(m) or self.tenant_field(m) for m in self.models.values())


def parse_schema_text(text: str) -> dict[str, Model]:
    """Models with their fields; enums, datasources and comments are ignored."""
    models: dict[str, Model] = {}
    current: Model | None = None
    for raw_line in text.splitlines():
        line = raw_line.split("//", 1)[0].rstrip()
        if current is None:
            start = _MODEL_START.match(line)
            if start:
                current = Model(name=start.group(1), table=start.group(1))
            continue
        if line.strip().startswith("}"):
            models[current.name] = current
            current = None
            continue
        table_map = _TABLE_MAP.match(line)
        if table_map:
            current.table = table_map.group(1)
            continue
        found = _FIELD.match(line)
        if not found or line.strip().startswith("@@"):
            continue
        name, type_name, list_marker, _optional, rest = found.groups()
        column_map = _MAP.search(rest)
        relation = _RELATION_FIELDS.search(rest)
        relation_fields = tuple(part.strip() for part in relation.group(1).split(",")) if relation else ()
        current.fields[name] = ModelField(
            name=name,
            type=type_name,
            is_list=bool(list_marker),
            column=column_map.group(1) if column_map else name,
            relation_fields=relation_fields,
        )
    return models


def _is_generated_client_dir(directory: Path) -> bool:
    """A generated Prisma client ships a copy of the schema next to its runtime; never a source of truth."""
    return (directory / "runtime").is_dir() or (directory / "index.d.ts").is_file()


def _schema_files(schema: Path) -> list[Path]:
    """One file, or every ``.prisma`` file of a multi-file schema folder."""
    if schema.is_dir():
        return sorted(schema.rglob("*.prisma"))
    siblings = sorted(schema.parent.glob("*.prisma"))
    if len(siblings) > 1 and any("model " in s.read_text(encoding="utf-8", errors="replace") for s in siblings
                                 if s != schema):
        return siblings
    return [schema]


def project_root_for(schema: Path) -> Path:
    """The folder whose sources use this schema: the parent of a ``prisma/`` folder, else the schema's."""
    directory = schema if schema.is_dir() else schema.parent
    for candidate in (directory, *directory.parents):
        if candidate.name == "prisma":
            return candidate.parent
        if (candidate / "package.json").is_file():
            return candidate
    return directory


def load_catalog(schema: Path, soft_delete_fields: tuple[str, ...], tenant_fields: tuple[str, ...]) -> ModelCatalog:
    if not schema.exists():
        raise ConfigError(f"schema not found: {schema}")
    models: dict[str, Model] = {}
    for path in _schema_files(schema):
        try:
            models.update(parse_schema_text(path.read_text(encoding="utf-8", errors="replace")))
        except OSError as exc:
            raise ConfigError(f"cannot read schema {path}: {exc}") from None
    return ModelCatalog(models, soft_delete_fields, tenant_fields, source=str(schema),
                        root=project_root_for(schema).resolve())


def default_catalog(
    model_names: Iterable[str], soft_delete_fields: tuple[str, ...], tenant_fields: tuple[str, ...]
) -> ModelCatalog:
    """Without a schema: the seed plan's soft-deletable models, each with a soft-delete and tenant field."""
    models = {}
    for name in model_names:
        model = Model(name=name, table=name)
        model.fields[soft_delete_fields[0]] = ModelField(soft_delete_fields[0], "DateTime", False,
                                                         soft_delete_fields[0])
        if tenant_fields:
            model.fields[tenant_fields[0]] = ModelField(tenant_fields[0], "Int", False, tenant_fields[0])
        models[name] = model
    return ModelCatalog(models, soft_delete_fields, tenant_fields)


def _package_json_schema(directory: Path) -> Path | None:
    """``"prisma": { "schema": "db/main.prisma" }`` in a ``package.json`` names a custom schema location."""
    package = directory / "package.json"
    try:
        raw = package.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    if '"prisma"' not in raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    prisma = data.get("prisma") if isinstance(data, dict) else None
    schema = prisma.get("schema") if isinstance(prisma, dict) else None
    if isinstance(schema, str) and (directory / schema).exists():
        return (directory / schema).resolve()
    return None


def _schema_here(directory: Path, files: list[str]) -> Path | None:
    if "schema.prisma" in files and not _is_generated_client_dir(directory):
        return (directory / "schema.prisma").resolve()
    if directory.name == "schema" and directory.parent.name == "prisma" and any(
        name.endswith(".prisma") for name in files
    ):
        return directory.resolve()  # a multi-file schema folder without a schema.prisma
    if "package.json" in files:
        return _package_json_schema(directory)
    return None


def _schema_above(start: Path) -> Path | None:
    """The schema of the project enclosing ``start``: scanning ``src/`` still finds ``prisma/schema.prisma``."""
    directory = start if start.is_dir() else start.parent
    for candidate in (directory, *directory.parents):
        custom = _package_json_schema(candidate)
        if custom is not None:
            return custom
        for relative in ("prisma/schema.prisma", "schema.prisma", "prisma/schema"):
            if (candidate / relative).exists():
                return (candidate / relative).resolve()
        if (candidate / ".git").exists():
            break  # never leave the repository
    return None


def discover_schemas(paths: Iterable[Path]) -> list[Path]:
    """Every schema under the given paths (``schema.prisma``, a ``prisma/schema/`` folder, a ``package.json``
    ``prisma.schema`` entry), skipping dependencies; if there is none, the schema of the enclosing project."""
    found: list[Path] = []
    seen: set[Path] = set()
    starts = [Path(p).resolve() for p in paths]
    for start in starts:
        if start.is_file():
            continue
        for directory, subdirs, files in os.walk(start):
            subdirs[:] = [d for d in subdirs if d not in SKIPPED_DIRS]
            schema = _schema_here(Path(directory), files)
            if schema is not None and schema not in seen and not any(
                schema.is_relative_to(folder) for folder in seen if folder.is_dir()
            ):
                seen.add(schema)
                found.append(schema)
    if not found:
        for start in starts:
            schema = _schema_above(start)
            if schema is not None and schema not in seen:
                seen.add(schema)
                found.append(schema)
    return sorted(found)


def merged_catalog(catalogs: list[ModelCatalog]) -> ModelCatalog:
    """All schemas as one, for a source file outside every schema's project (a shared package)."""
    models: dict[str, Model] = {}
    for catalog in catalogs:
        for name, model in catalog.models.items():
            if name in models:
                merged = Model(name=name, table=models[name].table, fields={**models[name].fields, **model.fields})
                models[name] = merged
            else:
                models[name] = model
    first = catalogs[0]
    return ModelCatalog(models, first.soft_delete_fields, first.tenant_fields,
                        source=" + ".join(c.source for c in catalogs))


def catalog_for(catalogs: list[ModelCatalog], source: Path, fallback: ModelCatalog | None = None) -> ModelCatalog:
    """The catalog of the deepest project root containing ``source``; ``fallback`` (else the first) if none
    contains it."""
    best: ModelCatalog | None = None
    best_depth = -1
    for catalog in catalogs:
        if catalog.root is not None and source.is_relative_to(catalog.root):
            depth = len(catalog.root.parts)
            if depth > best_depth:
                best, best_depth = catalog, depth
    if best is not None:
        return best
    return fallback if fallback is not None else catalogs[0]
