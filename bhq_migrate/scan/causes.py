"""One answer per cause: "needs review" findings (S007) that depend on the same thing are reported once.

A where the scan cannot resolve often fails for one reason shared by many queries: a helper imported from a
package it cannot read (``getLinkWhereInput()`` used by 30 queries), an inherited ``this.method``, or the
parameter of one exported function that several reads pass on. Reporting each query apart hides that one
decision settles them all. Here the findings that carry the same :class:`~bhq_migrate.scan.model.ReviewCause`
become one finding at the first call site, with the count, every call site, and how to settle it:

- a helper or imported value: ``--scoping-helper NAME`` when it adds the soft-delete filter (its uses pass),
  ``--unscoped-helper NAME`` when it does not (its uses become S001 unscoped reads);
- a parameter: add the filter inside the function, or review its callers.

The grouped finding's fingerprint is the cause's (line- and count-independent), so a baselined cause stays
baselined as call sites come and go.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import replace

from bhq_migrate.errors import ConfigError
from bhq_migrate.scan.config import DEFAULT_SCOPING_HELPERS, ScanConfig
from bhq_migrate.scan.model import ReviewCause, ReviewSite, ScanFinding
from bhq_migrate.scan.rules import s007_needs_review

SHOWN_SITES = 10
"""Call sites named in the message (all of them are in ``sites``, the JSON and the SARIF related locations)."""


def declared_helpers(config: ScanConfig) -> ScanConfig:
    """The settings with the helpers checked: a name declared both as a scoping and as an unscoped helper is an
    error, except a default scoping helper (``activeOnly``), which ``--unscoped-helper`` takes out."""
    unscoped = set(config.unscoped_helpers)
    both = sorted((set(config.scoping_helpers) - set(DEFAULT_SCOPING_HELPERS)) & unscoped)
    if both:
        raise ConfigError(f"declared both as a scoping and as an unscoped helper: {', '.join(both)}")
    if unscoped & set(config.scoping_helpers):
        config = replace(config, scoping_helpers=tuple(h for h in config.scoping_helpers if h not in unscoped))
    return config


def settle_hint(cause: ReviewCause, soft_delete_field: str = "deletedAt") -> str:
    """How to settle every query that depends on ``cause`` at once."""
    if cause.kind == "parameter":
        return (f"add the {soft_delete_field} filter inside the function (e.g. {{ ...{cause.name}, "
                f"{soft_delete_field}: null }}), or review its callers and suppress with a reason")
    return (f"if it adds {soft_delete_field}: null, pass --scoping-helper {cause.name}; if it does not, pass "
            f"--unscoped-helper {cause.name} (its uses then become S001 unscoped reads)")


def describe(cause: ReviewCause) -> str:
    if cause.kind == "parameter":
        return f"parameter '{cause.name}' {cause.origin}"
    return f"helper {cause.name} ({cause.origin}), which the scan could not follow"


def _site(finding: ScanFinding) -> ReviewSite:
    return ReviewSite(file=finding.file, line=finding.line, column=finding.column, model=finding.model,
                      method=finding.method)


def _grouped(cause: ReviewCause, members: list[ScanFinding], soft_delete_field: str) -> ScanFinding:
    first = members[0]
    sites = tuple(_site(f) for f in members)
    severity = max((f.severity for f in members), key=lambda s: s.rank)
    models = {f.model for f in members}
    methods = {f.method for f in members}
    basis = cause.identity if cause.kind == "helper" else f"{first.file}|{cause.identity}"
    digest = hashlib.sha256(f"{first.rule}|cause|{basis}".encode()).hexdigest()[:20]
    hint = settle_hint(cause, soft_delete_field)
    if len(members) == 1:
        message = f"{first.message}; it depends on {describe(cause)}; {hint}"
    else:
        shown = ", ".join(f"{s.file}:{s.line}" for s in sites[:SHOWN_SITES])
        more = f" and {len(sites) - SHOWN_SITES} more" if len(sites) > SHOWN_SITES else ""
        message = f"{len(members)} queries cannot be checked for one reason, {describe(cause)}: {shown}{more}; {hint}"
    return first.model_copy(update={
        "severity": severity, "message": message, "sites": sites, "fingerprint": digest,
        "cause": cause.model_copy(update={"settle": hint}),
        "model": first.model if len(models) == 1 else None, "method": first.method if len(methods) == 1 else None,
    })


def group_by_cause(findings: Iterable[ScanFinding], soft_delete_field: str = "deletedAt") -> list[ScanFinding]:
    """The findings with every S007 that names a cause replaced by one finding per cause, at the place of the
    first call site (findings are expected sorted by file and line)."""
    kept: list[ScanFinding] = []
    groups: dict[str, tuple[ReviewCause, list[ScanFinding]]] = {}
    order: list[str] = []
    for finding in findings:
        cause = finding.cause
        if finding.rule != s007_needs_review.RULE.id or cause is None:
            kept.append(finding)
            continue
        if cause.key not in groups:
            groups[cause.key] = (cause, [])
            order.append(cause.key)
        groups[cause.key][1].append(finding)
    kept.extend(_grouped(*groups[key], soft_delete_field) for key in order)
    return sorted(kept, key=lambda f: (f.file, f.line, f.column, f.rule))
