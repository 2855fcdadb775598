"""Loading checks files: a malformed file is one error naming the file and the key path (exit code 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bhq_migrate.errors import ConfigError
from bhq_migrate.exitcodes import ExitCode
from bhq_migrate.verify.expectations import expand, load_checks_file, merge
from tests.conftest import CHECKS_DIR


def write(tmp_path: Path, text: str, name: str = "001_example.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_every_shipped_checks_file_loads() -> None:
    files = sorted(CHECKS_DIR.glob("*.toml"))
    assert [f.name[:3] for f in files] == ["001", "002", "003", "004"]
    for path in files:
        assert expand(load_checks_file(path), str(path))


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, 'plan = "001"\n[tables."Invoice"\n')
    with pytest.raises(ConfigError, match=r"001_example\.toml: invalid TOML") as error:
        load_checks_file(path)
    assert error.value.exit_code is ExitCode.CANNOT_RUN


def test_a_wrong_type_names_the_key_path(tmp_path: Path) -> None:
    path = write(tmp_path, 'plan = "001"\n[tables."Invoice".columns]\namountCents = { nullable = "sometimes" }\n')
    with pytest.raises(ConfigError, match=r'001_example\.toml: tables\."Invoice"\.columns\.amountCents\.nullable: '):
        load_checks_file(path)


def test_an_unknown_key_names_the_key_path(tmp_path: Path) -> None:
    path = write(tmp_path, 'plan = "001"\n[tables."Invoice".indexes.i]\ncolumns = ["a"]\nwhere_clause = "a > 0"\n')
    with pytest.raises(ConfigError, match=r'tables\."Invoice"\.indexes\.i\.where_clause: Extra inputs'):
        load_checks_file(path)


def test_an_unparsable_predicate_names_the_key_path(tmp_path: Path) -> None:
    path = write(tmp_path, 'plan = "001"\n[tables."Invoice".indexes.i]\ncolumns = ["a"]\nwhere = "a >>> AND"\n')
    with pytest.raises(ConfigError, match=r'tables\."Invoice"\.indexes\.i\.where: not a valid SQL expression'):
        load_checks_file(path)


def test_a_check_needs_a_value_set_or_an_expression(tmp_path: Path) -> None:
    path = write(tmp_path, 'plan = "001"\n[tables."Tenant".checks.c]\ncolumn = "mode"\n')
    with pytest.raises(ConfigError, match=r'tables\."Tenant"\.checks\.c: give either column and values, or expression'):
        load_checks_file(path)


def test_the_plan_id_must_match_the_file_name(tmp_path: Path) -> None:
    path = write(tmp_path, 'plan = "002"\n')
    with pytest.raises(ConfigError, match="plan: says '002' but the file name says '001'"):
        load_checks_file(path)


def test_a_later_plan_supersedes_the_same_attribute_only(tmp_path: Path) -> None:
    first = write(tmp_path, 'plan = "001"\n[tables."T".columns]\nc = { type = "integer", nullable = false }\n')
    second = write(tmp_path, 'plan = "002"\n[tables."T".columns]\nc = { type = "bigint" }\n', "002_later.toml")
    merged = merge([expand(load_checks_file(first), "a"), expand(load_checks_file(second), "b")])
    by_kind = {exp.kind: (exp.plan, exp.expected) for exp in merged}
    assert by_kind["col_type_is"] == ("002", "bigint")
    assert by_kind["col_not_null"] == ("001", False)
