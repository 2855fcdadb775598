"""gate: one CI verdict over schema and code (``verify --source``, ``apply --verify --source``).

The only package that knows both :mod:`bhq_migrate.verify` and :mod:`bhq_migrate.scan`; they stay independent
of each other (an import-linter contract in pyproject.toml). ``engine.py`` runs both and holds the combined
:class:`GateReport`; :mod:`bhq_migrate.report.gate_formats` renders it as JSON, SARIF and JUnit.
"""

from bhq_migrate.gate.engine import GateReport, run_gate

__all__ = ["GateReport", "run_gate"]
