"""`warroom serve` refuses what cannot work; `warroom worker --until-idle` runs the queue."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.api import sources_file
from support.cli_world import REFERENCE_INCIDENT, cli
from support.request_logs import write_small_log
from warroom.formats.sources_file import read_sources_file
from warroom.services import impact_runs, jobs
from warroom.services.context import Context
from warroom.store.database import Database


def test_it_refuses_several_workers_on_sqlite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WARROOM_DATABASE_URL", f"sqlite:///{tmp_path / 'w.db'}")
    call = cli(capsys)
    call("init")
    code, _, err = call("serve", "--workers", "2")
    assert code == 1 and "PostgreSQL" in err


def test_it_refuses_to_serve_a_database_without_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WARROOM_DATABASE_URL", f"sqlite:///{tmp_path / 'w.db'}")
    code, _, err = cli(capsys)("serve")
    assert code == 4 and "warroom init" in err


def test_the_worker_runs_queued_jobs_until_idle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    monkeypatch.setenv("WARROOM_DATABASE_URL", url)
    monkeypatch.setenv("WARROOM_USER", "Ada Admin")
    call = cli(capsys)
    call("init")
    call("incident", "import", REFERENCE_INCIDENT)
    write_small_log(tmp_path / "requests.parquet")
    path = sources_file(tmp_path, tmp_path / "requests.parquet")
    db = Database(url)
    job = impact_runs.start(
        Context(db=db, actor="Ada Admin"),
        "INC-2025-1108-001",
        read_sources_file(path),
        source="test",
    )
    env = {
        **os.environ,
        "WARROOM_DATABASE_URL": url,
        "WARROOM_USER": "Ada Admin",
        "WARROOM_SOURCES_FILE": str(path),
    }
    done = subprocess.run(
        [sys.executable, "-m", "warroom", "worker", "--until-idle"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "1 job(s) run" in done.stderr
    assert '"logger": "warroom.jobs"' in done.stderr  # JSON logs, one object per line
    assert jobs.get_job(Context(db=db, actor="Ada Admin"), job.id).state == "succeeded"
    db.dispose()
