"""S008 parse-error: a source file that does not parse cleanly, or was skipped (too large, minified,
not readable).

Problem: tree-sitter recovers from syntax errors, but queries near the error may be missed; skipped files
are not checked at all. Reported for information; the scan goes on.

Solution: fix the syntax, or exclude generated/bundled files with ``--exclude``.
"""

from bhq_migrate.findings import Rule, Severity

RULE = Rule(
    id="S008",
    name="parse-error",
    title="Source file did not parse cleanly or was skipped",
    severity=Severity.INFO,
    rationale="Queries in a file that does not parse (or is too large or minified to scan) may be missed.",
    fix="Fix the syntax error, or exclude generated or bundled files with --exclude.",
)
