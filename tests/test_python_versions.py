"""Python 3.10 is declared supported (``requires-python``): the installed command must run there too.

``scripts/test-pythons --smoke 3.10`` installs the project into a Python 3.10 venv with ``pip install .`` (the
README's first command) and runs ``--version``, ``--help``, a scan and ``demo``. ``scripts/test-pythons`` runs
the whole suite on 3.10 and on the newest CPython of the machine.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess

import pytest

from bhq_migrate.compat import tomllib
from tests.helpers import REPO_ROOT

OLDEST = "3.10"


def _has_python(version: str) -> bool:
    pyenv = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    return bool(shutil.which(f"python{version}") or glob.glob(f"{pyenv}/versions/{version}.*/bin/python"))


def test_requires_python_names_the_oldest_python_the_smoke_runs_on() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["requires-python"] == f">={OLDEST}"
    assert f"want=${{2:-{OLDEST}}}" in (REPO_ROOT / "scripts" / "test-pythons").read_text(encoding="utf-8")


@pytest.mark.network
@pytest.mark.skipif(not _has_python(OLDEST), reason=f"no Python {OLDEST} on this machine (pyenv or python{OLDEST})")
def test_the_installed_command_runs_on_the_oldest_supported_python() -> None:
    result = subprocess.run(["bash", "scripts/test-pythons", "--smoke", OLDEST], cwd=REPO_ROOT, capture_output=True,
                            text=True, timeout=1800)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"smoke ok on Python {OLDEST}." in result.stdout
