"""S008 parse-error: a source file that does not parse cleanly, or was skipped (too large, minified,
not readable).

Problem: tree-sitter recovers from syntax errors, but queries near the error may be missed; skipped files
are not checked at all. Valid TypeScript that the grammar cannot read (JSX text with ``&``) is reported the
same way, as "could not be parsed", never as a syntax error of the project. Reported for information; the
scan goes on.

Solution: fix the syntax, or exclude generated/bundled files with ``--exclude``.
"""

from bhq_migrate.findings import Rule, Severity

RULE = Rule(
    id="S008",
    name="parse-error",
    title="Source file did not parse cleanly or was skipped",
    severity=Severity.INFO,
    rationale="Queries in a file that does not parse (or is too large or minified to scan) may be missed.",
    fix="If it is a syntax error, fix it; if it is valid TypeScript the grammar cannot read (JSX text with '&'), "
    "review the queries near that line by hand; exclude generated or bundled files with --exclude.",
)
