"""A real PostgreSQL server for the test suite, started from the installed binaries.

It runs in a temporary folder on a free port and is stopped at the end of the session.
As root (CI containers), the server runs as the `postgres` system user, since PostgreSQL
refuses to run as root.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    pass


def find_bindir() -> Path | None:
    explicit = os.environ.get("WARROOM_TEST_PG_BINDIR")
    candidates = [explicit] if explicit else []
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        candidates.append(out.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for candidate in candidates:
        if (
            candidate
            and (Path(candidate) / "initdb").exists()
            and (Path(candidate) / "pg_ctl").exists()
        ):
            return Path(candidate)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """A PostgreSQL server of its own in a temporary folder. The suite's turn fsync and
    synchronous commits off for speed; `durable` keeps them on, as in production (the
    benchmarks: a commit waits for the disk)."""

    def __init__(self, *, durable: bool = False) -> None:
        self.durable = durable
        bindir = find_bindir()
        if bindir is None:
            raise PostgresUnavailable(
                "PostgreSQL server binaries (initdb, pg_ctl) were not found; install the "
                "Debian package `postgresql` or set WARROOM_TEST_PG_BINDIR"
            )
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="warroom-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.user = "postgres"
        self._as_root = os.geteuid() == 0

    def _cmd(self, *args: str) -> list[str]:
        if self._as_root:
            return ["runuser", "-u", "postgres", "--", *args]
        return list(args)

    def _run(self, *args: str) -> None:
        result = subprocess.run(self._cmd(*args), capture_output=True, text=True)
        if result.returncode != 0:
            raise PostgresUnavailable(f"{' '.join(args)} failed:\n{result.stdout}{result.stderr}")

    def start(self) -> PostgresServer:
        if self._as_root:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            self.user,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        )
        return self.resume()

    def pause(self) -> None:
        """Stop the server as an outage would (connections cut), keeping its data."""
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def resume(self) -> PostgresServer:
        """Start the server (again) on the same port and data."""
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
        if not self.durable:
            options += "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
        options += "-c max_connections=200"
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.root / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.1)
        raise PostgresUnavailable("PostgreSQL did not start listening in 30 s")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        subprocess.run(
            self._cmd(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"),
            capture_output=True,
        )
        shutil.rmtree(self.root, ignore_errors=True)
