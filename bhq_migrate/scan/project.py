"""The project index: which module a specifier names, and what each module imports and exports.

Built lazily, once per scan process: a module is parsed only when a file being analysed imports something
from it, so files that cannot reach a Prisma call are still never parsed. Resolution covers relative paths
(``./x``, ``../x.js`` for ``x.ts``), ``index`` files, ``tsconfig.json``/``jsconfig.json`` ``paths`` and
``baseUrl`` (following ``extends``), and workspace packages (``import { db } from "@acme/db"``, resolved through
the package's ``package.json`` entry or ``src/index.ts``).

The bound, by design (never whole-program abstract interpretation):

- :data:`MAX_HOPS` modules deep: an import of an import of ... stops there and the answer is "needs review";
- :data:`CACHE_SIZE` modules kept parsed per process (a per-file summary: tree, imports, exports, clients);
  a module evicted is parsed again when needed;
- callers of an exported function in other modules are found by a reverse-import lookup, not by analysing
  the program: the files of the project (see :func:`project_root`), read once per process, that mention
  the function's name as a word, at most :data:`MAX_CALLER_FILES` of them, are parsed and kept when one of
  their imports resolves to that function. More files than that, or a project larger than
  :data:`MAX_PROJECT_BYTES`, and the callers are "not known" (the scan says "needs review").
"""

from __future__ import annotations

import os
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from tree_sitter import Node, Tree

from bhq_migrate.scan.parser import parse, text
from bhq_migrate.scan.sources import SOURCE_SUFFIXES, iter_sources, looks_generated
from bhq_migrate.scan.workspace import Workspace, find_workspace, read_json

MAX_HOPS = 4
"""How many modules an import chain is followed through (re-exports included)."""
CACHE_SIZE = 512
"""Modules kept parsed per scan process."""
MAX_MODULE_BYTES = 1_000_000
MAX_CALLER_FILES = 64
"""Files read for the callers of one exported function (those that mention its name)."""
MAX_PROJECT_BYTES = 64_000_000
"""Source bytes held per project for the caller search; a larger project has no caller search."""
_MAX_RESOLVED = 100_000

_EXTENSIONS = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs")
_JS_TO_TS = {".js": (".ts", ".tsx"), ".jsx": (".tsx",), ".mjs": (".mts",), ".cjs": (".cts",)}


@dataclass
class Module:
    """One parsed module and what it imports and exports (top-level declarations only)."""

    path: Path
    source: bytes
    tree: Tree
    imports: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Local name -> (specifier, imported name); ``default`` for a default import, ``*`` for a namespace."""
    exports: dict[str, str] = field(default_factory=dict)
    """Exported name -> local name in this module."""
    reexports: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Exported name -> (specifier, name there): ``export { a as b } from "./x"``."""
    star_exports: list[str] = field(default_factory=list)
    """``export * from "./x"`` specifiers."""
    declarations: dict[str, Node] = field(default_factory=dict)
    """Top-level name -> its function node, or the value of its ``const``/``let``."""
    types: dict[str, Node] = field(default_factory=dict)
    """Top-level type name -> its ``type`` alias or ``interface`` declaration (a separate namespace)."""
    indexed: bool = False
    """Imports, exports and declarations are read on first use (:meth:`ensure_indexed`)."""

    def ensure_indexed(self) -> Module:
        if not self.indexed:
            self.indexed = True
            _index_module(self)
        return self

    @property
    def root(self) -> Node:
        return self.tree.root_node


def _string_value(node: Node | None) -> str | None:
    if node is None or node.type != "string":
        return None
    return text(node)[1:-1]


def _index_module(module: Module) -> None:
    for statement in module.root.named_children:
        kind = statement.type
        if kind == "import_statement":
            _index_import(module, statement)
        elif kind == "export_statement":
            _index_export(module, statement)
        else:
            _index_declaration(module, statement, exported=False)


def _index_import(module: Module, statement: Node) -> None:
    specifier = _string_value(statement.child_by_field_name("source"))
    clause = next((c for c in statement.named_children if c.type == "import_clause"), None)
    if specifier is None or clause is None:
        return
    for part in clause.named_children:
        if part.type == "identifier":
            module.imports[text(part)] = (specifier, "default")
        elif part.type == "namespace_import":
            name = next((c for c in part.named_children if c.type == "identifier"), None)
            if name is not None:
                module.imports[text(name)] = (specifier, "*")
        elif part.type == "named_imports":
            for spec in part.named_children:
                if spec.type != "import_specifier":
                    continue
                name = spec.child_by_field_name("name")
                alias = spec.child_by_field_name("alias")
                if name is not None:
                    module.imports[text(alias or name)] = (specifier, text(name))


def _index_export(module: Module, statement: Node) -> None:
    source = _string_value(statement.child_by_field_name("source"))
    declaration = statement.child_by_field_name("declaration")
    value = statement.child_by_field_name("value")
    if declaration is not None:
        _index_declaration(module, declaration, exported=True)
        return
    clause = next((c for c in statement.named_children if c.type == "export_clause"), None)
    if clause is None:
        if source is not None and any(c.type == "*" for c in statement.children):
            module.star_exports.append(source)
        elif value is not None:  # export default <expression>
            if value.type == "identifier":
                module.exports["default"] = text(value)
            else:
                module.declarations["default"] = value
                module.exports["default"] = "default"
        else:
            default = next((c for c in statement.named_children
                            if c.type in ("function_declaration", "class_declaration", "abstract_class_declaration")),
                           None)
            if default is not None:
                _index_declaration(module, default, exported=True)
                name = default.child_by_field_name("name")
                if name is not None:
                    module.exports["default"] = text(name)
        return
    for spec in clause.named_children:
        if spec.type != "export_specifier":
            continue
        name = spec.child_by_field_name("name")
        alias = spec.child_by_field_name("alias")
        if name is None:
            continue
        exported = text(alias or name)
        if source is not None:
            module.reexports[exported] = (source, text(name))
        else:
            module.exports[exported] = text(name)


def _index_declaration(module: Module, node: Node, exported: bool) -> None:
    if node.type in ("type_alias_declaration", "interface_declaration"):
        name = node.child_by_field_name("name")
        if name is not None:
            module.types[text(name)] = node
            if exported:
                module.exports[text(name)] = text(name)
    elif node.type in ("function_declaration", "generator_function_declaration", "class_declaration",
                       "abstract_class_declaration"):
        name = node.child_by_field_name("name")
        if name is not None:
            module.declarations[text(name)] = node
            if exported:
                module.exports[text(name)] = text(name)
    elif node.type in ("lexical_declaration", "variable_declaration"):
        for declarator in node.named_children:
            if declarator.type != "variable_declarator":
                continue
            name = declarator.child_by_field_name("name")
            value = declarator.child_by_field_name("value")
            if name is None or name.type != "identifier":
                continue
            if value is not None:
                module.declarations[text(name)] = value
            if exported:
                module.exports[text(name)] = text(name)


# ---- module resolution ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _PathsConfig:
    base: Path | None
    """``baseUrl``, resolved."""
    paths: tuple[tuple[str, tuple[str, ...]], ...]
    paths_base: Path


def _load_tsconfig(path: Path, depth: int = 0) -> dict[str, object]:
    """compilerOptions ``baseUrl``/``paths`` of ``path``, with ``extends`` followed (relative paths only),
    each made absolute against the file that defined it."""
    data = read_json(path) or {}
    merged: dict[str, object] = {}
    parents = data.get("extends")
    for parent in ([parents] if isinstance(parents, str) else parents if isinstance(parents, list) else []):
        if isinstance(parent, str) and parent.startswith(".") and depth < 5:
            target = (path.parent / parent)
            if target.suffix != ".json":
                target = target.with_name(target.name + ".json") if not target.is_dir() else target / "tsconfig.json"
            merged.update(_load_tsconfig(target, depth + 1))
    options = data.get("compilerOptions")
    if isinstance(options, dict):
        if isinstance(options.get("baseUrl"), str):
            merged["baseUrl"] = (path.parent / str(options["baseUrl"])).resolve()
        if isinstance(options.get("paths"), dict):
            merged["paths"] = options["paths"]
            merged["pathsBase"] = path.parent.resolve()
    return merged


@lru_cache(maxsize=1024)
def _paths_config(directory: Path) -> _PathsConfig | None:
    """The ``paths``/``baseUrl`` of the nearest ``tsconfig.json``/``jsconfig.json`` at or above ``directory``."""
    for candidate in (directory, *directory.parents):
        for name in ("tsconfig.json", "jsconfig.json"):
            config = candidate / name
            if config.is_file():
                options = _load_tsconfig(config)
                base = options.get("baseUrl")
                raw_paths = options.get("paths")
                paths: list[tuple[str, tuple[str, ...]]] = []
                if isinstance(raw_paths, dict):
                    for pattern, targets in raw_paths.items():
                        if isinstance(targets, list):
                            paths.append((str(pattern), tuple(str(t) for t in targets if isinstance(t, str))))
                paths_base = base if isinstance(base, Path) else options.get("pathsBase", candidate)
                return _PathsConfig(base if isinstance(base, Path) else None, tuple(paths),
                                    paths_base if isinstance(paths_base, Path) else candidate)
        if (candidate / ".git").exists():
            break
    return None


def _file_for(candidate: Path) -> Path | None:
    """``candidate`` as a source file: as is, with an extension, a ``.js`` standing for ``.ts``, or an
    ``index`` file in it."""
    if candidate.suffix in _JS_TO_TS:
        for suffix in _JS_TO_TS[candidate.suffix]:
            swapped = candidate.with_suffix(suffix)
            if swapped.is_file():
                return swapped
    if candidate.suffix in SOURCE_SUFFIXES and candidate.is_file():
        return candidate
    for suffix in _EXTENSIONS:
        with_suffix = candidate.with_name(candidate.name + suffix)
        if with_suffix.is_file():
            return with_suffix
    if candidate.is_dir():
        for suffix in _EXTENSIONS:
            index = candidate / f"index{suffix}"
            if index.is_file():
                return index
    return None


def _package_entry(folder: Path, subpath: str) -> Path | None:
    if subpath:
        return _file_for(folder / subpath) or _file_for(folder / "src" / subpath)
    data = read_json(folder / "package.json") or {}
    entries: list[str] = []
    exports = data.get("exports")
    if isinstance(exports, str):
        entries.append(exports)
    elif isinstance(exports, dict):
        dot = exports.get(".", exports)
        if isinstance(dot, str):
            entries.append(dot)
        elif isinstance(dot, dict):
            entries.extend(str(v) for k, v in dot.items() if isinstance(v, str) and k in ("types", "import",
                                                                                          "default", "require"))
    entries.extend(str(data[key]) for key in ("types", "typings", "module", "main") if isinstance(data.get(key), str))
    for entry in entries:
        found = _file_for(folder / entry)
        if found is not None and not found.name.endswith(".d.ts"):
            return found
    return _file_for(folder / "src" / "index") or _file_for(folder / "index")


class ProjectIndex:
    """Modules by path, parsed on demand and kept in a bounded cache; import specifiers resolved to files."""

    def __init__(self, cache_size: int = CACHE_SIZE) -> None:
        self._modules: OrderedDict[Path, Module | None] = OrderedDict()
        self._cache_size = cache_size
        self._workspaces: dict[Path, Workspace | None] = {}
        self._resolved: dict[tuple[Path, str], Path | None] = {}
        self.peers: dict[Path, Any] = {}
        """Path -> the scoping resolver of that module (owned by :mod:`bhq_migrate.scan.scoping`)."""
        self.blame: Any = None
        """The call that passed an unscoped argument, shared by every resolver while one query is checked
        (owned by :mod:`bhq_migrate.scan.scoping`)."""
        self.project_files: dict[Path, _ProjectFiles] = {}
        self._callers: dict[tuple[Path, str, int], Callers] = {}

    def add(self, path: Path, source: bytes, tree: Tree) -> Module:
        """Index a module the scan has already parsed (the file being analysed)."""
        module = Module(path, source, tree)  # indexed on first use: most analysed files never need it
        self._modules[path] = module
        self._modules.move_to_end(path)
        if len(self._modules) > self._cache_size:
            self._modules.popitem(last=False)
        return module

    def module(self, path: Path) -> Module | None:
        """The parsed module at ``path`` (``None`` when it cannot be read or is too large)."""
        if path in self._modules:
            self._modules.move_to_end(path)
            return self._modules[path]
        module: Module | None = None
        try:
            if path.stat().st_size <= MAX_MODULE_BYTES:
                source = path.read_bytes()
                module = Module(path, source, parse(source, path.suffix)).ensure_indexed()
        except OSError:
            module = None
        self._modules[path] = module
        if len(self._modules) > self._cache_size:
            self._modules.popitem(last=False)
        return module

    def _workspace(self, directory: Path) -> Workspace | None:
        if directory not in self._workspaces:
            self._workspaces[directory] = find_workspace(directory)
        return self._workspaces[directory]

    def resolve(self, importer: Path, specifier: str) -> Path | None:
        """The source file ``specifier`` names when imported from ``importer``; ``None`` for a dependency
        (or a specifier that names no readable file)."""
        key = (importer.parent, specifier)
        if key in self._resolved:
            return self._resolved[key]
        try:
            found = self._resolve(importer, specifier)
        except (OSError, ValueError, RuntimeError):  # a name too long, a NUL byte, a symlink loop
            found = None
        if len(self._resolved) > _MAX_RESOLVED:
            self._resolved.clear()
        self._resolved[key] = found
        return found

    def _resolve(self, importer: Path, specifier: str) -> Path | None:
        if specifier.startswith("."):
            return _file_for(Path(os.path.normpath(importer.parent / specifier)))
        config = _paths_config(importer.parent)
        if config is not None:
            for pattern, targets in config.paths:
                prefix, star, suffix = pattern.partition("*")
                if star and specifier.startswith(prefix) and specifier.endswith(suffix):
                    middle = specifier[len(prefix): len(specifier) - len(suffix) if suffix else None]
                    for target in targets:
                        found = _file_for(Path(os.path.normpath(config.paths_base / target.replace("*", middle))))
                        if found is not None:
                            return found
                elif not star and specifier == pattern:
                    for target in targets:
                        found = _file_for(Path(os.path.normpath(config.paths_base / target)))
                        if found is not None:
                            return found
            if config.base is not None:
                found = _file_for(config.base / specifier)
                if found is not None:
                    return found
        workspace = self._workspace(importer.parent)
        if workspace is not None:
            for name, folder in workspace.packages.items():
                if specifier == name or specifier.startswith(name + "/"):
                    return _package_entry(folder, specifier[len(name) + 1:])
        return None

    def export(self, path: Path, name: str, hops: int = 0, types: bool = False) -> tuple[Module, Node] | None:
        """The declaration exported as ``name`` from the module at ``path`` (the type alias or interface,
        with ``types``), through re-exports, at most :data:`MAX_HOPS` modules away."""
        if hops > MAX_HOPS:
            return None
        module = self.module(path)
        if module is None:
            return None
        module.ensure_indexed()
        if name in module.exports:
            local = module.exports[name]
            node = (module.types if types else module.declarations).get(local)
            if node is not None:
                return module, node
            if local in module.imports:  # import { a } from "./x"; export { a }
                return self.imported(module, local, hops + 1, types)
            return None
        if name in module.reexports:
            specifier, there = module.reexports[name]
            target = self.resolve(path, specifier)
            return self.export(target, there, hops + 1, types) if target is not None else None
        for specifier in module.star_exports:
            target = self.resolve(path, specifier)
            found = self.export(target, name, hops + 1, types) if target is not None else None
            if found is not None:
                return found
        return None

    def callers(self, path: Path, name: str, function: Node) -> Callers:
        """Calls, in other modules of the project, of ``function``, exported as ``name`` from ``path``:
        a reverse-import lookup bounded by :data:`MAX_CALLER_FILES` (see the module's docstring)."""
        key = (path, name, function.start_byte)
        if key not in self._callers:
            try:
                self._callers[key] = _callers(self, path, name, function)
            except (OSError, ValueError, RuntimeError):
                self._callers[key] = Callers([], False)
        return self._callers[key]

    def imported(self, module: Module, local: str, hops: int = 0,
                 types: bool = False) -> tuple[Module, Node] | None:
        """The declaration behind the import ``local`` of ``module`` (its type, with ``types``)."""
        entry = module.ensure_indexed().imports.get(local)
        if entry is None or hops > MAX_HOPS:
            return None
        specifier, name = entry
        if name == "*":
            return None
        target = self.resolve(module.path, specifier)
        return self.export(target, name, hops, types) if target is not None else None


# ---- reverse imports: who calls an exported function -----------------------------------------------------

_PROJECT_MARKERS = ("package.json", "tsconfig.json", "jsconfig.json", "prisma")


def project_root(path: Path) -> Path:
    """The folder whose files may import ``path``: the monorepo's root, else the highest folder holding a
    ``package.json``, ``tsconfig.json``, ``jsconfig.json`` or ``prisma/`` within the repository (the folder
    holding ``.git``), else the file's own folder."""
    workspace = find_workspace(path.parent)
    if workspace is not None:
        return workspace.root
    top: Path | None = None
    for candidate in path.parents:
        if any((candidate / marker).exists() for marker in _PROJECT_MARKERS):
            top = candidate
        if (candidate / ".git").exists():
            break
    return top or path.parent


class _ProjectFiles:
    """Every source file of one project, read once, for the word search of :meth:`ProjectIndex.callers`."""

    def __init__(self, root: Path) -> None:
        self.files: list[tuple[Path, bytes]] | None = []
        self._found: dict[str, list[Path] | None] = {}
        total = 0
        for source in iter_sources([root]):
            try:
                content = source.path.read_bytes()
            except OSError:
                continue
            if looks_generated(content[:400]):
                continue
            total += len(content)
            if total > MAX_PROJECT_BYTES:
                self.files = None  # too large to hold: callers elsewhere are not searched
                return
            self.files.append((source.path, content))

    def mentioning(self, name: str) -> list[Path] | None:
        """Files holding ``name`` as a word; ``None`` when there are more than :data:`MAX_CALLER_FILES`."""
        if self.files is None:
            return None
        if name not in self._found:
            word = re.compile(rb"(?<![\w$])" + re.escape(name.encode()) + rb"(?![\w$])")
            found = [path for path, content in self.files if word.search(content)]
            self._found[name] = found if len(found) <= MAX_CALLER_FILES else None
        return self._found[name]


_DECLARING = frozenset({"function_declaration", "generator_function_declaration", "variable_declarator"})


def _calls_named(root: Node, local: str, namespace: bool, name: str) -> tuple[list[Node], bool]:
    """Calls of ``local(...)`` (or ``local.name(...)`` for a namespace import) in a module, and whether the
    function is also used other than by calling it (passed as a value: its callers are then unknown)."""
    calls: list[Node] = []
    escapes = False
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type in ("import_statement", "export_statement") and node.child_by_field_name("source") is not None:
            continue
        if node.type == "shorthand_property_identifier" and node.text is not None and node.text.decode() == local:
            escapes = escapes or not namespace  # { handler }: handed out as a value
            continue
        if node.type == "identifier" and node.text is not None and node.text.decode() == local:
            parent = node.parent
            if parent is not None and parent.type == "export_specifier":
                continue  # export { local }: a re-export; its importers mention the name too
            if parent is not None and parent.type in _DECLARING and parent.child_by_field_name("name") == node:
                continue  # the function's own declaration
            if namespace:
                if parent is None or parent.type != "member_expression":
                    escapes = True
                    continue
                prop = parent.child_by_field_name("property")
                if prop is None or text(prop) != name:
                    continue
                node = parent
                parent = node.parent
            if parent is not None and parent.type == "call_expression" and \
                    parent.child_by_field_name("function") == node:
                calls.append(parent)
            elif parent is None or parent.type != "type_query":
                escapes = True
            continue
        stack.extend(node.children)
    calls.sort(key=lambda call: call.start_byte)
    return calls, escapes


@dataclass
class Callers:
    """The calls of one exported function found in other modules."""

    calls: list[tuple[Module, Node]]
    complete: bool
    """Every use found is a call (no file over the bound, no use as a value)."""


_DYNAMIC_IMPORT = re.compile(rb"(?<![\w$.])(?:require|import)\s*\(")


def _callers(index: ProjectIndex, path: Path, name: str, function: Node) -> Callers:
    root = project_root(path)
    files = index.project_files.get(root)
    if files is None:
        files = index.project_files[root] = _ProjectFiles(root)
    candidates = files.mentioning(name)
    own = index.module(path)
    if candidates is None or own is None:
        return Callers([], False)
    found: list[tuple[Module, Node]] = []
    # used as a value in its own file (export default f, a handler table): callers elsewhere are unknown
    complete = not _calls_named(own.root, name, False, name)[1]
    for candidate in candidates:
        if candidate == path:
            continue
        module = index.module(candidate)
        if module is None:
            complete = False  # mentions the name, cannot be read: it may call the function
            continue
        module.ensure_indexed()
        binds_name = False
        for local, (specifier, imported) in list(module.imports.items()):
            if imported == "*":
                target = index.resolve(candidate, specifier)
                if target is None:
                    # ns.name(...) through a namespace the index cannot resolve: maybe this function
                    if re.search(rb"(?<![\w$])" + re.escape(f"{local}.{name}".encode()) + rb"(?![\w$])",
                                 module.source):
                        complete = False
                    continue
                resolved = index.export(target, name)
            elif imported in (name, "default"):
                resolved = index.imported(module, local)
                if resolved is None and imported == name:
                    complete = False  # import { name } from a module the index cannot resolve: maybe this one
                    continue
            else:
                continue
            binds_name = binds_name or imported == name
            if resolved is None or resolved[0].path != path or resolved[1].start_byte != function.start_byte:
                continue
            binds_name = True
            calls, escapes = _calls_named(module.root, local, imported == "*", name)
            complete = complete and not escapes
            found.extend((module, call) for call in calls)
        if not binds_name and _DYNAMIC_IMPORT.search(module.source):
            complete = False  # require(...) / import(...): a caller the index does not see may be here
    return Callers(found, complete)
