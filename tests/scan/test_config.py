"""Settings from the scanned project's ``pyproject.toml`` or ``bhq-migrate.toml``."""

from __future__ import annotations

from pathlib import Path

import pytest

from bhq_migrate.errors import ConfigError
from bhq_migrate.findings import Severity
from bhq_migrate.scan import ScanConfig, find_config_file, load_config_file


def test_pyproject_scan_table_is_read(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.bhq-migrate.scan]\ntenant-fields = ["tenantId", "workspaceId"]\nfail-on = "warning"\n'
        'clients = ["prisma", "this.repo.db"]\n'
    )
    (tmp_path / "src").mkdir()
    found = find_config_file(tmp_path / "src")
    assert found == tmp_path / "pyproject.toml"
    config = load_config_file(found)
    assert config.tenant_fields == ("tenantId", "workspaceId")
    assert config.fail_on is Severity.WARNING
    assert config.clients == ("prisma", "this.repo.db")


def test_bhq_migrate_toml_is_read_and_schema_paths_are_relative_to_it(tmp_path: Path) -> None:
    (tmp_path / "bhq-migrate.toml").write_text(
        '[scan]\nschemas = ["db/schema.prisma"]\nscoping-helpers = ["activeOnly", "notDeleted"]\n'
    )
    config = load_config_file(find_config_file(tmp_path))
    assert config.schemas == (tmp_path / "db" / "schema.prisma",)
    assert config.scoping_helpers == ("activeOnly", "notDeleted")


def test_pyproject_without_a_scan_table_is_not_a_config_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.other]\nx = 1\n')
    assert find_config_file(tmp_path) is None or find_config_file(tmp_path) != tmp_path / "pyproject.toml"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[scan]\nunknown = 1\n", "unknown scan setting 'unknown'"),
        ("[scan]\nfail-on = 'fatal'\n", "fail-on"),
        ("[scan]\ntenant-fields = 3\n", "list of strings"),
        ("[scan\n", "invalid TOML"),
    ],
)
def test_bad_settings_are_one_line_config_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bhq-migrate.toml"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_config_file(path)


def test_overrides_keep_settings_that_were_not_given() -> None:
    config = ScanConfig(tenant_fields=("workspaceId",)).with_overrides(tenant_fields=(), fail_on=None)
    assert config.tenant_fields == ("workspaceId",)
