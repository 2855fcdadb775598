"""What verify returns: one :class:`CheckResult` per declared expectation or audit finding, in a
:class:`VerifyReport`. Plain pydantic data; the renderers in :mod:`bhq_migrate.report` turn it into a
console report, JSON, JUnit XML or SARIF."""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, ConfigDict, Field

from bhq_migrate.findings import Rule, Severity


class Status(str, Enum):
    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    SKIP = "skip"
    """Not evaluated because what it is about is missing; that missing object has its own failure."""


class Verdict(BaseModel):
    """What one check module says about one expectation (the engine adds the identity)."""

    model_config = ConfigDict(frozen=True)

    status: Status
    message: str
    expected: str | None = None
    found: str | None = None
    missing: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()
    fix_sql: str | None = None


class CheckResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    """Stable identity, e.g. ``001/col_type_is/public.Invoice.amountCents`` or ``V001/public.Invoice.amountCents``."""
    kind: str
    """pgTAP-style check kind (``col_type_is``) or the audit rule's name (``money-column-not-bigint``)."""
    rule_id: str | None = None
    """``V001``... for built-in audit rules; None for declared expectations."""
    plan: str | None = None
    """The plan whose checks file declared the expectation; None for audits."""
    table: str | None = None
    """``schema.table`` the check is about, for grouping (None for schema-level checks)."""
    object: str
    status: Status
    severity: Severity = Severity.ERROR
    message: str
    expected: str | None = None
    found: str | None = None
    missing: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()
    fix_sql: str | None = None
    source: str | None = None
    """The checks file that declared it (audits: None)."""
    key_path: str | None = None
    line: int = 1
    """1-based line of the declaration in ``source`` (best effort; 1 when unknown)."""

    def failed(self, strict: bool = False) -> bool:
        return self.status is Status.FAIL or (strict and self.status is Status.WARN)


class Counts(BaseModel):
    passed: int = 0
    failed: int = 0
    warnings: int = 0
    skipped: int = 0


class VerifyReport(BaseModel):
    database: str
    """Where verify looked, password-free (``user@host:port/db``)."""
    plans: list[str]
    """The plan ids whose expectations were checked."""
    plan_selection: str
    """Why those plans: ``history``, ``default`` (no history table: every non-optional plan) or ``option``."""
    strict: bool = False
    schemas: list[str] = Field(default_factory=list)
    tables: list[str] = Field(default_factory=list)
    results: list[CheckResult] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    """The audit rules that ran (documentation for SARIF and JSON consumers)."""
    round_trips: int = 0
    """Statements sent to the server to read the catalog (constant, whatever the database size)."""
    elapsed_ms: float = 0.0

    @property
    def counts(self) -> Counts:
        counts = Counts()
        for result in self.results:
            if result.status is Status.PASS:
                counts.passed += 1
            elif result.status is Status.FAIL:
                counts.failed += 1
            elif result.status is Status.WARN:
                counts.warnings += 1
            else:
                counts.skipped += 1
        return counts

    @property
    def failures(self) -> list[CheckResult]:
        return [result for result in self.results if result.failed(self.strict)]

    @property
    def ok(self) -> bool:
        """True when nothing failed (and, under ``strict``, nothing warned)."""
        return not self.failures
