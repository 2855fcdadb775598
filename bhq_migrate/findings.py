"""The shared vocabulary of every analysis: a :class:`Rule` and the :class:`Finding` it produces.

lint (plans), scan (TypeScript sources) and verify's audit rules all report through these, so the
console, JSON and SARIF renderers in :mod:`bhq_migrate.report` are written once.
"""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, ConfigDict


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"info": 0, "warning": 1, "error": 2}[self.value]

    def at_least(self, threshold: Severity) -> bool:
        return self.rank >= threshold.rank


class Rule(BaseModel):
    """One documented rule: a stable ``id`` (``L002``), a readable ``name`` (``changing-column-type``),
    a one-line ``title``, a default ``severity``, the ``rationale`` (problem) and the ``fix`` (solution)."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    title: str
    severity: Severity
    rationale: str
    fix: str
    enabled: bool = True
    """Whether the rule runs unless the configuration says otherwise (opt-in rules are ``False``)."""

    def matches(self, reference: str) -> bool:
        """Suppressions and filters may name a rule by id or by name."""
        return reference.strip().lower() in {self.id.lower(), self.name.lower()}


class Finding(BaseModel):
    """One problem at one place. ``line`` and ``column`` are 1-based."""

    model_config = ConfigDict(frozen=True)

    file: str
    line: int
    column: int
    rule: str
    severity: Severity
    message: str
    help: str = ""

    def location(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"
