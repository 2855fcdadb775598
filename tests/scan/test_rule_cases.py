"""Each rule as data: one source that passes and one that fails it (the fixture files hold the traps)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bhq_migrate.scan import RULES
from tests.scan.helpers import scan_one

# rule id -> (passing source, failing source); `prisma` is a client, Invoice/Item are soft-deletable and
# Invoice is tenant-owned (tests/scan/helpers.py SCHEMA).
CASES: dict[str, tuple[str, str]] = {
    "S001": (
        "prisma.invoice.findMany({ where: { tenantId: 1, deletedAt: null } });",
        "prisma.invoice.findMany({ where: { tenantId: 1 } });",
    ),
    "S002": (
        "prisma.invoice.update({ where: { id: 1, tenantId: 1 }, data: { deletedAt: new Date() } });",
        "prisma.invoice.delete({ where: { id: 1, tenantId: 1 } });",
    ),
    "S003": (
        "prisma.invoice.findFirst({ where: { id: 1, tenantId: 1, deletedAt: null } });",
        "prisma.invoice.findFirst({ where: { id: 1, deletedAt: null } });",
    ),
    "S004": (
        'prisma.$queryRaw`SELECT * FROM "Invoice" i WHERE i."deletedAt" IS NULL`;',
        'prisma.$queryRaw`SELECT * FROM "Invoice" i WHERE i.id = ${id}`;',
    ),
    "S005": (
        'prisma.$executeRaw`UPDATE "Invoice" SET "deletedAt" = now() WHERE id = ${id} AND "deletedAt" IS NULL`;',
        'prisma.$executeRaw`DELETE FROM "Invoice" WHERE id = ${id}`;',
    ),
    "S006": (
        'prisma.$queryRawUnsafe(\'SELECT 1 FROM "Invoice" WHERE "deletedAt" IS NULL\');',
        "prisma.$queryRawUnsafe(buildSql());",
    ),
    "S007": (
        "function f() { const where = { tenantId: 1, deletedAt: null }; return prisma.invoice.findMany({ where }); }",
        "export function f(where) { return prisma.invoice.findMany({ where }); }",
    ),
    "S008": (
        "prisma.invoice.findMany({ where: { tenantId: 1, deletedAt: null } });",
        "prisma.invoice.findMany({ where: { tenantId: 1, deletedAt: null } ));",
    ),
    "S009": (
        "// bhq-migrate-ignore S001 -- trash view\nprisma.invoice.findMany({ where: { tenantId: 1 } });",
        "// bhq-migrate-ignore S001\nprisma.invoice.findMany({ where: { tenantId: 1 } });",
    ),
    "S011": (
        "prisma.item.findMany({ where: { deletedAt: null }, include: { tenant: true } });",
        "prisma.item.findMany({ where: { deletedAt: null }, include: { invoice: true } });",
    ),
    "S010": (
        "function f(repo: PrismaClient) { return repo.invoice.findMany({ where: { tenantId: 1, deletedAt: null } }); }",
        "function f(repo) { return repo.invoice.findMany({ where: { tenantId: 1, deletedAt: null } }); }",
    ),
    "S012": (
        "prisma.$executeRaw`SELECT set_config('app.tenant_id', ${id}, true)`;",
        "prisma.$executeRaw`SELECT set_config('app.tenant_id', ${id}, false)`;",
    ),
    "S013": (
        "const x = prisma.$extends(ext); // ext: set_config('app.tenant_id', id, true)\n"
        "prisma.$transaction(async (tx) => { await tx.invoice.count({ where: { tenantId: 1, deletedAt: null } }); });",
        "const x = prisma.$extends(ext); // ext: set_config('app.tenant_id', id, true)\n"
        "prisma.$transaction([prisma.invoice.count({ where: { tenantId: 1, deletedAt: null } })]);",
    ),
}


def test_every_rule_has_a_case() -> None:
    assert set(CASES) == {rule.id for rule in RULES}


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_passing_case_does_not_trigger_the_rule(tmp_path: Path, rule_id: str) -> None:
    passing, _failing = CASES[rule_id]
    assert rule_id not in {f.rule for f in scan_one(tmp_path, passing + "\n").findings}


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_failing_case_triggers_the_rule(tmp_path: Path, rule_id: str) -> None:
    _passing, failing = CASES[rule_id]
    assert rule_id in {f.rule for f in scan_one(tmp_path, failing + "\n").findings}
