"""Agreement with squawk: every squawk finding that applies has a matching bhq-migrate finding.

squawk (``squawk-cli`` on PyPI) lints each file on its own, assuming (``--assume-in-transaction``) that a
migration tool wraps it in a transaction, as bhq-migrate's runner does. bhq-migrate lints the same file on
its own too, keeping suppressed findings (the shipped plans suppress their deliberate retypes). The rule
mapping, and why some squawk rules do not apply, is documented in docs/lint.md; this test enforces it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pglast import ast, parser

from bhq_migrate.lint import LintFinding, LintOptions, lint_paths
from bhq_migrate.lint.mapping import SQUAWK as SQUAWK_RULES
from bhq_migrate.lint.mapping import SQUAWK_PARTIAL
from tests.lint.helpers import FIXTURES, PLANS_DIR

SQUAWK = shutil.which("squawk") or shutil.which("squawk", path=str(Path(sys.executable).parent))

# squawk rule -> bhq-migrate rule id; None: does not apply to this product (reason in docs/lint.md).
# Partial mappings (a deliberately narrower rule) are not required to agree.
SQUAWK_TO_BHQ: dict[str, str | None] = {
    name: (None if name in SQUAWK_PARTIAL else ours) for name, (ours, _note) in SQUAWK_RULES.items()
}
# Rules squawk reports once per file; bhq-migrate reports them once per file as well, not on the same line.
PER_FILE = {"require-lock-timeout", "require-statement-timeout"}

FILES = [FIXTURES / "seed_phase1.sql", FIXTURES / "seed_phase2.sql", *sorted(PLANS_DIR.glob("*.sql"))]

pytestmark = pytest.mark.skipif(SQUAWK is None, reason="squawk (pip install squawk-cli) is not installed")


def squawk_findings(path: Path) -> list[dict[str, object]]:
    assert SQUAWK is not None
    completed = subprocess.run(
        [SQUAWK, "--reporter", "json", "--assume-in-transaction", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode in (0, 1), completed.stderr
    return list(json.loads(completed.stdout or "[]"))


def locks_a_table_it_did_not_create(path: Path) -> bool:
    """squawk's timeout rules apply only when the file locks a table other sessions may be using."""
    statements: list[ast.Node] = []
    for piece in path.read_text().split(";"):
        try:
            statements.extend(raw.stmt for raw in parser.parse_sql(piece))
        except parser.ParseError:
            continue
    created = {s.relation.relname for s in statements if isinstance(s, ast.CreateStmt)}
    touched = {s.relation.relname for s in statements if isinstance(s, (ast.AlterTableStmt, ast.IndexStmt))}
    return bool(touched - created)


def bhq_findings(path: Path) -> list[LintFinding]:
    return lint_paths([path], LintOptions(keep_suppressed=True, enable=("all",)))


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_every_applicable_squawk_finding_has_a_bhq_finding(path: Path) -> None:
    ours = bhq_findings(path)
    missing = []
    for theirs in squawk_findings(path):
        rule = str(theirs["rule_name"])
        assert rule in SQUAWK_TO_BHQ, f"squawk rule {rule} is not in the mapping (docs/lint.md)"
        mapped = SQUAWK_TO_BHQ[rule]
        if mapped is None:
            continue
        line = int(str(theirs["line"])) + 1  # squawk's JSON lines are 0-based
        if rule in PER_FILE:
            if locks_a_table_it_did_not_create(path) and not any(f.rule == mapped for f in ours):
                missing.append(f"{rule} (file)")
        elif rule == "syntax-error":
            if not any(f.rule == mapped for f in ours):
                missing.append(f"{rule} line {line}")
        elif not any(f.rule == mapped and f.line == line for f in ours):
            missing.append(f"{rule} line {line}: {theirs['message']}")
    assert missing == []


def test_the_first_squawk_syntax_error_is_on_our_syntax_error_line() -> None:
    path = FIXTURES / "seed_phase1.sql"
    first = min(int(str(f["line"])) + 1 for f in squawk_findings(path) if f["rule_name"] == "syntax-error")
    assert [f.line for f in bhq_findings(path) if f.rule == "L000"] == [first]


def test_mapping_is_documented() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "lint.md").read_text()
    assert all(f"`{rule}`" in docs for rule in SQUAWK_TO_BHQ)
