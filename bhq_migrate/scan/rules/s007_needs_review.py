"""S007 needs-review: a ``where`` (or the model itself) that cannot be resolved statically.

Problem: the where comes from a caller's argument, an import or a run-time expression, or the model is
picked at run time (``client[model]``). The scan cannot prove it excludes deleted rows or other tenants;
passing it silently would hide exactly the queries grep also misses.

Solution: review the call. Build the where locally (``activeOnly(...)``), or suppress with a reason once
reviewed: ``// bhq-migrate-ignore needs-review -- caller always passes activeOnly()``.
"""

from bhq_migrate.findings import Rule, Severity

RULE = Rule(
    id="S007",
    name="needs-review",
    title="Query filter cannot be resolved statically; review it by hand",
    severity=Severity.WARNING,
    rationale="The where clause (or the model) comes from somewhere the scan cannot see, so it cannot prove "
    "the query excludes soft-deleted rows or other tenants.",
    fix="Build the where in the same function (e.g. with activeOnly()), or review it and suppress with "
    "'// bhq-migrate-ignore needs-review -- <reason>'.",
)
