"""Migration folders as their tools run them: which files, in which order, under which runner.

A folder is linted as a history: each file is a migration deployed at its own time, so whatever earlier files
created is an existing, populated object for the later ones (see ``LintOptions.history``).

Layouts recognised, first match wins:

=========  =======================================  =====================================================
runner     files                                    order
=========  =======================================  =====================================================
prisma     ``migrations/<timestamp>_<name>/migration.sql``  folder name (Prisma's timestamps sort in time)
flyway     ``V<version>__<description>.sql``         version, numerically (``V2`` before ``V10``)
sqitch     ``deploy/<change>.sql``                   ``sqitch.plan`` order when present, else name
bhq        ``NNN_slug.sql`` and anything else        name
=========  =======================================  =====================================================

sqitch runs each deploy script as written (its scripts carry their own BEGIN/COMMIT), which is what the
``prisma`` runner context means for transactions, so sqitch folders are linted under it.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bhq_migrate.errors import ConfigError
from bhq_migrate.lint.context import Runner

_FLYWAY = re.compile(r"^V(?P<version>\d+(?:[._]\d+)*)__.+\.sql$", re.IGNORECASE)


@dataclass(frozen=True)
class MigrationFolder:
    files: list[Path]
    """Every migration file, in the order the tool applies them."""
    runner: Runner
    layout: str
    """What was recognised: ``prisma``, ``flyway``, ``sqitch``, ``plans`` or ``files``."""


def _flyway_key(path: Path) -> tuple[int, ...]:
    match = _FLYWAY.match(path.name)
    assert match is not None
    return tuple(int(part) for part in re.split(r"[._]", match["version"]))


def _sqitch_order(deploy: Path, files: list[Path]) -> list[Path]:
    plan = deploy.parent / "sqitch.plan"
    if not plan.is_file():
        return sorted(files)
    by_name = {path.stem: path for path in files}
    ordered: list[Path] = []
    for line in plan.read_text(encoding="utf-8", errors="replace").splitlines():
        name = line.split(" ", 1)[0].strip()
        if name and not name.startswith(("%", "#", "@")) and name in by_name and by_name[name] not in ordered:
            ordered.append(by_name[name])
    return ordered + sorted(path for path in files if path not in ordered)


def _classify(directory: Path) -> MigrationFolder:
    prisma = sorted(path for path in directory.rglob("migration.sql") if path.is_file())
    if prisma:
        return MigrationFolder(sorted(prisma, key=lambda path: (path.parent.name, str(path))), Runner.PRISMA, "prisma")
    every = sorted(path for path in directory.rglob("*.sql") if path.is_file())
    flyway = [path for path in every if _FLYWAY.match(path.name)]
    if flyway:
        return MigrationFolder(sorted(flyway, key=_flyway_key), Runner.FLYWAY, "flyway")
    deploy = directory if directory.name == "deploy" else directory / "deploy"
    if deploy.is_dir():
        scripts = sorted(path for path in deploy.glob("*.sql") if path.is_file())
        if scripts:
            return MigrationFolder(_sqitch_order(deploy, scripts), Runner.PRISMA, "sqitch")
    if every and all(re.match(r"^\d+_", path.name) for path in every):
        return MigrationFolder(every, Runner.BHQ, "plans")
    return MigrationFolder(every, Runner.BHQ, "files")


def discover(paths: Iterable[Path]) -> MigrationFolder:
    """The migration files under ``paths`` (files as given, folders by their layout), in applying order.

    Several arguments keep their order; the runner is the first folder's. Raises :class:`ConfigError` for a
    path that does not exist and when no file is found: linting nothing must not look like a pass.
    """
    files: list[Path] = []
    runner: Runner | None = None
    layout = "files"
    for path in paths:
        if path.is_dir():
            folder = _classify(path)
            files.extend(folder.files)
            if runner is None:
                runner, layout = folder.runner, folder.layout
        elif path.is_file():
            files.append(path)
        else:
            raise ConfigError(f"{path}: no such file or directory")
    if not files:
        raise ConfigError("no .sql files to lint")
    return MigrationFolder(files, runner or Runner.BHQ, layout)


def new_since(files: list[Path], since: str) -> set[Path]:
    """The files ``--since`` calls new: those after the file ``since`` in applying order, or, when ``since``
    is not a file, those that git says were added or changed since the commit ``since``."""
    marker = Path(since)
    if marker.is_file():
        resolved = [path.resolve() for path in files]
        if marker.resolve() not in resolved:
            raise ConfigError(f"--since {since}: that file is not one of the migrations being linted")
        position = resolved.index(marker.resolve())
        return set(files[position + 1 :])
    top = _git(["rev-parse", "--show-toplevel"], since)
    changed = _git(["diff", "--name-only", "--diff-filter=AMR", since, "--"], since).splitlines()
    untracked = _git(["ls-files", "--others", "--exclude-standard"], since).splitlines()
    names = {(Path(top.strip()) / name).resolve() for name in (*changed, *untracked) if name}
    return {path for path in files if path.resolve() in names}


def _git(arguments: list[str], since: str) -> str:
    try:
        done = subprocess.run(["git", *arguments], capture_output=True, text=True, check=False, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ConfigError(f"--since {since}: git could not run ({exc.__class__.__name__})") from None
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["git failed"])[-1]
        raise ConfigError(f"--since {since}: neither a migration file nor a git revision ({reason})")
    return done.stdout
