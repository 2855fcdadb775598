"""Recall and precision of scan-queries on hand-labelled call sites (issue 10).

    python bench/scan_recall.py REPOSITORY_TREE LABELS.tsv [LABELS.tsv ...] [--jobs N]

Each ``LABELS.tsv`` holds one call site on a soft-deletable model per line: ``path<TAB>line<TAB>P|N<TAB>note``,
``path`` relative to the tree, ``line`` where a finding would point (the model accessor, or a wrapper
call's model argument), ``P`` when the site really returns soft-deleted rows or hard-deletes on some path,
``N`` otherwise. Lines starting with ``#`` are comments (the first ones name the repository and commit);
``# package: DIR`` names the labelled folder with its subfolders, ``# folder: DIR`` one whose files directly
in it only are labelled.

The whole tree is scanned once (so that wrappers and callers elsewhere are seen); a site counts as found when
an S001 or S002 is on its line, as a false positive when it is labelled ``N`` and one is, and "needs review"
(S007) counts as neither. Findings of those rules in a labelled folder on lines with no label are listed, so
that a site missing from the labels shows.
"""

from __future__ import annotations

import argparse
import os
from collections import defaultdict
from pathlib import Path

from bhq_migrate.scan import ScanConfig, scan

COUNTED = frozenset({"S001", "S002"})
REVIEW = "S007"


def read_labels(path: Path) -> tuple[dict[tuple[str, int], tuple[str, str]], list[tuple[str, bool]]]:
    """The labels of one file, and the folders it labels (folder, with its subfolders?)."""
    labels: dict[tuple[str, int], tuple[str, str]] = {}
    packages: list[tuple[str, bool]] = []
    for raw in path.read_text().splitlines():
        if raw.startswith(("# package:", "# folder:")):
            packages.append((raw.split(":", 1)[1].strip().rstrip("/"), raw.startswith("# package:")))
        if not raw.strip() or raw.startswith("#"):
            continue
        parts = raw.split("\t")
        file, line, label = parts[0], int(parts[1]), parts[2].strip()
        if label not in ("P", "N"):
            raise SystemExit(f"{path}: label must be P or N: {raw!r}")
        labels[(file, line)] = (label, parts[3] if len(parts) > 3 else "")
    return labels, packages


def in_packages(file: str, packages: list[tuple[str, bool]]) -> bool:
    parent = str(Path(file).parent)
    return any(parent == folder or (recursive and parent.startswith(folder + "/")) for folder, recursive in packages)


def report(name: str, labels: dict[tuple[str, int], tuple[str, str]], packages: list[tuple[str, bool]],
           rules_at: dict[tuple[str, int], set[str]]) -> tuple[int, int, int, int]:
    """Print every miss, false positive and unlabelled finding; return (sites, true positives, misses,
    false positives)."""
    tp = fp = fn = review = 0
    for (file, line), (label, note) in sorted(labels.items()):
        rules = rules_at.get((file, line), set())
        counted = bool(rules & COUNTED)
        if label == "P" and counted:
            tp += 1
        elif label == "P":
            fn += 1
            state = "S007" if REVIEW in rules else "no finding"
            review += REVIEW in rules
            print(f"  MISS ({state})  {file}:{line}  {note}")
        elif counted:
            fp += 1
            print(f"  FALSE POSITIVE  {file}:{line}  {sorted(rules)}  {note}")
        elif REVIEW in rules:
            review += 1
            print(f"  S007 on a negative  {file}:{line}  {note}")
    for (file, line), rules in sorted(rules_at.items()):
        if in_packages(file, packages) and (file, line) not in labels and rules & {*COUNTED, REVIEW}:
            print(f"  UNLABELLED  {file}:{line}  {sorted(rules)}")
    recall = f"{tp / (tp + fn):.2f}" if tp + fn else "n/a"
    precision = f"{tp / (tp + fp):.2f}" if tp + fp else "n/a"
    print(f"{name}: sites {len(labels)}  positives {tp + fn}  found {tp}  false positives {fp}  "
          f"S007 on labelled sites {review}  recall {recall}  precision {precision}")
    return len(labels), tp, fn, fp


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("tree", type=Path)
    parser.add_argument("labels", type=Path, nargs="+")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--schema", type=Path, action="append", default=[],
                        help="the schema(s) to use instead of those the scan discovers")
    args = parser.parse_args()
    label_files = [(path.name, *read_labels(path)) for path in args.labels]
    schemas = tuple(path.resolve() for path in args.schema)
    os.chdir(args.tree.resolve())  # findings are displayed relative to the current folder, like the labels
    result = scan([Path(".")], ScanConfig(jobs=args.jobs, schemas=schemas))
    rules_at: dict[tuple[str, int], set[str]] = defaultdict(set)
    for finding in result.findings:
        rules_at[(Path(finding.file).as_posix(), finding.line)].add(finding.rule)
    print(f"scanned {result.files_found} files in {result.seconds:.1f} s")
    totals = [0, 0, 0, 0]
    for name, labels, packages in label_files:
        for i, value in enumerate(report(name, labels, packages, rules_at)):
            totals[i] += value
    sites, tp, fn, fp = totals
    recall = f"{tp / (tp + fn):.2f}" if tp + fn else "n/a (no positive)"
    precision = f"{tp / (tp + fp):.2f}" if tp + fp else "n/a (nothing reported)"
    print(f"all: sites {sites}  positives {tp + fn}  found {tp}  false positives {fp}  "
          f"recall {recall}  precision {precision}")


if __name__ == "__main__":
    main()
