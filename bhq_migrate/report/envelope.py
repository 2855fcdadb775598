"""The one JSON shape every command prints with ``--format json`` (described by ``schema/output.schema.json``).

``{"tool": "bhq-migrate", "version", "command", "ok", "summary", ...payload}`` on success or findings, and
``{..., "ok": false, "summary": {}, "error": {"kind", "message"}}`` when the command could not run. A CI job
reads ``ok`` and ``summary`` without knowing which command it ran.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any

from bhq_migrate import __version__
from bhq_migrate.findings import Finding, Severity

TOOL = "bhq-migrate"
SCHEMA_RESOURCE = "output.schema.json"


def envelope(command: str, ok: bool, summary: Mapping[str, Any], **payload: Any) -> dict[str, Any]:
    """The success (or findings) object; ``payload`` keys may not shadow the envelope's own."""
    clash = {"tool", "version", "command", "ok", "summary", "error"} & set(payload)
    if clash:
        raise ValueError(f"payload may not use the envelope keys {sorted(clash)}")
    return {"tool": TOOL, "version": __version__, "command": command, "ok": ok, "summary": dict(summary),
            **payload}


def error_envelope(command: str, kind: str, message: str, **payload: Any) -> dict[str, Any]:
    """What a command prints in JSON mode when it could not run (exit code 2) or refused (exit code 1)."""
    body = envelope(command, False, {}, **payload)
    body["error"] = {"kind": kind, "message": message}
    return body


def severity_counts(findings: Iterable[Finding]) -> dict[str, int]:
    """``{"error": n, "warning": n, "info": n}``: the summary of every findings-producing command."""
    counts = {severity.value: 0 for severity in Severity}
    for finding in findings:
        counts[finding.severity.value] += 1
    return counts


def dumps(body: Mapping[str, Any]) -> str:
    return json.dumps(body, indent=2, ensure_ascii=False)


def output_schema() -> dict[str, Any]:
    """The JSON Schema shipped in the package (``bhq_migrate/schema/output.schema.json``)."""
    text = resources.files("bhq_migrate.schema").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded
