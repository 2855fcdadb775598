"""Baselines: record today's findings so CI fails only on new ones.

A fingerprint is a hash of the rule, file, model, method, the offending line's text (whitespace
collapsed) and how many identical findings precede it in the file. The line number is not part of it, so
code moving up or down keeps its fingerprint; changing the offending line makes it a new finding.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from bhq_migrate.errors import ConfigError
from bhq_migrate.scan.model import ScanFinding

BASELINE_VERSION = 1


def _normalise(line: str) -> str:
    return " ".join(line.split())


def fingerprint_findings(findings: list[ScanFinding], line_text: dict[tuple[str, int], str]) -> list[ScanFinding]:
    """Return the findings with ``fingerprint`` set. ``line_text`` maps (file, line) to its source text."""
    seen: Counter[str] = Counter()
    result = []
    for finding in findings:
        basis = "|".join([finding.rule, finding.file, finding.model or "", finding.method or "",
                          _normalise(line_text.get((finding.file, finding.line), ""))])
        occurrence = seen[basis]
        seen[basis] += 1
        digest = hashlib.sha256(f"{basis}|{occurrence}".encode()).hexdigest()[:20]
        result.append(finding.model_copy(update={"fingerprint": digest}))
    return result


def write_baseline(path: Path, findings: Iterable[ScanFinding]) -> int:
    entries = sorted(
        ({"fingerprint": f.fingerprint, "rule": f.rule, "file": f.file, "message": f.message} for f in findings),
        key=lambda e: (e["file"], e["rule"], e["fingerprint"]),
    )
    try:
        path.write_text(json.dumps({"version": BASELINE_VERSION, "findings": entries}, indent=2) + "\n",
                        encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write baseline {path}: {exc}") from None
    return len(entries)


def read_baseline(path: Path) -> set[str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"baseline {path} is not valid UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"cannot read baseline {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"baseline {path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise ConfigError(f"baseline {path} has no 'findings' list")
    return {str(entry.get("fingerprint")) for entry in data["findings"] if isinstance(entry, dict)}


def filter_baseline(findings: list[ScanFinding], known: set[str]) -> tuple[list[ScanFinding], int]:
    """Drop findings already in the baseline; return the rest and how many were dropped."""
    kept = [f for f in findings if f.fingerprint not in known]
    return kept, len(findings) - len(kept)
