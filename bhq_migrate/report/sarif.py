"""SARIF 2.1.0 for code-scanning UIs (GitHub, GitLab, VS Code's SARIF viewer).

Three things make alerts trackable across commits:

- every ``artifactLocation.uri`` is relative, with a ``uriBaseId`` that ``run.originalUriBaseIds`` resolves:
  ``%SRCROOT%`` is the directory the command ran from (the repository in CI), ``BHQ_MIGRATE_DATA`` the files
  shipped inside the package (the default plans and checks);
- a finding about the database, with no file, carries a ``logicalLocation`` (``schema.table.object``);
- every result has ``partialFingerprints``: the caller's own fingerprint when it has one (the scan's is
  line-independent; verify's is the check's stable id), else a hash of the rule, the file and the *text* of the
  flagged line, so inserting lines above a finding keeps its identity.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from bhq_migrate import __version__
from bhq_migrate.findings import Finding, Rule, Severity

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
PACKAGE_DATA = "BHQ_MIGRATE_DATA"
FINGERPRINT_KEY = "bhqMigrate/v1"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def _base_uri(directory: Path) -> str:
    uri = directory.resolve().as_uri()
    return uri if uri.endswith("/") else uri + "/"


def _all_bases(root: Path, bases: Mapping[str, Path] | None) -> dict[str, Path]:
    """``%SRCROOT%`` first (the most specific for a repository's own files), then the caller's, then the package."""
    return {SRCROOT: root.resolve(), **{k: v.resolve() for k, v in (bases or {}).items()}, PACKAGE_DATA: _PACKAGE_ROOT}


def artifact_location(file: str, root: Path, bases: Mapping[str, Path] | None = None) -> dict[str, str]:
    """``{"uri": relative, "uriBaseId": ...}`` for ``file``; an absolute ``file:`` uri only for a file under none
    of the bases (``root``, the caller's ``bases`` such as the checks directory, the installed package)."""
    path = Path(file)
    if not path.is_absolute():
        return {"uri": path.as_posix(), "uriBaseId": SRCROOT}
    resolved = path.resolve()
    for base_id, base in _all_bases(root, bases).items():
        try:
            return {"uri": resolved.relative_to(base).as_posix(), "uriBaseId": base_id}
        except ValueError:
            continue
    return {"uri": resolved.as_uri()}


def _line_text(file: str, line: int, root: Path, cache: dict[str, list[str]]) -> str:
    lines = cache.get(file)
    if lines is None:
        path = Path(file) if Path(file).is_absolute() else root / file
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            lines = []
        cache[file] = lines
    return " ".join(lines[line - 1].split()) if 0 < line <= len(lines) else ""


def content_fingerprints(findings: Sequence[Finding], root: Path) -> list[str]:
    """Line-number-free fingerprints: rule, file, the flagged line's text (whitespace-normalised), the message,
    and an occurrence counter for identical lines in one file."""
    cache: dict[str, list[str]] = {}
    seen: Counter[str] = Counter()
    prints = []
    for finding in findings:
        text = _line_text(finding.file, finding.line, root, cache) if finding.file else ""
        key = "\0".join((finding.rule, finding.file.replace("\\", "/"), text, finding.message))
        seen[key] += 1
        prints.append(hashlib.sha256(f"{key}\0{seen[key]}".encode()).hexdigest()[:20])
    return prints


def _logical(name: str) -> dict[str, str]:
    parts = name.split(".")
    kind = {1: "namespace", 2: "type"}.get(len(parts), "member")
    return {"name": parts[-1], "fullyQualifiedName": name, "kind": kind}


def _descriptors(rules: Sequence[Rule], used_ids: Iterable[str]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    by_id = {rule.id: rule for rule in rules}
    descriptors: list[dict[str, Any]] = []
    index_of: dict[str, int] = {}
    for rule_id in used_ids:
        described = by_id.get(rule_id)
        index_of[rule_id] = len(descriptors)
        descriptor: dict[str, Any] = {"id": rule_id}
        if described is not None:
            descriptor.update(
                name=described.name,
                shortDescription={"text": described.title},
                fullDescription={"text": described.rationale},
                help={"text": described.fix},
                defaultConfiguration={"level": _LEVEL[described.severity]},
            )
        descriptors.append(descriptor)
    return descriptors, index_of


def to_sarif(
    findings: Iterable[Finding],
    rules: Sequence[Rule],
    *,
    tool: str = "bhq-migrate",
    root: Path | None = None,
    fingerprints: Sequence[str | None] | None = None,
    logical_locations: Sequence[str | None] | None = None,
    bases: Mapping[str, Path] | None = None,
) -> dict[str, Any]:
    """One run; ``ruleId`` is the rule's id, and every rule used is described in ``tool.driver.rules``.

    ``fingerprints`` and ``logical_locations`` run parallel to ``findings`` (``None`` entries: compute from the
    file's content / no logical location). A finding whose ``file`` is empty has no physical location.
    ``bases``: more ``uriBaseId`` s for files outside ``root`` (verify: the checks and plans directories).
    """
    findings = list(findings)
    root = root or Path.cwd()
    by_reference: dict[str, Rule] = {}
    for rule in rules:
        by_reference[rule.id] = rule
        by_reference[rule.name] = rule

    def rule_id_of(finding: Finding) -> str:
        return by_reference[finding.rule].id if finding.rule in by_reference else finding.rule

    descriptors, index_of = _descriptors(list(by_reference.values()), sorted({rule_id_of(f) for f in findings}))
    computed = content_fingerprints(findings, root)
    given = list(fingerprints) if fingerprints is not None else [None] * len(findings)
    logical = list(logical_locations) if logical_locations is not None else [None] * len(findings)
    results = []
    for finding, own_print, content_print, logical_name in zip(findings, given, computed, logical, strict=True):
        rule_id = rule_id_of(finding)
        message = finding.message + (f"\n{finding.help}" if finding.help else "")
        location: dict[str, Any] = {}
        if finding.file:
            location["physicalLocation"] = {
                "artifactLocation": artifact_location(finding.file, root, bases),
                "region": {"startLine": max(finding.line, 1), "startColumn": max(finding.column, 1)},
            }
        if logical_name:
            location["logicalLocations"] = [_logical(logical_name)]
        results.append(
            {
                "ruleId": rule_id,
                "ruleIndex": index_of[rule_id],
                "level": _LEVEL[finding.severity],
                "message": {"text": message},
                "locations": [location] if location else [],
                "partialFingerprints": {FINGERPRINT_KEY: own_print or content_print},
            }
        )
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": tool,
                        "version": __version__,
                        "informationUri": "https://github.com/breederhq/bhq-migrate",
                        "rules": descriptors,
                    }
                },
                "originalUriBaseIds": {key: {"uri": _base_uri(path)} for key, path in _all_bases(root, bases).items()},
                "results": results,
            }
        ],
    }
