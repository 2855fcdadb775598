"""Schema discovery through the generated client (issue 10, "What to build" 3): a generator's ``output`` path
imported by the sources, a workspace package re-exporting the client (imported, not declared), a tsconfig
``paths`` alias into it, and ``package.json`` ``"prisma": {"schema": ...}`` in a workspace package."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from bhq_migrate.cli import full_app
from bhq_migrate.scan import ScanConfig, scan
from bhq_migrate.scan.client_output import generator_outputs
from bhq_migrate.scan.models import discover_schemas
from tests.scan.helpers import FIXTURES, expected_markers

ROOT = FIXTURES / "client_output"
SHOP = (ROOT / "packages" / "database" / "schema" / "shop.prisma").resolve()
runner = CliRunner()
app = full_app()


def findings(folder: Path) -> set[tuple[str, int, str]]:
    result = scan([folder], ScanConfig(jobs=1))
    assert result.schemas == [str(SHOP)]
    return {(Path(f.file).name, f.line, f.rule) for f in result.findings}


def expected(folder: Path) -> set[tuple[str, int, str]]:
    return {(path.name, line, rule) for path in folder.rglob("*.ts") for line, rule in expected_markers(path)}


def test_generator_output_is_resolved_against_the_schema_file() -> None:
    assert generator_outputs(SHOP) == [(ROOT / "generated" / "shop").resolve()]


def test_an_import_of_the_generator_output_path_finds_its_schema() -> None:
    api = ROOT / "apps" / "api"
    assert findings(api) == expected(api) == {("orders.ts", 7, "S001")}


def test_a_workspace_package_imported_without_a_declared_dependency_leads_to_its_schema() -> None:
    admin = ROOT / "apps" / "admin"
    assert findings(admin) == expected(admin) == {("lines.ts", 7, "S001")}


def test_a_tsconfig_paths_alias_into_the_package_leads_to_its_schema() -> None:
    worker = ROOT / "apps" / "worker"
    assert findings(worker) == expected(worker) == {("purge.ts", 7, "S002")}


def test_a_package_that_imports_no_client_still_gets_no_schema_and_the_cli_exits_2() -> None:
    tool = ROOT / "apps" / "tool"
    assert discover_schemas([tool]) == []
    result = runner.invoke(app, ["scan-queries", str(tool)])
    assert result.exit_code == 2 and "no schema.prisma found" in result.stderr


def test_package_json_prisma_schema_of_a_declared_workspace_dependency_is_found(tmp_path: Path) -> None:
    copy = tmp_path / "shop"
    shutil.copytree(ROOT, copy)
    tool = copy / "apps" / "tool"
    (tool / "package.json").write_text('{ "name": "@shop/tool", "dependencies": { "@shop/database": "*" } }\n')
    assert discover_schemas([tool]) == [(copy / "packages" / "database" / "schema" / "shop.prisma").resolve()]


def test_without_a_workspace_the_repository_root_bounds_the_search(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    for folder in ("db", "other"):
        (tmp_path / folder).mkdir()
    (tmp_path / "db" / "schema.prisma").write_text(
        'generator client {\n  provider = "prisma-client-js"\n  output   = "../services/generated/client"\n}\n'
        "model Invoice {\n  id Int @id\n  deletedAt DateTime?\n}\n")
    (tmp_path / "other" / "schema.prisma").write_text(SHOP.read_text())  # found, but its client is not imported
    source = tmp_path / "services" / "api" / "src" / "a.ts"
    source.parent.mkdir(parents=True)
    source.write_text('import { PrismaClient } from "../../generated/client";\nconst prisma = new PrismaClient();\n'
                      "export const all = () => prisma.invoice.findMany();\n")
    assert discover_schemas([tmp_path / "services" / "api"]) == [(tmp_path / "db" / "schema.prisma").resolve()]
    result = scan([tmp_path / "services" / "api"], ScanConfig(jobs=1))
    assert [(Path(f.file).name, f.line, f.rule) for f in result.findings] == [("a.ts", 3, "S001")]


def test_odd_import_specifiers_and_unreadable_folders_never_stop_discovery(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "schema.prisma").write_text(
        'generator client {\n  provider = "prisma-client-js"\n  output   = "../gen"\n}\n'
        "model Invoice {\n  id Int @id\n  deletedAt DateTime?\n}\n")
    source = tmp_path / "app" / "a.ts"
    source.parent.mkdir()
    source.write_bytes(b'import x from "./\x00nul";\nimport y from "' + b"../" * 90 + b'x";\n'
                       b'import z from "' + b"a" * 290 + b'";\nimport { PrismaClient } from "../gen";\n'
                       b"export const all = () => new PrismaClient().invoice.findMany();\n")
    assert discover_schemas([tmp_path / "app"]) == [(tmp_path / "db" / "schema.prisma").resolve()]
