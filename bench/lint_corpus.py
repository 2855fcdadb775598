"""Benchmark `bhq-migrate lint` against squawk on real migration folders: agreement, crashes and speed.

Usage:
    python bench/lint_corpus.py CORPUS [--repeat 5] [--sample 30] [--seed 7]

CORPUS holds one folder per project, each with its migration folders inside (kept as the project has them,
e.g. ``CORPUS/owner+repo/packages/prisma/migrations/<ts>_<name>/migration.sql``); nothing of it is committed
here. bench/RESULTS.md says which projects and commits were used and how the folders were extracted.

What it measures, all in this one run:
  * crashes: any traceback or exit code other than 0/1 from `bhq-migrate lint` on each migrations folder;
  * agreement: for every squawk finding whose rule maps fully to one of ours (bhq_migrate.lint.mapping), a
    finding of that rule in the same file within one line counts as matched (the timeout rules, which both
    tools report once per file, match by file). squawk runs without --assume-in-transaction: Prisma runs
    each migration file without a transaction;
  * a seeded random sample of our findings that squawk has no mapped counterpart for, printed for judging
    by hand;
  * speed: whole processes (interpreter start-up included), `bhq-migrate lint FOLDER` against `squawk
    FILES...` on the same files, median of --repeat runs each, and the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bhq_migrate.lint.analysis import analyse_statement, qualified_name
from bhq_migrate.lint.mapping import SQUAWK, SQUAWK_PARTIAL
from bhq_migrate.lint.source import source_from_path

BIN = Path(sys.executable).parent
BHQ = str(BIN / "bhq-migrate")
SQUAWK_BIN = shutil.which("squawk", path=str(BIN)) or shutil.which("squawk") or "squawk"
PER_FILE = {"require-lock-timeout", "require-statement-timeout", "require-timeout-settings"}


def migration_folders(corpus: Path) -> list[Path]:
    """Every folder that directly holds ``<name>/migration.sql`` folders (a Prisma migrations folder)."""
    return sorted({path.parent.parent for path in corpus.rglob("migration.sql")})


def created_in_same_file(path: Path) -> dict[int, bool]:
    """Line -> whether the statement on that line works on a table the same file created before it (or is
    a CREATE TABLE itself): squawk reports those too, a known false-positive class of squawk (its issues
    #349 and #220), which we deliberately do not report."""
    from pglast import ast

    answer: dict[int, bool] = {}
    created: set[str] = set()
    for unit in source_from_path(path).units:
        if unit.in_do_block:
            continue
        if isinstance(unit.node, ast.CreateStmt):
            created.add(qualified_name(unit.node.relation))
        target = analyse_statement(unit.node).object
        first = unit.position()[0]
        for line in range(first, first + unit.sql.count("\n") + 1):
            answer[line] = isinstance(unit.node, ast.CreateStmt) or (target in created)
    return answer


def run_ours(folder: Path) -> tuple[list[dict[str, object]], str | None]:
    done = subprocess.run(
        [BHQ, "lint", str(folder), "--format", "json", "--enable", "all"], capture_output=True, text=True
    )
    if done.returncode not in (0, 1) or "Traceback" in done.stderr:
        return [], f"exit {done.returncode}: {done.stderr.strip().splitlines()[-1:] }"
    payload = json.loads(done.stdout)
    return list(payload["findings"]), None


def run_squawk(files: list[Path]) -> list[dict[str, object]]:
    done = subprocess.run(
        [SQUAWK_BIN, "--reporter", "json", "--pg-version", "15", *map(str, files)], capture_output=True, text=True
    )
    return list(json.loads(done.stdout or "[]"))


def median_seconds(command: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=False)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("corpus", type=Path)
    arguments.add_argument("--repeat", type=int, default=5)
    arguments.add_argument("--sample", type=int, default=30)
    arguments.add_argument("--seed", type=int, default=7)
    options = arguments.parse_args()

    folders = migration_folders(options.corpus)
    files_by_folder = {folder: sorted(folder.rglob("migration.sql")) for folder in folders}
    total_files = sum(len(files) for files in files_by_folder.values())
    print(f"{len(folders)} migration folders, {total_files} files; load average {os.getloadavg()}")

    crashes: list[str] = []
    matched: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    same_file: Counter[str] = Counter()
    misses: dict[str, list[str]] = defaultdict(list)
    ours_unmatched: list[dict[str, object]] = []
    for folder, files in files_by_folder.items():
        ours, crash = run_ours(folder)
        if crash:
            crashes.append(f"{folder}: {crash}")
            continue
        by_file: dict[str, list[dict[str, object]]] = defaultdict(list)
        for finding in ours:
            by_file[str(Path(str(finding["file"])).resolve())].append(finding)
        used: set[int] = set()
        for theirs in run_squawk(files):
            rule = str(theirs["rule_name"])
            mapped, _note = SQUAWK.get(rule, (None, ""))
            if mapped is None:
                continue
            key = f"{rule} -> {mapped}" + (" (partial)" if rule in SQUAWK_PARTIAL else "")
            seen[key] += 1
            line = int(str(theirs["line"])) + 1
            candidates = by_file.get(str(Path(str(theirs["file"])).resolve()), [])
            hit = next(
                (
                    f
                    for f in candidates
                    if f["rule"] == mapped and (rule in PER_FILE or abs(int(str(f["line"])) - line) <= 1)
                ),
                None,
            )
            if hit is not None:
                matched[key] += 1
                used.add(id(hit))
            elif created_in_same_file(Path(str(theirs["file"]))).get(line, False) or (
                rule in PER_FILE and all(created_in_same_file(Path(str(theirs["file"]))).values())
            ):
                same_file[key] += 1
            else:
                misses[key].append(f"{Path(str(theirs['file'])).parent.name}:{line}")
        ours_unmatched.extend(f for findings in by_file.values() for f in findings if id(f) not in used)

    print(f"crashes: {len(crashes)}")
    for crash in crashes:
        print("  ", crash)
    print("\nagreement with squawk: squawk findings of a mapped rule that we also report, then the same share")
    print("leaving out squawk's findings on tables created earlier in the same file (squawk #349, #220):")
    for key in sorted(seen):
        share = matched[key] / seen[key]
        applicable = seen[key] - same_file[key]
        fair = matched[key] / applicable if applicable else 1.0
        print(
            f"  {key:<62} {matched[key]:>5}/{seen[key]:<5} {share:7.1%}   {matched[key]:>5}/{applicable:<5} {fair:7.1%}"
        )
    print("\nmisses (first 5 per rule):")
    for key, where in sorted(misses.items()):
        print(f"  {key}: {len(where)}: {', '.join(where[:5])}")

    rng = random.Random(options.seed)
    kinds = Counter(str(f["rule"]) for f in ours_unmatched)
    print(f"\nour findings with no squawk counterpart: {len(ours_unmatched)} ({dict(kinds.most_common(12))})")
    for finding in rng.sample(ours_unmatched, min(options.sample, len(ours_unmatched))):
        location = f"{Path(str(finding['file'])).parent.name}:{finding['line']}"
        print(f"  {location:<70} {finding['rule']} {str(finding['message'])[:110]}")

    every_file = [str(path) for files in files_by_folder.values() for path in files]
    ours_s = sum(median_seconds([BHQ, "lint", str(folder)], options.repeat) for folder in folders)
    theirs_s = median_seconds([SQUAWK_BIN, "--pg-version", "15", *every_file], options.repeat)
    print(f"\nspeed, whole processes, median of {options.repeat} (one bhq-migrate process per migrations folder):")
    print(f"  bhq-migrate lint: {ours_s:.2f} s   squawk: {theirs_s:.2f} s   ratio {ours_s / theirs_s:.1f}x")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
