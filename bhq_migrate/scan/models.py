"""Which models are soft-deletable or tenant-owned: the scan's view of the project's ``schema.prisma``.

The schema is read by the one shared parser (:mod:`bhq_migrate.prisma_schema`, the lark grammar that
``audit-prisma`` uses), multi-file schemas (``prisma/schema/*.prisma``) included; this module keeps what the
scan rules need from its parse tree: model names, ``@@map`` table names, fields with their ``@map`` columns,
list relations and the relation that carries the tenant key. A schema that does not parse is an error
(``file:line:column``), never a scan with no models.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bhq_migrate.errors import ConfigError
from bhq_migrate.prisma_schema.parser import Field as SchemaField
from bhq_migrate.prisma_schema.parser import PrismaSchema, load_schema, load_schema_files
from bhq_migrate.scan import schema_cache
from bhq_migrate.scan.client_output import schemas_for_client_imports
from bhq_migrate.scan.project import ProjectIndex
from bhq_migrate.scan.workspace import find_workspace

DEFAULT_SOURCE = "<defaults>"
"""The ``source`` of the seed plan's default catalog (no schema found)."""

# Folders that never hold a project's own schema (dependencies, version control, generated clients).
SKIPPED_DIRS = frozenset({"node_modules", ".git", ".prisma", ".yarn", ".pnpm-store"})


@dataclass
class ModelField:
    name: str
    type: str
    is_list: bool
    column: str
    relation_fields: tuple[str, ...] = ()
    unique: bool = False
    """``@id`` or ``@unique``: a where on it alone matches at most one row."""


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
    source: str = DEFAULT_SOURCE
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


def _string(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _model_field(schema_field: SchemaField) -> ModelField:
    mapped = schema_field.attribute("map")
    relation = schema_field.attribute("relation")
    fields = relation.named("fields") if relation is not None else None
    relation_fields = tuple(str(getattr(item, "name", item)) for item in fields) if isinstance(fields, tuple) else ()
    column = _string(mapped.argument("name")) if mapped is not None else None
    return ModelField(name=schema_field.name, type=schema_field.type_name, is_list=schema_field.is_list,
                      column=column or schema_field.name, relation_fields=relation_fields,
                      unique=schema_field.attribute("id") is not None or schema_field.attribute("unique") is not None)


def models_from_schema(schema: PrismaSchema) -> dict[str, Model]:
    """The scan's models (and views) from the parse tree: ``@@map`` gives the table, ``@map`` the column."""
    models: dict[str, Model] = {}
    for block in (*schema.models, *schema.views):
        table_map = block.attribute("map")
        table = _string(table_map.argument("name")) if table_map is not None else None
        model = Model(name=block.name, table=table or block.name)
        for schema_field in block.fields:
            model.fields[schema_field.name] = _model_field(schema_field)
        models[block.name] = model
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
    """The catalog of one schema (a file, or a multi-file schema folder). Raises
    :class:`~bhq_migrate.errors.PrismaSchemaError` (``file:line:column: message``) when it does not parse."""
    if not schema.exists():
        raise ConfigError(f"schema not found: {schema}")
    files = _schema_files(schema)
    if not files:
        raise ConfigError(f"schema folder {schema} holds no .prisma file")
    return ModelCatalog(_schema_models(schema, files), soft_delete_fields, tenant_fields, source=str(schema),
                        root=project_root_for(schema).resolve())


def schema_size(schema: Path) -> int:
    """The bytes of the schema's files (0 when they cannot be read: parsing will say why)."""
    try:
        return sum(path.stat().st_size for path in _schema_files(schema)) if schema.exists() else 0
    except OSError:
        return 0


def cached_catalog(schema: Path, soft_delete_fields: tuple[str, ...],
                   tenant_fields: tuple[str, ...]) -> ModelCatalog | None:
    """What :func:`load_catalog` returns, when the schema's models are in the cache; else ``None`` (also for a
    schema that :func:`load_catalog` would reject: it says why)."""
    if not schema.exists():
        return None
    files = _schema_files(schema)
    key = schema_cache.cache_key(files) if files else None
    cached = schema_cache.load(key) if key is not None else None
    if cached is None:
        return None
    try:
        models = _models_from_data(cached)
    except (ValueError, TypeError):
        return None
    return ModelCatalog(models, soft_delete_fields, tenant_fields, source=str(schema),
                        root=project_root_for(schema).resolve())


def _schema_models(schema: Path, files: list[Path]) -> dict[str, Model]:
    """The models of the schema made of ``files``: from the cache when these very files (same paths, same
    bytes) were parsed by this very code before (:mod:`bhq_migrate.scan.schema_cache`), else parsed."""
    key = schema_cache.cache_key(files)
    cached = schema_cache.load(key) if key is not None else None
    if cached is not None:
        try:
            return _models_from_data(cached)
        except (ValueError, TypeError):
            pass  # not what _models_to_data writes: parse instead
    parsed = load_schema(files[0]) if len(files) == 1 and files[0] == schema else load_schema_files(files, str(schema))
    models = models_from_schema(parsed)
    if key is not None:
        schema_cache.store(key, _models_to_data(models))
    return models


def _models_to_data(models: dict[str, Model]) -> list[object]:
    return [[m.name, m.table, [[f.name, f.type, f.is_list, f.column, list(f.relation_fields), f.unique]
                               for f in m.fields.values()]] for m in models.values()]


def _models_from_data(data: object) -> dict[str, Model]:
    """The models :func:`_models_to_data` wrote; ValueError on any other shape."""
    models: dict[str, Model] = {}
    for entry in _list(data):
        name, table, fields = _list(entry)
        model = Model(name=_str(name), table=_str(table))
        for field_entry in _list(fields):
            field_name, type_name, is_list, column, relation_fields, unique = _list(field_entry)
            if not isinstance(is_list, bool) or not isinstance(unique, bool):
                raise ValueError("malformed cache entry")
            model.fields[_str(field_name)] = ModelField(_str(field_name), _str(type_name), is_list, _str(column),
                                                        tuple(_str(r) for r in _list(relation_fields)), unique)
        models[model.name] = model
    return models


def _list(value: object) -> list[object]:
    if not isinstance(value, list):
        raise ValueError("malformed cache entry")
    return value


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("malformed cache entry")
    return value


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


def _schemas_under(start: Path, found: list[Path], seen: set[Path]) -> None:
    for directory, subdirs, files in os.walk(start):
        subdirs[:] = [d for d in subdirs if d not in SKIPPED_DIRS]
        schema = _schema_here(Path(directory), files)
        if schema is not None and schema not in seen and not any(
            schema.is_relative_to(folder) for folder in seen if folder.is_dir()
        ):
            seen.add(schema)
            found.append(schema)


def discover_schemas(paths: Iterable[Path]) -> list[Path]:
    """Every schema for the given paths, first found first:

    1. under them (``schema.prisma``, a ``prisma/schema/`` folder, a ``package.json`` ``prisma.schema``
       entry), skipping dependencies and generated clients;
    2. else the enclosing project's, searching upwards but not past the repository root;
    3. else those of the workspace packages the scanned package depends on (``"@acme/db": "workspace:*"``
       in its ``package.json``, transitively), for one package of a monorepo whose schema sits in a sibling;
    4. else the repository's schemas whose generated client the scanned sources import: by its generator
       ``output`` path, or through the package that holds it (:mod:`bhq_migrate.scan.client_output`).
    """
    found: list[Path] = []
    seen: set[Path] = set()
    starts = [Path(p).resolve() for p in paths]
    for start in starts:
        if not start.is_file():
            _schemas_under(start, found, seen)
    if not found:
        for start in starts:
            schema = _schema_above(start)
            if schema is not None and schema not in seen:
                seen.add(schema)
                found.append(schema)
    if not found:
        for start in starts:
            workspace = find_workspace(start)
            owner = workspace.package_of(start) if workspace is not None else None
            if workspace is None or owner is None:
                continue
            for package in workspace.dependencies(owner[1]):
                _schemas_under(package, found, seen)
    if not found:
        found = schemas_for_client_imports(starts, _repository_schemas, ProjectIndex().resolve)
    return sorted(found)


def _repository_schemas(root: Path) -> list[Path]:
    found: list[Path] = []
    _schemas_under(root, found, set())
    return found


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
