"""A throwaway PostgreSQL server for the test run, and a database (schema) of its own for each test.

``pytest`` starts one server when PostgreSQL is installed (Debian: /usr/lib/postgresql/<version>/bin) and stops
it at the end (tests/conftest.py); xdist workers inherit its URL through EXPORTBOT_TEST_DATABASE_URL. Each test
gets its own schema (``?search_path=t_<hash>``, created by the store on first use), so tests and workers never
see each other's rows or locks. The server runs with fsync off in a temporary folder (its socket there too) on a
free port; as root it runs as the ``postgres`` user, which PostgreSQL insists on.

Point EXPORTBOT_TEST_DATABASE_URL at a server of your own to use it instead (a superuser or the owner of the
database: tests create schemas). Without PostgreSQL the PostgreSQL tests are skipped, and the run says so.

bench/throughput_bench.py starts its throwaway server with :class:`ThrowawayPostgres` too (this module imports
pytest only when a test asks for a database).
"""
from __future__ import annotations

import glob
import hashlib
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

URL_ENV = "EXPORTBOT_TEST_DATABASE_URL"
SKIP_ENV = "EXPORTBOT_TEST_POSTGRES_SKIPPED"      # why there is no server (set for the workers)
SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off", "max_connections=300",
            "listen_addresses=127.0.0.1")


def find_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl: the newest /usr/lib/postgresql/*/bin, else the PATH."""
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True):
        if os.access(Path(folder) / "initdb", os.X_OK) and os.access(Path(folder) / "pg_ctl", os.X_OK):
            return Path(folder)
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).parent
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ThrowawayPostgres:
    """initdb + pg_ctl in a temporary folder; ``url`` once started."""

    SETTINGS = SETTINGS

    def __init__(self, binaries: Path):
        self.binaries = binaries
        self.folder = Path(tempfile.mkdtemp(prefix="exportbot-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        if os.geteuid() == 0:                  # PostgreSQL refuses to run as root
            if shutil.which("runuser"):
                command = ("runuser", "-u", "postgres", "--", *command)
            else:
                command = ("su", "postgres", "-s", "/bin/sh", "-c", shlex.join(command))
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def start(self) -> str:
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.folder, user.pw_uid, user.pw_gid)
        self._run(str(self.binaries / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "--encoding=UTF8", "--locale=C", "--no-sync")
        options = " ".join([f"-p {self.port}", f"-k {self.folder}", *(f"-c {s}" for s in self.SETTINGS)])
        self._run(str(self.binaries / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "server.log"),
                  "-o", options, "-w", "-t", "60", "start")
        return self.url

    def stop(self) -> None:
        try:
            self._run(str(self.binaries / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        except (subprocess.SubprocessError, OSError):
            pass
        shutil.rmtree(self.folder, ignore_errors=True)


def start_for_the_run() -> ThrowawayPostgres | None:
    """Start a server unless one is given or PostgreSQL is not installed (then say why, for the skips)."""
    if os.environ.get(URL_ENV):
        return None
    binaries = find_binaries()
    if binaries is None:
        os.environ[SKIP_ENV] = ("PostgreSQL is not installed (no initdb in /usr/lib/postgresql/*/bin or on the PATH; "
                                "Debian: apt-get install postgresql)")
        return None
    server = ThrowawayPostgres(binaries)
    started = time.monotonic()
    try:
        os.environ[URL_ENV] = server.start()
    except (subprocess.SubprocessError, OSError, KeyError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        os.environ[SKIP_ENV] = f"the throwaway PostgreSQL server did not start ({exc}; {detail.decode()[-300:]})"
        server.stop()
        return None
    os.environ["EXPORTBOT_TEST_POSTGRES_STARTUP"] = f"{time.monotonic() - started:.1f}"
    return server


def skip_reason() -> str | None:
    if os.environ.get(URL_ENV):
        return None
    return os.environ.get(SKIP_ENV, "PostgreSQL is not available")


def database_url(key: str) -> str:
    """A PostgreSQL URL for this key (say, a test's tmp_path): its own schema; skips the test without a server."""
    import pytest

    reason = skip_reason()
    if reason is not None:
        pytest.skip(reason)
    base = os.environ[URL_ENV]
    schema = "t_" + hashlib.sha256(key.encode()).hexdigest()[:20]
    return f"{base}{'&' if '?' in base else '?'}search_path={schema}"
