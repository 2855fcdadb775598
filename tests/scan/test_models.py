"""Where the soft-deletable and tenant-owned models come from."""

from __future__ import annotations

from pathlib import Path

import pytest

from bhq_migrate.errors import ConfigError
from bhq_migrate.prisma_schema import parse_schema
from bhq_migrate.scan import ScanConfig, scan
from bhq_migrate.scan.models import models_from_schema
from tests.scan.helpers import project, rules_at, scan_one

READ = "async function f() {\n  return prisma.invoice.findMany({ where: { tenantId: 1 } });\n}\n"


def test_schema_fields_mark_models_soft_deletable_and_tenant_owned() -> None:
    models = models_from_schema(parse_schema(
        'model Animal {\n  id Int @id\n  tenantId Int @map("tenant_id")\n'
        '  deletedAt DateTime? @map("deleted_at") // soft delete\n  @@map("animals")\n}\n'
    ))
    animal = models["Animal"]
    assert animal.table == "animals"
    assert animal.fields["deletedAt"].column == "deleted_at"
    assert animal.accessor == "animal"


def test_model_without_the_soft_delete_field_is_not_checked(tmp_path: Path) -> None:
    schema = "model Invoice {\n  id Int @id\n  tenantId Int\n}\n"
    assert rules_at(scan_one(tmp_path, READ, schema=schema)) == set()


def test_without_a_schema_the_seed_plan_models_are_soft_deletable(tmp_path: Path) -> None:
    source = (
        "async function f() {\n  await prisma.animal.findMany({ where: { tenantId: 1 } });\n"
        "  await prisma.contact.count({ where: { tenantId: 1 } });\n"
        "  await prisma.payment.findMany({ where: { tenantId: 1 } });\n}\n"
    )
    assert rules_at(scan_one(tmp_path, source, schema=None)) == {(2, "S001"), (3, "S001")}


def test_soft_delete_field_is_configurable(tmp_path: Path) -> None:
    schema = "model Invoice {\n  id Int @id\n  tenantId Int\n  archivedAt DateTime?\n}\n"
    source = (
        "async function f() {\n  await prisma.invoice.findMany({ where: { tenantId: 1 } });\n"
        "  await prisma.invoice.findMany({ where: { tenantId: 1, archivedAt: null } });\n}\n"
    )
    config = ScanConfig(jobs=1, soft_delete_fields=("archivedAt",))
    assert rules_at(scan_one(tmp_path, source, schema=schema, config=config)) == {(2, "S001")}


def test_tenant_field_is_configurable(tmp_path: Path) -> None:
    schema = "model Link {\n  id Int @id\n  workspaceId Int\n}\n"
    source = (
        "async function f() {\n  await prisma.link.findMany({ where: { id: 1 } });\n"
        "  await prisma.link.findMany({ where: { workspaceId: 1 } });\n}\n"
    )
    config = ScanConfig(jobs=1, tenant_fields=("tenantId", "workspaceId"))
    assert rules_at(scan_one(tmp_path, source, schema=schema, config=config)) == {(2, "S003")}


def test_two_schemas_in_one_monorepo_each_apply_to_their_own_app(tmp_path: Path) -> None:
    project(tmp_path / "apps" / "billing", {"src/a.ts": READ})
    project(tmp_path / "apps" / "legacy", {"src/a.ts": READ},
            schema="model Invoice {\n  id Int @id\n  tenantId Int\n}\n")
    result = scan([tmp_path], ScanConfig(jobs=1))
    assert {(f.file.split("/apps/")[-1], f.rule) for f in result.findings} == {("billing/src/a.ts", "S001")}
    assert len(result.schemas) == 2


def test_explicit_schema_option_wins_over_discovery(tmp_path: Path) -> None:
    project(tmp_path, {"src/a.ts": READ}, schema="model Invoice {\n  id Int @id\n  tenantId Int\n}\n")
    other = tmp_path / "other.prisma"
    other.write_text("model Invoice {\n  id Int @id\n  tenantId Int\n  deletedAt DateTime?\n}\n")
    result = scan([tmp_path / "src"], ScanConfig(jobs=1, schemas=(other,)))
    assert [f.rule for f in result.findings] == ["S001"]


def test_multi_file_schema_folder_is_read_as_one(tmp_path: Path) -> None:
    folder = tmp_path / "prisma" / "schema"
    folder.mkdir(parents=True)
    (folder / "schema.prisma").write_text('datasource db {\n  provider = "postgresql"\n}\n')
    (folder / "invoice.prisma").write_text("model Invoice {\n  id Int @id\n  deletedAt DateTime?\n}\n")
    project(tmp_path, {"src/a.ts": READ}, schema=None)
    assert [f.rule for f in scan([tmp_path], ScanConfig(jobs=1)).findings] == ["S001"]


def test_schema_copy_inside_a_generated_client_is_ignored(tmp_path: Path) -> None:
    project(tmp_path, {"src/a.ts": READ})
    generated = tmp_path / "src" / "generated" / "client"
    (generated / "runtime").mkdir(parents=True)
    (generated / "schema.prisma").write_text("model Other {\n  id Int @id\n}\n")
    assert len(scan([tmp_path], ScanConfig(jobs=1)).schemas) == 1


def test_missing_schema_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="schema not found"):
        scan([tmp_path], ScanConfig(schemas=(tmp_path / "nope.prisma",)))


def test_scanning_a_subfolder_finds_the_project_schema_above_it(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    project(tmp_path, {"src/a.ts": READ}, schema="model Invoice {\n  id Int @id\n  tenantId Int\n}\n")
    # the schema above says Invoice is not soft-deletable: the seed defaults must not be used instead
    result = scan([tmp_path / "src"], ScanConfig(jobs=1))
    assert result.findings == []
    assert result.schemas == [str((tmp_path / "prisma" / "schema.prisma").resolve())]


def test_package_json_prisma_schema_entry_is_followed(tmp_path: Path) -> None:
    project(tmp_path, {"src/a.ts": READ, "package.json": '{"prisma": {"schema": "db/main.prisma"}}'}, schema=None)
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "main.prisma").write_text("model Invoice {\n  id Int @id\n  deletedAt DateTime?\n}\n")
    assert [f.rule for f in scan([tmp_path], ScanConfig(jobs=1)).findings] == ["S001"]


def test_a_shared_package_outside_both_apps_uses_every_schema(tmp_path: Path) -> None:
    project(tmp_path / "apps" / "billing", {"src/a.ts": "export const x = 1;\n"})
    project(tmp_path / "apps" / "crm", {"src/a.ts": "export const x = 1;\n"},
            schema="model Contact {\n  id Int @id\n  deletedAt DateTime?\n}\n")
    shared = "async function f() {\n  await prisma.invoice.findMany();\n  await prisma.contact.findMany();\n}\n"
    project(tmp_path / "packages" / "shared", {"src/q.ts": shared}, schema=None)
    result = scan([tmp_path], ScanConfig(jobs=1))
    assert {(f.line, f.model) for f in result.findings if f.rule == "S001"} == {(2, "Invoice"), (3, "Contact")}
