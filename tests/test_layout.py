"""The folder tree is the data flow, and the layering is enforced: the import-linter contracts in pyproject.toml.

cli -> report -> (gate) -> commands (migrate; verify, scan, lint, prisma) -> shared core (catalog, plans,
connection, findings, ...) -> errors -> exitcodes. verify and scan are independent; only the cli knows typer.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PACKAGE = REPO_ROOT / "bhq_migrate"
CONFIG = REPO_ROOT / "pyproject.toml"


def _contracts() -> list[dict[str, object]]:
    return tomllib.loads(CONFIG.read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]  # type: ignore[no-any-return]


def test_the_import_contracts_are_kept(capsys: pytest.CaptureFixture[str]) -> None:
    from importlinter.cli import lint_imports

    code = lint_imports(config_filename=str(CONFIG), no_cache=True, no_logo=True)
    report = capsys.readouterr().out
    assert code == 0, report
    assert f"Contracts: {len(_contracts())} kept, 0 broken." in report


def test_every_top_level_module_has_a_layer() -> None:
    """A new package outside the layers would escape the contracts: name its layer in pyproject.toml."""
    (layers,) = [contract["layers"] for contract in _contracts() if contract["type"] == "layers"]
    named = {
        name.strip().strip("()").removeprefix("bhq_migrate.")
        for layer in layers  # type: ignore[attr-defined]
        for name in str(layer).replace(":", "|").split("|")
    }
    found = {path.stem for path in PACKAGE.glob("*.py")} | {
        path.parent.name for path in PACKAGE.glob("*/__init__.py")
    }
    assert found - {"__init__", "__main__"} - named == set()


def test_a_broken_contract_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The check can fail: the same contracts with the layers turned upside down are broken."""
    from importlinter.cli import lint_imports

    text = CONFIG.read_text(encoding="utf-8")
    start = text.index("\n[tool.importlinter]\n")
    end = text.index("\n[tool.mypy]\n")
    upside_down = text[start:end].replace('  "bhq_migrate.cli",\n', "").replace(
        '  "bhq_migrate.exitcodes",\n', '  "bhq_migrate.exitcodes",\n  "bhq_migrate.cli",\n')
    (tmp_path / "pyproject.toml").write_text(upside_down, encoding="utf-8")
    code = lint_imports(config_filename=str(tmp_path / "pyproject.toml"), no_cache=True, no_logo=True)
    assert code != 0
    assert "BROKEN" in capsys.readouterr().out
