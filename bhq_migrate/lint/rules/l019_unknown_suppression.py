"""L019 unknown-suppression: a ``bhq-migrate-ignore`` comment naming an unknown rule or giving no reason."""

from __future__ import annotations

from collections.abc import Iterator

from bhq_migrate.findings import Rule, Severity
from bhq_migrate.lint.context import Hit, LintContext, LintRule
from bhq_migrate.lint.suppressions import parse_suppressions
from bhq_migrate.plans import position


def check(context: LintContext) -> Iterator[Hit]:
    from bhq_migrate.lint.rules import RULES  # the registry imports this module

    known = [lint_rule.rule for lint_rule in RULES]
    for statement in context.statements:
        unit = statement.unit
        if unit.in_do_block:
            continue
        comments_start = unit.offset - len(unit.comments)
        for suppression in parse_suppressions(unit.comments):
            line, column = position(unit.text, comments_start + suppression.offset)
            unknown = [name for name in suppression.rules if not any(rule.matches(name) for rule in known)]
            if not suppression.rules:
                message = "bhq-migrate-ignore names no rule"
            elif unknown:
                message = f"bhq-migrate-ignore names unknown rule(s): {', '.join(unknown)}"
            elif not suppression.reason:
                message = "bhq-migrate-ignore gives no reason (`-- bhq-migrate-ignore <rule> -- <reason>`)"
            else:
                continue
            yield Hit(message + "; it suppresses nothing", file=unit.file, line=line, column=column)


RULE = LintRule(
    Rule(
        id="L019",
        name="unknown-suppression",
        title="Suppression comment naming an unknown rule or lacking a reason",
        severity=Severity.WARNING,
        rationale="A misspelt rule name silently suppresses nothing, and a suppression without a reason "
        "leaves the next reader guessing why a warning was accepted.",
        fix="Write `-- bhq-migrate-ignore <rule-id or name> -- <why this is acceptable>` right above the statement.",
    ),
    check,
)
