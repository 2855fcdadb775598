"""Recall and precision of scan-queries on hand-labelled call sites (issue 10).

    python bench/scan_recall.py LABELS.tsv REPOSITORY_TREE [--jobs N]

``LABELS.tsv`` holds one call site on a soft-deletable model per line: ``path<TAB>line<TAB>P|N<TAB>note``,
``path`` relative to the tree, ``line`` where a finding would point (the model accessor, or a wrapper
call's model argument), ``P`` when the site really returns soft-deleted rows or hard-deletes on some path,
``N`` otherwise. Lines starting with ``#`` are comments (the first ones name the repository and commit);
``# package: DIR`` names the labelled folder.

The whole tree is scanned (so that wrappers and callers elsewhere are seen); a site counts as found when an
S001 or S002 is on its line, as a false positive when it is labelled ``N`` and one is, and "needs review"
(S007) counts as neither. Findings of those rules in the labelled folders on lines with no label are listed,
so that a missed site in the labels shows.
"""

from __future__ import annotations

import argparse
import os
from collections import defaultdict
from pathlib import Path

from bhq_migrate.scan import ScanConfig, scan

COUNTED = ("S001", "S002")
REVIEW = "S007"


def read_labels(path: Path) -> dict[tuple[str, int], tuple[str, str]]:
    labels: dict[tuple[str, int], tuple[str, str]] = {}
    for raw in path.read_text().splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        parts = raw.split("\t")
        file, line, label = parts[0], int(parts[1]), parts[2].strip()
        if label not in ("P", "N"):
            raise SystemExit(f"{path}: label must be P or N: {raw!r}")
        labels[(file, line)] = (label, parts[3] if len(parts) > 3 else "")
    return labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("labels", type=Path)
    parser.add_argument("tree", type=Path)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    labels = read_labels(args.labels)
    tree = args.tree.resolve()
    os.chdir(tree)  # findings are displayed relative to the current folder, like the labels
    result = scan([Path(".")], ScanConfig(jobs=args.jobs))
    rules_at: dict[tuple[str, int], set[str]] = defaultdict(set)
    for finding in result.findings:
        rules_at[(Path(finding.file).as_posix(), finding.line)].add(finding.rule)
    packages = [line.split(":", 1)[1].strip().rstrip("/") + "/" for line in args.labels.read_text().splitlines()
                if line.startswith("# package:")]
    tp = fp = fn = review = 0
    for (file, line), (label, note) in sorted(labels.items()):
        rules = rules_at.get((file, line), set())
        counted = bool(rules & set(COUNTED))
        state = "found" if counted else ("review" if REVIEW in rules else "silent")
        if label == "P" and counted:
            tp += 1
        elif label == "P":
            fn += 1
            review += state == "review"
            print(f"MISS ({state})\t{file}:{line}\t{note}")
        elif counted:
            fp += 1
            print(f"FALSE POSITIVE\t{file}:{line}\t{sorted(rules)}\t{note}")
        elif state == "review":
            review += 1
            print(f"REVIEW on N\t{file}:{line}\t{note}")
    for (file, line), rules in sorted(rules_at.items()):
        if any(file.startswith(p) for p in packages) and (file, line) not in labels and rules & {*COUNTED, REVIEW}:
            print(f"UNLABELLED\t{file}:{line}\t{sorted(rules)}")
    positives = tp + fn
    recall = tp / positives if positives else 1.0
    precision = tp / (tp + fp) if tp + fp else 1.0
    print(f"sites {len(labels)}  positives {positives}  found {tp}  false positives {fp}  "
          f"S007 on labelled sites {review}  recall {recall:.2f}  precision {precision:.2f}  "
          f"({result.seconds:.1f} s, {result.files_found} files)")


if __name__ == "__main__":
    main()
