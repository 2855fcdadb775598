"""Monorepo workspaces: which packages exist (``package.json`` ``workspaces``, ``pnpm-workspace.yaml``), what
each is called, and which workspace packages a package depends on.

Used to find the ``schema.prisma`` of a sibling package (``packages/db``) when one package of a monorepo is
scanned, and to resolve ``import ... from "@acme/db"`` to that package's folder in the project index.
"""

from __future__ import annotations

import json
import re
from collections import deque
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

_PNPM_ENTRY = re.compile(r"""^\s*-\s*['"]?([^'"#\s]+)['"]?""")
_DEPENDENCY_KEYS = ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies")
_MAX_PACKAGES = 2000


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON object from ``path``; ``None`` when missing or not an object. tsconfig files allow comments and
    trailing commas, so those are removed first (outside strings)."""
    try:
        raw = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        try:
            data = json.loads(_strip_jsonc(raw))
        except ValueError:
            return None
    return data if isinstance(data, dict) else None


_JSONC_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|//[^\n]*|/\*.*?\*/|,(\s*[}\]])', re.DOTALL)


def _strip_jsonc(raw: str) -> str:
    def keep(match: re.Match[str]) -> str:
        token = match.group(0)
        if token.startswith('"'):
            return token
        if match.group(1) is not None:
            return match.group(1)
        return ""

    return _JSONC_TOKEN.sub(keep, raw)


@dataclass
class Workspace:
    """A monorepo: its root folder and its packages by ``package.json`` name."""

    root: Path
    packages: dict[str, Path] = field(default_factory=dict)

    def package_of(self, path: Path) -> tuple[str, Path] | None:
        """The workspace package that holds ``path`` (the deepest one)."""
        best: tuple[str, Path] | None = None
        for name, folder in self.packages.items():
            if path.is_relative_to(folder) and (best is None or len(folder.parts) > len(best[1].parts)):
                best = (name, folder)
        return best

    def dependencies(self, folder: Path, depth: int = 3) -> list[Path]:
        """Workspace packages ``folder``'s package depends on, transitively up to ``depth`` levels."""
        found: list[Path] = []
        seen = {folder}
        queue = deque([(folder, 0)])
        while queue:
            current, level = queue.popleft()
            if level >= depth:
                continue
            for name in package_dependencies(current):
                target = self.packages.get(name)
                if target is not None and target not in seen:
                    seen.add(target)
                    found.append(target)
                    queue.append((target, level + 1))
        return found


def package_dependencies(folder: Path) -> list[str]:
    data = read_json(folder / "package.json") or {}
    names: list[str] = []
    for key in _DEPENDENCY_KEYS:
        value = data.get(key)
        if isinstance(value, dict):
            names.extend(str(name) for name in value)
    return names


def _patterns(root: Path) -> list[str]:
    patterns: list[str] = []
    data = read_json(root / "package.json") or {}
    declared = data.get("workspaces")
    if isinstance(declared, dict):
        declared = declared.get("packages")
    if isinstance(declared, list):
        patterns.extend(str(p) for p in declared if isinstance(p, str))
    try:
        pnpm = (root / "pnpm-workspace.yaml").read_text(encoding="utf-8", errors="replace")
    except OSError:
        pnpm = ""
    in_packages = False
    for line in pnpm.splitlines():
        if re.match(r"^packages\s*:", line):
            in_packages = True
            continue
        if in_packages:
            entry = _PNPM_ENTRY.match(line)
            if entry:
                patterns.append(entry.group(1))
            elif line.strip() and not line.startswith((" ", "\t", "#")):
                in_packages = False
    return patterns


@lru_cache(maxsize=32)
def _workspace_at(root: Path) -> Workspace | None:
    patterns = _patterns(root)
    if not patterns:
        return None
    workspace = Workspace(root)
    for pattern in patterns:
        if pattern.startswith("!"):
            continue
        pattern = pattern.rstrip("/").removeprefix("./")
        try:
            folders = sorted(root.glob(pattern)) if pattern and not pattern.startswith("/") else []
        except (ValueError, NotImplementedError, OSError):
            continue  # a pattern pathlib cannot expand: that package is simply not known
        for folder in folders:
            if len(workspace.packages) >= _MAX_PACKAGES or "node_modules" in folder.parts:
                break
            data = read_json(folder / "package.json")
            name = data.get("name") if data else None
            if isinstance(name, str):
                workspace.packages.setdefault(name, folder.resolve())
    return workspace


def find_workspace(start: Path) -> Workspace | None:
    """The monorepo enclosing ``start``: the nearest folder above it that declares workspaces, not past the
    repository root."""
    directory = start.resolve()
    if not directory.is_dir():
        directory = directory.parent
    for candidate in (directory, *directory.parents):
        if (candidate / "package.json").is_file() or (candidate / "pnpm-workspace.yaml").is_file():
            workspace = _workspace_at(candidate)
            if workspace is not None:
                return workspace
        if (candidate / ".git").exists():
            break
    return None
