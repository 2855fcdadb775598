"""S009 unknown-suppression: a ``bhq-migrate-ignore`` comment naming an unknown rule or giving no reason.

Problem: a typo in a suppression silently suppresses nothing, and a suppression without a reason cannot be
reviewed. The format is ``// bhq-migrate-ignore <rule-id> -- <reason>`` (``S001`` or ``unscoped-read``).

Solution: use a rule ID or name from the rule table and give the reason after ``--``.
"""

from bhq_migrate.findings import Rule, Severity

RULE = Rule(
    id="S009",
    name="unknown-suppression",
    title="Suppression comment names an unknown rule or gives no reason",
    severity=Severity.WARNING,
    rationale="A misspelt rule id suppresses nothing, and a suppression without a reason cannot be reviewed.",
    fix="Write '// bhq-migrate-ignore <rule-id> -- <reason>' with a rule id or name from the rule table.",
)
