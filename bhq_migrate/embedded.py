"""A throwaway PostgreSQL cluster started from local binaries, for ``demo`` and the test-suite.

Binaries are looked up in this order: ``$BHQ_PG_BINDIR``; the directory of ``initdb`` on ``PATH``;
the newest ``/usr/lib/postgresql/*/bin`` (Debian/Ubuntu) or ``/usr/pgsql-*/bin`` (RHEL); and last the
``pgserver`` wheel (``pip install 'bhq-migrate[embedded]'``), which bundles PostgreSQL.

initdb refuses to run as root, so under root the cluster is owned by and run as an unprivileged user
(``$BHQ_PG_OS_USER``, default ``nobody``). The server is a direct child started with
``PR_SET_PDEATHSIG``, so even a SIGKILL of this process takes the server down with it; the normal path
(including Ctrl-C and SIGTERM) stops it and deletes its directory.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
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


def find_bindir() -> Path:
    """Return a directory holding ``initdb`` and ``postgres``, or raise EmbeddedServerError."""
    candidates: list[Path] = []
    if os.environ.get("BHQ_PG_BINDIR"):
        candidates.append(Path(os.environ["BHQ_PG_BINDIR"]))
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(os.path.realpath(on_path)).parent)
    patterns = (
        "/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin", "/usr/local/pgsql/bin", "/opt/homebrew/opt/postgresql*/bin",
    )
    for pattern in patterns:
        candidates.extend(sorted((Path(p) for p in glob.glob(pattern)), key=_version_key, reverse=True))
    with contextlib.suppress(ImportError):
        import pgserver  # type: ignore[import-not-found]

        candidates.append(Path(pgserver.__file__).parent / "pginstall" / "bin")
    for directory in candidates:
        if (directory / "initdb").is_file() and (directory / "postgres").is_file():
            return directory
    raise EmbeddedServerError(
        "no PostgreSQL binaries found: install PostgreSQL (e.g. apt-get install postgresql), "
        "set BHQ_PG_BINDIR, or pip install 'bhq-migrate[embedded]'"
    )


def _version_key(path: Path) -> tuple[int, ...]:
    digits = "".join(ch if ch.isdigit() else " " for ch in str(path)).split()
    return tuple(int(d) for d in digits)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EmbeddedPostgres:
    """``with EmbeddedPostgres() as pg: use(pg.url)``: a private cluster on 127.0.0.1, gone afterwards."""

    def __init__(self, *, bindir: Path | None = None, os_user: str | None = None) -> None:
        self.bindir = bindir or find_bindir()
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
        self._root = Path(tempfile.mkdtemp(prefix="bhq-pg-"))
        try:
            self._init_cluster()
            self._launch()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)  # fast shutdown: abort sessions, stop cleanly
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        root, self._root = self._root, None
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
            settings = {**_FAST_SETTINGS, "listen_addresses": "127.0.0.1", "port": str(self.port),
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
