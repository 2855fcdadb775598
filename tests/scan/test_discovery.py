"""Never a silent pass: schema discovery in a monorepo, a gitignore-aware walk, bad schemas and unreadable
paths (issue 10 items 5 and 7, issue 9 items 5 and 6)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bhq_migrate.cli import full_app
from bhq_migrate.errors import PrismaSchemaError
from bhq_migrate.scan import ScanConfig, scan
from tests.scan.helpers import FIXTURES, expected_markers, project

MONOREPO = FIXTURES / "monorepo"
WEB = MONOREPO / "packages" / "web"
runner = CliRunner()
app = full_app()
READ = "async function f() {\n  return prisma.invoice.findMany({ where: { tenantId: 1 } });\n}\n"


def run(*args: str):
    return runner.invoke(app, ["scan-queries", *args])


def expected_in(root: Path) -> set[tuple[str, int, str]]:
    """Every ``// expect:`` marker of the source files under ``root`` (ignored folders included: a marker
    there would be a finding the walk must not report, so none is written there)."""
    found = set()
    for path in sorted(root.rglob("*")):
        if path.suffix in (".ts", ".tsx", ".js") and "out" not in path.relative_to(root).parts:
            rel = path.relative_to(root).as_posix()
            found |= {(rel, line, rule) for line, rule in expected_markers(path)}
    return found


def findings_in(root: Path, **config: object) -> set[tuple[str, int, str]]:
    result = scan([root], ScanConfig(jobs=1, **config))  # type: ignore[arg-type]
    return {(Path(f.file).resolve().relative_to(root.resolve()).as_posix(), f.line, f.rule)
            for f in result.findings}


def test_one_package_of_a_monorepo_finds_the_schema_of_the_workspace_package_it_depends_on() -> None:
    result = scan([WEB], ScanConfig(jobs=1))
    assert result.schemas == [str(MONOREPO.resolve() / "packages" / "db" / "prisma" / "schema.prisma")]
    assert not result.default_models
    assert findings_in(WEB) == expected_in(WEB)


def test_a_build_folder_is_scanned_and_a_gitignored_out_folder_is_not() -> None:
    result = scan([WEB], ScanConfig(jobs=1))
    files = {Path(f.file).name for f in result.findings}
    assert "service.ts" in files and "bundle.js" not in files
    assert result.skipped["ignored by .gitignore/.bhq-migrate-ignore"] == 1


def test_bhq_migrate_ignore_file_is_honoured_with_negation(tmp_path: Path) -> None:
    project(tmp_path, {".bhq-migrate-ignore": "legacy/\n*.gen.ts\n!keep.gen.ts\n", "src/a.ts": READ,
                       "legacy/b.ts": READ, "src/c.gen.ts": READ, "src/keep.gen.ts": READ})
    result = scan([tmp_path], ScanConfig(jobs=1))
    assert sorted(Path(f.file).name for f in result.findings) == ["a.ts", "keep.gen.ts"]
    assert result.skipped == {"ignored by .gitignore/.bhq-migrate-ignore": 2}


def test_gitignore_of_the_repository_root_applies_when_scanning_a_subfolder(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    project(tmp_path, {".gitignore": "generated/\n", "app/src/a.ts": READ, "app/src/generated/b.ts": READ})
    (tmp_path / "prisma").rename(tmp_path / "app" / "prisma")
    result = scan([tmp_path / "app"], ScanConfig(jobs=1))
    assert [Path(f.file).name for f in result.findings] == ["a.ts"]


def test_without_the_workspace_dependency_or_an_import_no_schema_is_found_and_the_cli_exits_2(
        tmp_path: Path) -> None:
    copy = tmp_path / "mono"
    shutil.copytree(MONOREPO, copy)
    (copy / "packages" / "web" / "package.json").write_text('{ "name": "@mono/web" }\n')
    # the import of the db package alone still leads to its schema (tests/scan/test_client_output.py)
    assert scan([copy / "packages" / "web"], ScanConfig(jobs=1)).schemas == [
        str((copy / "packages" / "db" / "prisma" / "schema.prisma").resolve())]
    (copy / "packages" / "web" / "src" / "pages" / "links.ts").unlink()
    result = run(str(copy / "packages" / "web"))
    assert result.exit_code == 2, result.output
    assert "no schema.prisma found" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    allowed = run(str(copy / "packages" / "web"), "--allow-default-models")
    assert allowed.exit_code == 0, allowed.output  # Invoice/Contact/Animal are not used here: nothing found


def test_a_scan_that_checks_no_query_exits_2_unless_allowed(tmp_path: Path) -> None:
    project(tmp_path, {"src/a.ts": "export const x = prisma.$connect();\n"})
    result = run(str(tmp_path))
    assert result.exit_code == 2 and "nothing was checked" in result.stderr
    assert run(str(tmp_path), "--allow-default-models").exit_code == 0


def test_an_empty_tree_exits_2(tmp_path: Path) -> None:
    project(tmp_path, {"README.md": "no sources\n"})
    result = run(str(tmp_path))
    assert result.exit_code == 2 and "no JavaScript/TypeScript source file" in result.stderr


@pytest.mark.parametrize(("content", "where"), [
    ("model Invoice {\n  id Int @id\n  deletedAt DateTime?\n", "bad.prisma:4:1: syntax error at the end of the file;"),
    ("model Invoice {\n  id Int @id\n  deletedAt DateTime? @@\n}\n", "bad.prisma:3:"),
    (b"model A {\n  id Int @id\n}\n\x00\x01\x02", "bad.prisma:4: NUL byte"),
    (b"\x89PNG\r\n\x1a\n\xff\xfe", "bad.prisma:1: not valid UTF-8"),
])
def test_a_malformed_or_binary_schema_is_a_one_line_error_with_file_and_line(
        tmp_path: Path, content: str | bytes, where: str) -> None:
    project(tmp_path, {"src/a.ts": READ})
    bad = tmp_path / "bad.prisma"
    bad.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = run(str(tmp_path), "--schema", str(bad))
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and where in lines[0] and "Traceback" not in result.output


def test_a_discovered_schema_that_does_not_parse_is_an_error_too(tmp_path: Path) -> None:
    project(tmp_path, {"src/a.ts": READ}, schema="model Invoice {\n  id Int @id\n  owner Ghost\n}\n")
    with pytest.raises(PrismaSchemaError, match=r"schema\.prisma:3:3: type 'Ghost'"):
        scan([tmp_path], ScanConfig(jobs=1))


def test_a_multi_file_schema_resolves_types_across_files(tmp_path: Path) -> None:
    folder = tmp_path / "prisma" / "schema"
    folder.mkdir(parents=True)
    (folder / "a.prisma").write_text("model Invoice {\n  id Int @id\n  items Item[]\n  deletedAt DateTime?\n}\n")
    (folder / "b.prisma").write_text('model Item {\n  id Int @id\n  invoiceId Int\n  invoice Invoice '
                                     '@relation(fields: [invoiceId], references: [id])\n  @@map("items")\n}\n')
    project(tmp_path, {"src/a.ts": READ}, schema=None)
    result = scan([tmp_path], ScanConfig(jobs=1))
    assert [(f.line, f.rule) for f in result.findings] == [(2, "S001")]


def test_an_unreadable_file_is_named_and_a_tree_with_nothing_readable_exits_2(tmp_path: Path) -> None:
    project(tmp_path, {})
    (tmp_path / "src").mkdir()
    # reading /proc/self/mem at offset 0 fails with EIO for every user, root included
    os.symlink("/proc/self/mem", tmp_path / "src" / "mem.ts")
    result = run(str(tmp_path))
    assert result.exit_code == 2, result.output
    assert "nothing could be read" in result.stderr and "mem.ts" in result.stderr


def test_some_unreadable_files_are_named_and_make_the_exit_code_non_zero(tmp_path: Path) -> None:
    project(tmp_path, {"src/ok.ts": READ.replace("tenantId: 1", "tenantId: 1, deletedAt: null")})
    os.symlink("/proc/self/mem", tmp_path / "src" / "mem.ts")
    result = run(str(tmp_path))
    assert result.exit_code == 1, result.output
    assert "could not read" in result.stderr and "mem.ts" in result.stderr
    library = scan([tmp_path], ScanConfig(jobs=1))
    assert [Path(p).name for p in library.unreadable] == ["mem.ts"]
    assert [(Path(f.file).name, f.rule) for f in library.findings] == [("mem.ts", "S008")]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a folder whatever its mode bits")
def test_an_unreadable_folder_is_named(tmp_path: Path) -> None:
    project(tmp_path, {"src/ok.ts": READ, "src/secret/b.ts": READ})
    (tmp_path / "src" / "secret").chmod(0)
    try:
        result = scan([tmp_path], ScanConfig(jobs=1))
    finally:
        (tmp_path / "src" / "secret").chmod(0o755)
    assert [Path(p).name for p in result.unreadable] == ["secret"]


def test_cyclic_and_malformed_project_files_never_crash_the_scan(tmp_path: Path) -> None:
    """Re-export cycles, a tsconfig that extends itself, odd workspace patterns: answers stay bounded."""
    project(tmp_path, {
        "package.json": '{"name": "x", "workspaces": ["/abs/*", "../../*", 42, "[", "**"]}',
        "tsconfig.json": '{"extends": "./tsconfig.json", "compilerOptions": {"baseUrl": ".", '
                         '"paths": {"@/*": ["src/*", 7], "bad": "x"}}}',
        "src/a.ts": 'export * from "./b";\nexport { where } from "./a";\n',
        "src/b.ts": 'export * from "./a";\nexport { loop as where } from "./b";\n',
        "src/q.ts": 'import { where } from "@/a";\nimport w from "\\u0000";\n'
                    "export async function f() {\n  return prisma.invoice.findMany({ where: where(1) });\n}\n",
    })
    result = scan([tmp_path], ScanConfig(jobs=1))
    assert [(Path(f.file).name, f.line, f.rule) for f in result.findings] == [("q.ts", 4, "S007")]


def test_findings_in_test_code_are_counted_and_exclude_tests_skips_them(tmp_path: Path) -> None:
    project(tmp_path, {"src/a.ts": READ, "src/a.test.ts": READ, "src/__tests__/b.ts": READ,
                       "e2e/flow.spec.ts": READ, "prisma/seed.ts": READ, "src/testing.ts": READ})
    result = scan([tmp_path], ScanConfig(jobs=1))
    assert result.in_test_code == 4
    assert sorted(Path(f.file).name for f in result.findings) == [
        "a.test.ts", "a.ts", "b.ts", "flow.spec.ts", "seed.ts", "testing.ts"]
    skipped = scan([tmp_path], ScanConfig(jobs=1, exclude_tests=True))
    assert sorted(Path(f.file).name for f in skipped.findings) == ["a.ts", "testing.ts"]
    assert skipped.skipped == {"test, spec, e2e, seed and fixture paths (--exclude-tests)": 4}
    output = run(str(tmp_path)).stdout
    assert "4 finding(s) in test code" in output
