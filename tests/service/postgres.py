"""A private PostgreSQL cluster for the service's tests: its own temporary folder, port and
socket, trust authentication on the loopback only, no fsync. Nothing of the machine's own
PostgreSQL is used or touched: `stop()` asks pg_ctl to stop the postmaster of this data
folder, then removes the folder.

PostgreSQL refuses to run as root; as root the server programs run as the `postgres` user
(runuser), in a folder given to it.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import psycopg
from psycopg import sql

USER = "mrtd"
BINARIES = ("initdb", "pg_ctl", "pg_isready")
DATABASE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class PostgresUnavailableError(Exception):
    """PostgreSQL cannot be run here: no binaries, or no `postgres` user to run them as root."""


def find_bindir() -> Path | None:
    """The folder of the newest PostgreSQL's initdb and pg_ctl (Debian's layout), else PATH's."""
    override = os.environ.get("MRTD_PG_BINDIR")
    candidates = [Path(override)] if override else []

    def version(folder: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", folder.parent.name))

    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    initdb = shutil.which("initdb")
    if initdb is not None:
        candidates.append(Path(initdb).parent)
    for folder in candidates:
        if all((folder / name).is_file() for name in BINARIES):
            return folder
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresCluster:
    """One PostgreSQL server for a test session: `start()`, `create_database(name)` (a URL),
    `stop()`; or use it as a context manager."""

    def __init__(self, bindir: Path | None = None) -> None:
        found = bindir or find_bindir()
        if found is None:
            raise PostgresUnavailableError(
                "PostgreSQL's server programs (initdb, pg_ctl) are not installed "
                "(Debian: postgresql; or set MRTD_PG_BINDIR)"
            )
        self.bindir = found
        self._runas: list[str] = []
        self._owner: tuple[int, int] | None = None
        if os.geteuid() == 0:
            try:
                entry = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailableError(
                    "PostgreSQL refuses to run as root and there is no 'postgres' user"
                ) from None
            runuser = shutil.which("runuser") or "/usr/sbin/runuser"
            self._runas = [runuser, "-u", "postgres", "--"]
            self._owner = (entry.pw_uid, entry.pw_gid)
        self.folder: Path | None = None
        self.port = 0

    @property
    def data(self) -> Path:
        assert self.folder is not None, "the cluster is not started"
        return self.folder / "data"

    def _run(self, program: str, *args: str, timeout: float = 60) -> None:
        command = [*self._runas, str(self.bindir / program), *args]
        done = subprocess.run(
            command, cwd=self.folder, capture_output=True, text=True, timeout=timeout, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{program} failed ({done.returncode}): {done.stderr.strip() or done.stdout}"
            )

    def start(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="mrtd-pg-"))
        try:
            if self._owner is not None:
                os.chown(self.folder, *self._owner)
            self._run(
                "initdb", "-D", str(self.data), "-U", USER, "-A", "trust", "-E", "UTF8",
                "--locale=C", "--no-sync", "--no-instructions",
            )  # fmt: skip
            self._start_server()
        except BaseException:
            with contextlib.suppress(RuntimeError, OSError, subprocess.TimeoutExpired):
                self.stop()  # a server that started too late goes too
            self._remove_folder()
            raise

    def _start_server(self, attempts: int = 3) -> None:
        assert self.folder is not None
        for attempt in range(attempts):
            self.port = _free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -p {self.port} "
                f"-c unix_socket_directories={self.folder} -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off"
            )
            try:
                self._run(
                    "pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data),
                    "-l", str(self.folder / "server.log"), "-o", options,
                )  # fmt: skip
            except RuntimeError:
                if attempt == attempts - 1:  # the port may have been taken meanwhile
                    raise RuntimeError(f"PostgreSQL did not start: {self.log_tail()}") from None
                continue
            self._wait_ready()
            return

    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._run("pg_isready", "-q", "-h", "127.0.0.1", "-p", str(self.port), "-U", USER)
                return
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def log_tail(self, lines: int = 20) -> str:
        if self.folder is None:
            return ""
        try:
            text = (self.folder / "server.log").read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def url(self, database: str = "postgres", *, password: str | None = None) -> str:
        """The SQLAlchemy URL of a database (trust authentication ignores the password)."""
        credentials = USER if password is None else f"{USER}:{password}"
        return f"postgresql://{credentials}@127.0.0.1:{self.port}/{database}"

    def _admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=USER, dbname="postgres", autocommit=True
        )

    def create_database(self, name: str) -> str:
        """A new empty database; its URL."""
        if DATABASE_NAME.fullmatch(name) is None:
            raise ValueError(f"not a plain database name: {name!r}")
        with self._admin() as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def checkpoint(self) -> None:
        """Write what the server holds in shared buffers to the data folder's files."""
        with self._admin() as connection:
            connection.execute("CHECKPOINT")

    def drop_database(self, name: str) -> None:
        if DATABASE_NAME.fullmatch(name) is None:
            raise ValueError(f"not a plain database name: {name!r}")
        with self._admin() as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def stop(self) -> None:
        """Stop the server of this data folder (pg_ctl reads its postmaster.pid) and remove the
        folder. Safe to call twice, or after a failed start."""
        if self.folder is None:
            return
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "stop", "-m", "fast", "-w", "-D", str(self.data))
        finally:
            self._remove_folder()

    def _remove_folder(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def __enter__(self) -> PostgresCluster:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
