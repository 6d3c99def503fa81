"""Every failure is one line and a documented exit code, never a traceback (docs/security.md)."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.cli_world import REFERENCE_INCIDENT, Call, cli
from warroom.cli import app as cli_app

EXIT_REFUSED, EXIT_NOT_ALLOWED, EXIT_DATABASE, EXIT_BUG, EXIT_INTERRUPTED = 1, 3, 4, 70, 130


def one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def call(capsys: pytest.CaptureFixture[str]) -> Call:
    return cli(capsys)


def test_an_unreachable_postgresql_is_a_message(call: Call) -> None:
    url = f"postgresql://warroom@127.0.0.1:{free_port()}/warroom"
    code, _, err = call("--database", url, "incident", "list")
    assert code == EXIT_DATABASE
    assert "cannot reach the database" in one_line(err) and "127.0.0.1" in err


def test_a_missing_postgresql_database_is_a_message(call: Call, pg_server: object) -> None:
    url = pg_server.url("no_such_database")  # type: ignore[attr-defined]
    code, _, err = call("--database", url, "incident", "list")
    assert code == EXIT_DATABASE
    assert "no_such_database" in one_line(err)


def test_a_database_warroom_does_not_support_is_named(call: Call) -> None:
    code, _, err = call("--database", "mysql://root@localhost/warroom", "incident", "list")
    assert code == EXIT_REFUSED
    assert "mysql://, which warroom does not support" in one_line(err)


def test_a_sqlite_file_in_a_missing_folder_is_a_message(call: Call, tmp_path: Path) -> None:
    code, _, err = call("--database", f"sqlite:///{tmp_path / 'gone' / 'w.db'}", "init")
    assert code == EXIT_DATABASE
    assert "folder does not exist" in one_line(err)


def test_a_database_locked_for_too_long_is_a_message(
    call: Call, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from warroom.store import database

    path = tmp_path / "w.db"
    assert call("--database", f"sqlite:///{path}", "--as", "Ada", "init")[0] == 0
    assert (
        call(
            "--database",
            f"sqlite:///{path}",
            "--as",
            "Ada",
            "incident",
            "import",
            REFERENCE_INCIDENT,
        )[0]
        == 0
    )
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 200)
    monkeypatch.setattr(database, "WRITE_DEADLINE_S", 1.0)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # someone else's long write
    try:
        code, _, err = call(
            "--database",
            f"sqlite:///{path}",
            "--as",
            "Ada",
            "event",
            "add",
            "INC-2025-1108-001",
            "a note",
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code == EXIT_DATABASE
    assert "busy" in one_line(err) and "nothing was changed" in err


def test_a_bug_says_so_in_one_line_and_shows_the_traceback_with_debug(
    call: Call, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from warroom.services import incidents

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("division by zero")

    path = tmp_path / "w.db"
    assert call("--database", f"sqlite:///{path}", "--as", "Ada", "init")[0] == 0
    monkeypatch.setattr(incidents, "list_incidents", broken)
    code, _, err = call("--database", f"sqlite:///{path}", "--as", "Ada", "incident", "list")
    assert code == EXIT_BUG
    assert "this is a bug" in one_line(err) and "ZeroDivisionError" in err
    code, _, err = call(
        "--debug", "--database", f"sqlite:///{path}", "--as", "Ada", "incident", "list"
    )
    assert code == EXIT_BUG and "Traceback" in err


def test_not_allowed_is_exit_code_3(call: Call, tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    assert call("--database", f"sqlite:///{path}", "--as", "Ada", "init")[0] == 0
    code, _, err = call(
        "--database",
        f"sqlite:///{path}",
        "--as",
        "Mallory",
        "incident",
        "declare",
        "x",
        "-s",
        "SEV-1",
    )
    assert code == EXIT_NOT_ALLOWED and "not a registered user" in one_line(err)


def test_the_documented_exit_codes_are_the_ones_used() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "security.md").read_text()
    for name in (
        "EXIT_REFUSED",
        "EXIT_USAGE",
        "EXIT_NOT_ALLOWED",
        "EXIT_DATABASE",
        "EXIT_FILE",
        "EXIT_BUG",
        "EXIT_INTERRUPTED",
    ):
        assert f"| {getattr(cli_app, name)} |" in docs, name


def running(process: subprocess.Popen[str], database: Path, timeout: float = 60.0) -> None:
    """Wait until `process` has `database` open (Linux: its /proc fd links), or ended."""
    deadline = time.monotonic() + timeout
    wanted = str(database.resolve())
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return
        try:
            links = [os.readlink(f) for f in Path(f"/proc/{process.pid}/fd").iterdir()]
        except OSError:  # between fork and exec, or a descriptor closed meanwhile
            links = []
        if wanted in links:
            return
        time.sleep(0.002)
    raise AssertionError(f"process {process.pid} never opened {database}")


def test_ctrl_c_at_any_moment_is_one_line_and_stores_nothing_half(tmp_path: Path) -> None:
    """Interrupt `warroom impact` at several moments: loading, scanning, storing."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from support.request_logs import T0

    rows = 2_000_000
    ts = pa.array([T0.timestamp() * 1_000_000 + i * 100 for i in range(rows)], pa.int64()).cast(
        pa.timestamp("us", tz="UTC")
    )
    table = pa.table(
        {
            "ts": ts,
            "customer_id": pa.array([f"c{i % 500}" for i in range(rows)]),
            "user_id": pa.array([f"u{i % 5000}" for i in range(rows)]),
            "status": pa.array([503 if i % 7 == 0 else 200 for i in range(rows)], pa.int32()),
        }
    )
    pq.write_table(table, tmp_path / "requests.parquet", row_group_size=200_000)
    env = {
        **os.environ,
        "WARROOM_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}",
        "WARROOM_USER": "Ada Admin",
    }
    for argv in (["init"], ["incident", "import", str(REFERENCE_INCIDENT)]):
        subprocess.run(
            [sys.executable, "-m", "warroom", *argv], env=env, check=True, capture_output=True
        )
    interrupted = 0
    for delay in (0.05, 0.15, 0.3, 0.6, 1.0, 1.5):
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "warroom",
                "impact",
                "INC-2025-1108-001",
                "--requests",
                str(tmp_path / "requests.parquet"),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # counted from when the command runs (it opened the database): before Python's
        # and warroom's handlers are in place a Ctrl-C ends any program by the signal or
        # with Python's traceback, and on a busy machine that can take a while
        running(process, tmp_path / "w.db")
        time.sleep(delay)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=120)
        assert "Traceback" not in err, err
        if process.returncode == -signal.SIGINT:
            # the command had finished (its output is whole) and the interpreter was
            # shutting down, when Python no longer handles the signal itself
            assert "Impact of INC-2025-1108-001" in out and "Evidence:" in out, (delay, err)
            continue
        assert process.returncode in (0, EXIT_INTERRUPTED), err
        if process.returncode == EXIT_INTERRUPTED:
            interrupted += 1
            assert "Interrupted" in err and "nothing was stored" in err
    assert interrupted >= 2  # the early interruptions did land
    shown = subprocess.run(
        [sys.executable, "-m", "warroom", "impact", "INC-2025-1108-001", "--json"],
        env=env,
        capture_output=True,
        text=True,
    )
    # either no analysis was stored, or whole ones were: never a half-written record
    assert shown.returncode in (0, 1) and "Traceback" not in shown.stderr
