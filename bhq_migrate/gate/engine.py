"""Run the catalog checks and the source scan in one invocation; one verdict over both."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bhq_migrate.findings import Severity
from bhq_migrate.scan import ScanConfig, ScanResult, scan
from bhq_migrate.scan.baseline import read_baseline
from bhq_migrate.verify import VerifyOptions, VerifyReport, verify


@dataclass(frozen=True)
class GateReport:
    """The schema half (a :class:`VerifyReport`) and the code half (a :class:`ScanResult` of ``sources``).

    ``fail_on`` is the code findings' threshold (the scan's, ``error`` unless configured); the schema half
    fails as ``verify`` does (failures, and warnings under ``--strict``).
    """

    schema: VerifyReport
    code: ScanResult
    sources: tuple[str, ...]
    fail_on: Severity = Severity.ERROR

    @property
    def schema_ok(self) -> bool:
        return self.schema.ok

    @property
    def code_ok(self) -> bool:
        return not self.code.failed(self.fail_on)

    @property
    def ok(self) -> bool:
        return self.schema_ok and self.code_ok

    def summary(self) -> dict[str, Any]:
        """``{"schema": {passed, failed, warnings, skipped}, "code": {error, warning, info, files}}``."""
        code: dict[str, Any] = self.code.counts()
        code.update(files=self.code.files_found, fail_on=self.fail_on.value, ok=self.code_ok)
        schema: dict[str, Any] = self.schema.counts.model_dump()
        schema["ok"] = self.schema_ok
        return {"schema": schema, "code": code}


def run_gate(
    url: str,
    options: VerifyOptions,
    sources: Sequence[Path],
    config: ScanConfig,
    baseline: Path | None = None,
) -> GateReport:
    """Scan ``sources`` first (no database needed: a bad path fails before connecting), then verify ``url``.

    ``baseline``: a scan baseline file (``scan-queries --baseline``); its findings are not reported. Raises
    the scan's and verify's :class:`~bhq_migrate.errors.BhqError` s unchanged.
    """
    known = read_baseline(baseline) if baseline is not None else None
    code = scan(list(sources), config, known)
    schema = verify(url, options)
    return GateReport(schema=schema, code=code, sources=tuple(str(s) for s in sources), fail_on=config.fail_on)
