"""The throwaway server behind `demo` and the tests: starts anywhere (even as root), always cleans up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import psycopg

from bhq_migrate.embedded import EmbeddedPostgres
from tests.helpers import REPO_ROOT, wait_for_exit


def test_server_accepts_password_logins_and_is_removed_on_exit() -> None:
    with EmbeddedPostgres() as server:
        with psycopg.connect(server.url) as conn:
            assert conn.execute("SELECT current_user").fetchone() == ("postgres",)
        assert server._root is not None and server._process is not None
        root, pid = server._root, server._process.pid
    assert not root.exists()
    assert not _alive(pid)


def test_server_runs_unprivileged_when_started_as_root() -> None:
    with EmbeddedPostgres() as server, psycopg.connect(server.url) as conn:
        data_directory = conn.execute("SHOW data_directory").fetchone()
        owner = os.stat(data_directory[0]).st_uid if data_directory else -1
    assert owner != 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").exists() and Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def _server_started_by(parent: int) -> tuple[int, Path] | None:
    """The postmaster that ``parent`` started, and its cluster directory (read from its -D argument)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            arguments = (stat.parent / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if int(fields[1]) == parent and b"-D" in arguments:
            data = Path(arguments[arguments.index(b"-D") + 1].decode())
            return int(stat.parent.name), data.parent
    return None


def test_ctrl_c_during_demo_stops_and_deletes_the_server() -> None:
    demo = subprocess.Popen(
        [sys.executable, "-m", "bhq_migrate", "demo", "--invoices", "300000"],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYTHONUNBUFFERED": "1"},
    )
    assert demo.stdout is not None
    loading = ""
    while "Loading" not in loading:  # the signal lands while the server is at work; each line is an event
        loading = demo.stdout.readline()
        assert loading or demo.poll() is None, "demo ended before it loaded anything"
    server = _server_started_by(demo.pid)
    assert server is not None, "demo never started its server"
    server_pid, directory = server
    demo.send_signal(signal.SIGINT)
    demo.communicate(timeout=30)
    assert demo.returncode != 0
    assert not directory.exists()
    assert not _alive(server_pid)


def test_sigkill_of_the_owner_takes_the_server_down() -> None:
    script = ("from bhq_migrate.embedded import EmbeddedPostgres\nimport time\n"
              "s = EmbeddedPostgres().start()\nprint(s._process.pid, flush=True)\nimport signal\nsignal.pause()\n")
    owner = subprocess.Popen([sys.executable, "-c", script], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert owner.stdout is not None
    server_pid = int(owner.stdout.readline())
    owner.kill()
    owner.wait()
    assert wait_for_exit(server_pid)  # PR_SET_PDEATHSIG acts at once
    assert not _alive(server_pid)
