"""Data flow across files and within a function (issue 10): callers of an exported function found through
the modules that import it, and reads keyed by the row a ``create`` returned a moment before.

The fixture project ``fixtures/dataflow`` marks every expected finding with ``// expect: RULE``."""

from __future__ import annotations

from pathlib import Path

from bhq_migrate.scan import ScanConfig, scan
from bhq_migrate.scan.project import MAX_CALLER_FILES, ProjectIndex
from tests.scan.helpers import FIXTURES, expected_markers, project

DATAFLOW = FIXTURES / "dataflow"


def _relative(file: str, root: Path) -> str:
    return Path(file).resolve().relative_to(root.resolve()).as_posix()


def test_every_marked_finding_and_nothing_else() -> None:
    result = scan([DATAFLOW], ScanConfig(jobs=1))
    found = {(_relative(f.file, DATAFLOW), f.line, f.rule) for f in result.findings}
    expected = {(path.relative_to(DATAFLOW).as_posix(), line, rule)
                for path in sorted((DATAFLOW / "src").rglob("*.ts")) for line, rule in expected_markers(path)}
    assert found == expected


def test_an_unscoped_read_names_the_caller_in_another_file() -> None:
    result = scan([DATAFLOW], ScanConfig(jobs=1))
    by_place = {(_relative(f.file, DATAFLOW), f.line): f.message for f in result.findings}
    assert by_place[("src/queries/notes.ts", 7)].endswith("src/pages/notes-b.ts:8)")
    assert "passed in by the call at" in by_place[("src/queries/notes.ts", 7)]
    assert by_place[("src/queries/teams.ts", 7)].endswith("src/admin/teams.ts:5)")


def test_only_the_analysed_file_is_scanned_but_callers_are_searched_in_the_whole_project() -> None:
    result = scan([DATAFLOW / "src" / "queries" / "notes.ts"], ScanConfig(jobs=1))
    assert sorted((f.line, f.rule) for f in result.findings) == [(7, "S001"), (17, "S007"), (22, "S007"), (29, "S007")]


def test_more_files_mentioning_the_name_than_the_bound_make_it_needs_review(tmp_path: Path) -> None:
    library = ("import { PrismaClient } from '@prisma/client';\nconst db = new PrismaClient();\n"
               "export async function load(args: object) {\n  return db.invoice.findMany(args);\n}\n")
    scoped = "import { load } from './lib';\nexport const x = () => load({ where: { deletedAt: null } });\n"
    files = {"package.json": "{}", "src/lib.ts": library}
    files.update({f"src/caller{n}.ts": scoped for n in range(MAX_CALLER_FILES)})
    project(tmp_path, files, schema="model Invoice {\n  id Int @id\n  deletedAt DateTime?\n}\n")
    result = scan([tmp_path / "src" / "lib.ts"], ScanConfig(jobs=1))
    assert [(f.line, f.rule) for f in result.findings] == [(4, "S007")]  # one file too many: not searched
    (tmp_path / "src" / "caller0.ts").unlink()
    assert scan([tmp_path / "src" / "lib.ts"], ScanConfig(jobs=1)).findings == []  # all found, all scoped


def test_callers_lookup_resolves_re_exports_and_namespace_imports() -> None:
    index = ProjectIndex()
    notes = (DATAFLOW / "src" / "queries" / "notes.ts").resolve()
    module = index.module(notes)
    assert module is not None
    function = module.ensure_indexed().declarations["findNotes"]
    callers = index.callers(notes, "findNotes", function)
    assert sorted((m.path.name, c.start_point[0] + 1) for m, c in callers.calls) == [("notes-a.ts", 12),
                                                                                   ("notes-b.ts", 8)]
    assert callers.complete
    escaping = module.declarations["findNotesEscaping"]
    assert not index.callers(notes, "findNotesEscaping", escaping).complete


def test_an_import_of_the_name_the_index_cannot_resolve_leaves_the_callers_unknown(tmp_path: Path) -> None:
    library = ("import { PrismaClient } from '@prisma/client';\nconst db = new PrismaClient();\n"
               "export async function load(args: object) {\n  return db.invoice.findMany(args);\n}\n")
    files = {"package.json": "{}", "src/lib.ts": library,
             "src/a.ts": "import { load } from './lib';\n"
                         "export const a = () => load({ where: { deletedAt: null } });\n",
             "src/b.ts": "import { load } from '~/lib';\nexport const b = () => load({});\n"}
    project(tmp_path, files, schema="model Invoice {\n  id Int @id\n  deletedAt DateTime?\n}\n")
    result = scan([tmp_path / "src" / "lib.ts"], ScanConfig(jobs=1))
    assert [(f.line, f.rule) for f in result.findings] == [(4, "S007")]  # '~/lib' may be this module
    (tmp_path / "src" / "b.ts").write_text("import { load } from './lib';\nexport const b = () => load({});\n")
    result = scan([tmp_path / "src" / "lib.ts"], ScanConfig(jobs=1))
    assert [(f.line, f.rule) for f in result.findings] == [(4, "S001")]
    assert result.findings[0].message.endswith("src/b.ts:2)")
