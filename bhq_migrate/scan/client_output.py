"""Which schema a project's generated Prisma client comes from, found through what the sources import.

A schema's ``generator client { output = "../generated/prisma" }`` writes the client to a folder of the
project's choosing, and the sources then import it by that path (``import { PrismaClient } from
"../generated/prisma"``) or through a workspace package that re-exports it (``import { db } from
"@acme/db"``). When the scanned folder holds no schema and none is above it or in a workspace package it
declares as a dependency (:func:`bhq_migrate.scan.models.discover_schemas`), the imports of the scanned
sources say which schema applies:

- an import whose path falls in a schema's generator ``output`` folder (the folder need not exist: generated
  clients are usually not committed);
- an import of a workspace package (by ``package.json`` name, or a ``tsconfig.json`` ``paths`` alias that
  points into it) that holds a schema, or a generator output.

Candidate schemas are those of the monorepo (its root declares the workspaces), else of the repository
(the folder holding ``.git``).
Bounded: at most :data:`MAX_FILES` sources are read, and only their first :data:`HEAD_BYTES` bytes, where
imports are.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from bhq_migrate.scan.sources import SOURCE_SUFFIXES
from bhq_migrate.scan.workspace import Workspace, find_workspace

MAX_FILES = 5000
HEAD_BYTES = 64_000

_SKIPPED_DIRS = frozenset({"node_modules", ".git", ".prisma", ".yarn", ".pnpm-store"})
_SPECIFIER = re.compile(rb"""(?:\bfrom|\bimport|\brequire\s*\(|\bimport\s*\()\s*['"]([^'"\n]{1,300})['"]""")
_GENERATOR = re.compile(r"^\s*generator\s+\w+\s*\{(.*?)^\s*\}", re.DOTALL | re.MULTILINE)
_OUTPUT = re.compile(r"""^\s*output\s*=\s*"([^"\n]+)"\s*$""", re.MULTILINE)


def generator_outputs(schema: Path) -> list[Path]:
    """The ``output`` folders of the schema's generators, resolved against the file that declares them (as
    Prisma does); empty for the default location (``node_modules/.prisma/client``)."""
    files = sorted(schema.rglob("*.prisma")) if schema.is_dir() else [schema]
    outputs: list[Path] = []
    for file in files:
        try:
            content = file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for block in _GENERATOR.finditer(content):
            for output in _OUTPUT.finditer(block.group(1)):
                outputs.append(Path(os.path.normpath(file.parent / output.group(1))))
    return outputs


def _repository_root(start: Path, workspace: Workspace | None) -> Path | None:
    """The monorepo's root when there is one, else the folder holding ``.git``."""
    if workspace is not None:
        return workspace.root
    directory = start if start.is_dir() else start.parent
    for candidate in (directory, *directory.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def _sources(starts: Iterable[Path]) -> Iterable[Path]:
    count = 0
    for start in starts:
        if start.is_file():
            yield start
            count += 1
            continue
        for directory, subdirs, files in os.walk(start):
            subdirs[:] = sorted(d for d in subdirs if d not in _SKIPPED_DIRS)
            for name in sorted(files):
                if Path(name).suffix in SOURCE_SUFFIXES and not name.endswith(".d.ts"):
                    yield Path(directory) / name
                    count += 1
                    if count >= MAX_FILES:
                        return


def _specifiers(path: Path) -> set[str]:
    try:
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError:
        return set()
    return {match.group(1).decode("utf-8", errors="replace") for match in _SPECIFIER.finditer(head)}


def _targets(source: Path, specifier: str, workspace: Workspace | None,
             resolve: Callable[[Path, str], Path | None]) -> list[Path]:
    """The paths an import may name: a relative path (existing or not), a workspace package's folder, or
    what the project index resolves (``tsconfig`` ``paths``)."""
    if specifier.startswith("."):
        return [Path(os.path.normpath(source.parent / specifier))]
    found: list[Path] = []
    if workspace is not None:
        for name, folder in workspace.packages.items():
            if specifier == name or specifier.startswith(name + "/"):
                found.append(folder)
    if not found and not specifier.startswith(("@prisma/", "node:")):
        resolved = resolve(source, specifier)
        if resolved is not None:
            found.append(resolved)
    return found


def _package_of(target: Path, root: Path) -> Path | None:
    """The package (nearest folder with a ``package.json``) holding ``target``, not above ``root``."""
    for candidate in (target, *target.parents):
        if not candidate.is_relative_to(root):
            return None
        if (candidate / "package.json").is_file():
            return candidate
    return None


def _matches(target: Path, package: Path | None, schema: Path, outputs: list[Path]) -> bool:
    stripped = target.with_suffix("") if target.suffix in SOURCE_SUFFIXES else target
    if any(stripped == output or stripped.is_relative_to(output) for output in outputs):
        return True  # an import of the generated client itself (or of a file in it)
    # a file of another package that holds the schema, or the client generated from it (a re-export)
    return package is not None and (schema.is_relative_to(package)
                                    or any(output.is_relative_to(package) for output in outputs))


def schemas_for_client_imports(starts: list[Path], candidates: Callable[[Path], list[Path]],
                               resolve: Callable[[Path, str], Path | None]) -> list[Path]:
    """The schemas (among ``candidates(repository root)``) whose generated client the sources under
    ``starts`` import, directly or through a workspace package. ``resolve(importer, specifier)`` is the
    project index's module resolution (``tsconfig`` ``paths`` and ``baseUrl``)."""
    workspace = find_workspace(starts[0]) if starts else None
    root = _repository_root(starts[0], workspace) if starts else None
    if root is None:
        return []
    schemas = [(schema, generator_outputs(schema)) for schema in candidates(root)]
    if not schemas:
        return []
    inside = [schema for schema, _ in schemas if any(schema.is_relative_to(start) for start in starts)]
    if inside:
        return []  # the scanned tree has its own schema: discovery already found it
    found: list[Path] = []
    seen_targets: set[Path] = set()
    for source in _sources(starts):
        for specifier in _specifiers(source):
            try:
                targets = _targets(source, specifier, workspace, resolve)
            except (OSError, ValueError):  # a specifier no path can hold (a NUL byte, a name too long)
                continue
            for target in targets:
                if target in seen_targets:
                    continue
                seen_targets.add(target)
                try:
                    _match_target(target, root, starts, schemas, found)
                except (OSError, ValueError):
                    continue
        if len(found) == len(schemas):
            break
    return found


def _match_target(target: Path, root: Path, starts: list[Path], schemas: list[tuple[Path, list[Path]]],
                  found: list[Path]) -> None:
    package = _package_of(target, root)
    if package is not None and any(start.is_relative_to(package) for start in starts):
        package = None  # the scanned package itself (or the repository's root package)
    for schema, outputs in schemas:
        if schema not in found and _matches(target, package, schema, outputs):
            found.append(schema)
