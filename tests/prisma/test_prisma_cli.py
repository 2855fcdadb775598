"""The real Prisma CLI, from the npm registry, accepts what `apply --record-prisma` and `export-prisma` produce.

Prisma normally downloads a native schema engine from its own binaries server, which sandboxes and many
CI runners cannot reach. Prisma 6.19 can run Migrate on the WebAssembly schema engine inside its npm
package instead, through a driver adapter (``engine: "js"`` in prisma.config.ts), and a generator with
``engineType = "client"`` keeps the CLI from fetching a query engine. So only the npm registry is needed;
without it these tests skip and say why. The install is cached outside the repository.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from psycopg import conninfo

from bhq_migrate.migrate.runner import ApplyOptions, apply
from bhq_migrate.plans import load_plans
from bhq_migrate.prisma.migrations import export_plans
from tests.conftest import PLANS_DIR
from tests.prisma.test_snippet import snippet

pytestmark = pytest.mark.network

PRISMA_VERSION = "6.19.0"
CACHE_ROOT = Path(os.environ.get("BHQ_PRISMA_CLI_CACHE", Path.home() / ".cache" / "bhq-migrate" / "prisma-cli"))
CACHE = CACHE_ROOT / PRISMA_VERSION
NETWORK_ERRORS = ("ENOTFOUND", "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EAI_AGAIN", "ENETUNREACH", "network")
GENERATOR = 'generator client {\n  provider   = "prisma-client-js"\n  engineType = "client"\n}\n'
CONFIG = """import { defineConfig } from "prisma/config";
import { PrismaPg } from "@prisma/adapter-pg";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  adapter: async () => new PrismaPg({ connectionString: process.env.DATABASE_URL }),
});
"""
DEFAULT_PLANS = [plan for plan in load_plans(PLANS_DIR) if not plan.optional]


@contextlib.contextmanager
def _install_lock() -> Iterator[None]:
    """One npm install at a time across pytest-xdist workers."""
    CACHE_ROOT.mkdir(parents=True, exist_ok=True)
    with open(CACHE_ROOT / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@pytest.fixture(scope="module")
def prisma_node_modules() -> Path:
    """``node_modules`` holding prisma and @prisma/adapter-pg, installed from the npm registry once."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed, so the Prisma CLI cannot be fetched from the npm registry")
    node_modules = CACHE / "node_modules"
    with _install_lock():
        if not (node_modules / ".bin" / "prisma").exists():
            CACHE.mkdir(parents=True, exist_ok=True)
            (CACHE / "package.json").write_text('{"private": true}\n')
            try:
                result = subprocess.run(
                    [npm, "install", "--no-audit", "--no-fund", "--ignore-scripts",
                     f"prisma@{PRISMA_VERSION}", f"@prisma/adapter-pg@{PRISMA_VERSION}"],
                    cwd=CACHE, capture_output=True, text=True, timeout=300,
                )
            except subprocess.TimeoutExpired:
                pytest.skip("npm registry unreachable: npm install timed out after 300 s")
            if result.returncode != 0:
                output = result.stderr + result.stdout
                if any(word in output for word in NETWORK_ERRORS):
                    reason = next((line for line in output.splitlines() if any(w in line for w in NETWORK_ERRORS)), "")
                    pytest.skip(f"npm registry unreachable: {reason.strip()}")
                pytest.fail(f"npm install prisma@{PRISMA_VERSION} failed:\n{output[-2000:]}")
    return node_modules


def _node_url(libpq_url: str) -> str:
    """node-postgres wants a URL, the test server gives a key=value conninfo."""
    params = conninfo.conninfo_to_dict(libpq_url)
    user = quote(str(params.get("user", "")), safe="")
    password = quote(str(params.get("password", "")), safe="")
    credentials = f"{user}:{password}@" if password else f"{user}@"
    return f"postgresql://{credentials}{params.get('host', '127.0.0.1')}:{params.get('port', 5432)}/{params['dbname']}"


def _project(tmp_path: Path, node_modules: Path, schema: str) -> Path:
    project = tmp_path / "api"
    (project / "prisma").mkdir(parents=True)
    (project / "node_modules").symlink_to(node_modules)
    (project / "prisma.config.ts").write_text(CONFIG)
    (project / "prisma" / "schema.prisma").write_text(schema)
    export_plans(DEFAULT_PLANS, project / "prisma" / "migrations")
    return project


def _prisma(
    project: Path, database_url: str, *args: str, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": _node_url(database_url),
        "CHECKPOINT_DISABLE": "1",
        "PRISMA_HIDE_UPDATE_MESSAGE": "1",
        **(extra_env or {}),
    }
    return subprocess.run(
        [str(project / "node_modules" / ".bin" / "prisma"), *args],
        cwd=project, capture_output=True, text=True, timeout=180, env=env,
    )


def _diagnosis(result: subprocess.CompletedProcess[str]) -> dict[str, object]:
    """Prisma's own verdict on the history (schema engine ``diagnoseMigrationHistory``), from its debug log.

    ``migrate status`` prints only part of it; ``editedMigrationNames`` is where the engine says whether
    a recorded checksum matches migration.sql.
    """
    match = re.search(r'"diagnoseResult": ("(?:[^"\\]|\\.)*")', result.stderr)
    assert match, result.stderr
    document: dict[str, object] = json.loads(json.loads(match.group(1)))
    return document


STATUS_DEBUG = {"DEBUG": "prisma:migrate:status"}

# Prisma 6 requires the url even though the adapter connects; an unparseable schema would make the CLI fall
# back to its defaults and fetch a native query engine.
MINIMAL_SCHEMA = GENERATOR + 'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n'


def test_migrate_status_reports_recorded_plans_as_applied(
    prisma_node_modules: Path, baseline_db: str, tmp_path: Path
) -> None:
    apply(baseline_db, ApplyOptions(plans_dir=PLANS_DIR, record_prisma=True))
    project = _project(tmp_path, prisma_node_modules, MINIMAL_SCHEMA)
    result = _prisma(project, baseline_db, "migrate", "status", extra_env=STATUS_DEBUG)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 migrations found in prisma/migrations" in result.stdout
    assert "Database schema is up to date!" in result.stdout
    assert _diagnosis(result) == {
        "editedMigrationNames": [], "failedMigrationNames": [], "hasMigrationsTable": True, "history": None,
    }


def test_migrate_status_reports_unrecorded_plans_as_not_applied(
    prisma_node_modules: Path, baseline_db: str, tmp_path: Path
) -> None:
    """The control: without --record-prisma Prisma does not know the plans ran."""
    apply(baseline_db, ApplyOptions(plans_dir=PLANS_DIR))
    project = _project(tmp_path, prisma_node_modules, MINIMAL_SCHEMA)
    result = _prisma(project, baseline_db, "migrate", "status")
    assert result.returncode == 1
    assert "Following migrations have not yet been applied:" in result.stdout
    assert "20260112000001_critical_production_fixes" in result.stdout


def test_prisma_compares_the_recorded_checksum_with_migration_sql(
    prisma_node_modules: Path, baseline_db: str, tmp_path: Path
) -> None:
    """Prisma's engine checks our checksum: once migration.sql is edited it names the migration as edited."""
    apply(baseline_db, ApplyOptions(plans_dir=PLANS_DIR, record_prisma=True))
    project = _project(tmp_path, prisma_node_modules, MINIMAL_SCHEMA)
    edited = project / "prisma" / "migrations" / "20260112000002_marketplace_schema" / "migration.sql"
    edited.write_text(edited.read_text() + "-- edited after it was applied\n")
    result = _prisma(project, baseline_db, "migrate", "status", extra_env=STATUS_DEBUG)
    assert _diagnosis(result)["editedMigrationNames"] == ["20260112000002_marketplace_schema"]


def test_prisma_validates_the_documented_snippet(prisma_node_modules: Path, empty_db: str, tmp_path: Path) -> None:
    schema = snippet().replace('generator client {\n  provider = "prisma-client-js"\n}\n', GENERATOR)
    assert 'engineType = "client"' in schema
    project = _project(tmp_path, prisma_node_modules, schema)
    result = _prisma(project, empty_db, "validate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is valid" in result.stdout


def test_prisma_accepts_the_completed_seed_models(prisma_node_modules: Path, empty_db: str, tmp_path: Path) -> None:
    """The fixture is the seed's models made parseable, not a schema only our parser accepts."""
    seed_models = (Path(__file__).parent / "fixtures" / "seed_models.prisma").read_text(encoding="utf-8")
    project = _project(tmp_path, prisma_node_modules, seed_models)
    result = _prisma(project, empty_db, "validate")
    assert result.returncode == 0, result.stdout + result.stderr
