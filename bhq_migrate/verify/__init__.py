"""verify: is the live database in the state the plans promise?

catalog snapshot (``snapshot.py``, ``catalog/*.sql``) -> declared expectations (``expectations.py``,
``checks/``) and built-in audit rules (``audits/``) -> results (``results.py``), orchestrated by
``engine.py``. Library entry point: :func:`verify`.
"""

from bhq_migrate.verify.engine import VerifyOptions, verify
from bhq_migrate.verify.results import CheckResult, Counts, Status, VerifyReport

__all__ = ["CheckResult", "Counts", "Status", "VerifyOptions", "VerifyReport", "verify"]
