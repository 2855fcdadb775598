"""The schema cache saves the parse and nothing else: an entry is used only for the very files it was made
from, and anything wrong with it means the schema is parsed again."""

from __future__ import annotations

import gc
import json
import os
from pathlib import Path

import pytest

from bhq_migrate.errors import PrismaSchemaError
from bhq_migrate.scan import ScanConfig, engine, scan, schema_cache
from bhq_migrate.scan.models import load_catalog
from tests.scan.helpers import project

READ = "async function f() {\n  return prisma.invoice.findMany({ where: { tenantId: 1 } });\n}\n"
SOFT = "model Invoice {\n  id Int @id\n  tenantId Int\n  deletedAt DateTime?\n}\n"
HARD = "model Invoice {\n  id Int @id\n  tenantId Int\n}\n"
FIELDS = (("deletedAt",), ("tenantId",))


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(schema_cache.CACHE_DIR_VARIABLE, str(folder))
    return folder / "schemas"


def entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("*.json")) if cache.is_dir() else []


def rules(root: Path) -> list[str]:
    return [f.rule for f in scan([root], ScanConfig(jobs=1)).findings]


def test_a_parsed_schema_is_kept_and_the_next_scan_gives_the_same_findings(tmp_path: Path, cache: Path) -> None:
    root = project(tmp_path / "app", {"src/q.ts": READ}, schema=SOFT)
    assert rules(root) == ["S001"]
    assert len(entries(cache)) == 1
    assert rules(root) == ["S001"]
    assert len(entries(cache)) == 1


def test_an_entry_is_what_the_next_scan_reads(tmp_path: Path, cache: Path) -> None:
    schema = project(tmp_path / "app", {}, schema=SOFT) / "prisma" / "schema.prisma"
    assert load_catalog(schema, *FIELDS).models["Invoice"].table == "Invoice"
    [entry] = entries(cache)
    data = json.loads(entry.read_text())
    data["data"][0][1] = "invoices_from_the_cache"
    entry.write_text(json.dumps(data))
    assert load_catalog(schema, *FIELDS).models["Invoice"].table == "invoices_from_the_cache"


def test_a_cached_catalog_equals_a_parsed_one_field_for_field(tmp_path: Path, cache: Path) -> None:
    # every attribute of every field survives the cache (a field the cache dropped, such as `unique`, once made
    # reads by id of a row known to be live come back as findings on warm runs only)
    schema = project(tmp_path / "app", {}, schema=(
        "model Team {\n  id Int @id\n  slug String @unique\n  invoices Invoice[]\n}\n"
        "model Invoice {\n  id Int @id\n  teamId Int @map(\"team_id\")\n  team Team @relation(fields: [teamId], "
        "references: [id])\n  deletedAt DateTime?\n  @@map(\"invoices\")\n}\n")) / "prisma" / "schema.prisma"
    parsed = load_catalog(schema, *FIELDS)
    assert len(entries(cache)) == 1
    cached = load_catalog(schema, *FIELDS)
    assert cached.models == parsed.models
    assert parsed.models["Team"].fields["slug"].unique and parsed.models["Invoice"].fields["id"].unique


def test_a_changed_schema_never_meets_its_old_entry(tmp_path: Path, cache: Path) -> None:
    root = project(tmp_path / "app", {"src/q.ts": READ}, schema=SOFT)
    assert rules(root) == ["S001"]
    (root / "prisma" / "schema.prisma").write_text(HARD)  # deletedAt removed: nothing left to report
    assert rules(root) == []
    (root / "prisma" / "schema.prisma").write_text(SOFT)
    assert rules(root) == ["S001"]
    assert len(entries(cache)) == 2


def test_a_file_added_to_a_multi_file_schema_changes_the_key(tmp_path: Path, cache: Path) -> None:
    folder = tmp_path / "app" / "prisma" / "schema"
    folder.mkdir(parents=True)
    (folder / "schema.prisma").write_text('datasource db {\n  provider = "postgresql"\n}\n')
    (folder / "invoice.prisma").write_text(HARD)
    root = project(tmp_path / "app", {"src/q.ts": READ}, schema=None)
    assert rules(root) == []
    (folder / "item.prisma").write_text("model Item {\n  id Int @id\n  invoiceId Int\n}\n")
    (folder / "invoice.prisma").write_text(SOFT)
    assert rules(root) == ["S001"]
    assert len(entries(cache)) == 2


def test_the_key_covers_each_file_path_and_content(tmp_path: Path) -> None:
    first, second = tmp_path / "a.prisma", tmp_path / "b.prisma"
    first.write_text(SOFT)
    second.write_text(HARD)
    key = schema_cache.cache_key([first, second])
    assert key is not None
    assert schema_cache.cache_key([first, second]) == key
    assert schema_cache.cache_key([second, first]) != key
    assert schema_cache.cache_key([first]) != key
    first.write_text(SOFT + "\n")
    assert schema_cache.cache_key([first, second]) != key
    assert schema_cache.cache_key([first, tmp_path / "missing.prisma"]) is None


def test_a_schema_that_does_not_parse_is_never_cached_and_fails_every_time(tmp_path: Path, cache: Path) -> None:
    schema = project(tmp_path / "app", {}, schema=SOFT) / "prisma" / "schema.prisma"
    load_catalog(schema, *FIELDS)
    schema.write_text("model Invoice {\n  id Int @id\n")
    for _ in range(2):
        with pytest.raises(PrismaSchemaError, match=r"schema\.prisma:"):
            load_catalog(schema, *FIELDS)
    assert len(entries(cache)) == 1


@pytest.mark.parametrize("content", ["not json", '{"key": "other", "data": []}', "[1, 2]", "",
                                     None])  # None: a sound envelope around data of the wrong shape
def test_an_unsound_entry_is_a_miss(tmp_path: Path, cache: Path, content: str | None) -> None:
    root = project(tmp_path / "app", {"src/q.ts": READ}, schema=SOFT)
    assert rules(root) == ["S001"]
    [entry] = entries(cache)
    entry.write_text(json.dumps({"key": entry.stem, "data": [["Invoice", 7, []]]}) if content is None else content)
    assert rules(root) == ["S001"]
    assert json.loads(entry.read_text())["key"] == entry.stem  # parsed again, and written again


def test_the_cache_can_be_turned_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(schema_cache.CACHE_DIR_VARIABLE, "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    root = project(tmp_path / "app", {"src/q.ts": READ}, schema=SOFT)
    assert rules(root) == ["S001"]
    assert schema_cache.cache_folder() is None
    assert not (tmp_path / "xdg").exists() and not (tmp_path / "home").exists()


def test_without_the_variable_the_cache_is_under_xdg_cache_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(schema_cache.CACHE_DIR_VARIABLE, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    root = project(tmp_path / "app", {"src/q.ts": READ}, schema=SOFT)
    assert rules(root) == ["S001"]
    assert entries(tmp_path / "xdg" / "bhq-migrate" / "schemas")


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="file ownership needs POSIX users")
def test_a_folder_others_can_write_to_is_not_used(tmp_path: Path, cache: Path) -> None:
    schema = project(tmp_path / "app", {}, schema=SOFT) / "prisma" / "schema.prisma"
    load_catalog(schema, *FIELDS)
    [entry] = entries(cache)
    data = json.loads(entry.read_text())
    data["data"][0][1] = "planted"
    entry.write_text(json.dumps(data))
    cache.chmod(0o777)
    assert load_catalog(schema, *FIELDS).models["Invoice"].table == "Invoice"
    assert "planted" in entry.read_text()  # nothing was read from, or written to, that folder


def test_old_entries_are_pruned(tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schema_cache, "MAX_ENTRIES", 2)
    schema = project(tmp_path / "app", {}, schema=SOFT) / "prisma" / "schema.prisma"
    for number in range(4):
        schema.write_text(SOFT + f"// edit {number}\n")
        load_catalog(schema, *FIELDS)
    assert len(entries(cache)) == 2


def test_every_file_of_the_cached_code_is_part_of_the_key() -> None:
    from importlib import resources

    for package, name in schema_cache._CODE_FILES:
        assert resources.files(package).joinpath(name).is_file(), (package, name)


def _many_files(root: Path, schema: str) -> Path:
    """More files than the worker pool's threshold, so that the schema is parsed while the tree is walked."""
    return project(root, {f"src/f{i}.ts": READ if i % 2 else "export const x = 1;\n" for i in range(150)}, schema)


def test_a_schema_parsed_during_the_walk_gives_what_one_process_gives(tmp_path: Path, cache: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "HELPER_MIN_SCHEMA_BYTES", 0)  # every schema, however small, goes to the helper
    root = _many_files(tmp_path / "app", SOFT)
    parallel = scan([root], ScanConfig(jobs=2))  # cold: nothing cached yet
    assert len(entries(cache)) == 1
    serial = scan([root], ScanConfig(jobs=1))  # warm
    assert parallel.findings == serial.findings and parallel.files_found == serial.files_found == 150
    assert {f.rule for f in parallel.findings} == {"S001"} and len(parallel.findings) == 75


def test_a_schema_error_found_during_the_walk_is_the_same_one_line_error(tmp_path: Path, cache: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "HELPER_MIN_SCHEMA_BYTES", 0)
    root = _many_files(tmp_path / "app", "model Invoice {\n  id Int @id\n  deletedAt DateTime?\n")
    errors = []
    for jobs in (1, 2):
        with pytest.raises(PrismaSchemaError) as raised:
            scan([root], ScanConfig(jobs=jobs))
        errors.append(str(raised.value))
    assert errors[0] == errors[1] and "schema.prisma:4:1: syntax error" in errors[0]
    assert entries(cache) == []


def test_a_parallel_scan_leaves_the_garbage_collector_as_it_found_it(tmp_path: Path, cache: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # the parent's heap is frozen only while the helper and the workers are forked (engine._heap_frozen)
    monkeypatch.setattr(engine, "HELPER_MIN_SCHEMA_BYTES", 0)
    root = _many_files(tmp_path / "app", SOFT)
    assert gc.get_freeze_count() == 0
    scan([root], ScanConfig(jobs=2))  # cold: the helper, then the pool
    assert gc.get_freeze_count() == 0
    gc.freeze()  # a caller that froze its own heap keeps it frozen
    try:
        frozen = gc.get_freeze_count()
        assert len(scan([root], ScanConfig(jobs=2)).findings) == 75
        assert gc.get_freeze_count() >= frozen
    finally:
        gc.unfreeze()


def test_without_a_home_folder_the_scan_runs_without_a_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(schema_cache.CACHE_DIR_VARIABLE, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    monkeypatch.chdir(tmp_path)
    root = project(tmp_path / "app", {"src/q.ts": READ}, schema=SOFT)
    assert schema_cache.cache_folder() is None
    assert rules(root) == ["S001"]
    assert not (tmp_path / "relative").exists()
