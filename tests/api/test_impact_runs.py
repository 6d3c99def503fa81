"""Impact runs as background jobs: 202 and a Location, then queued, running, succeeded or
failed; a job whose worker died is retried or failed once its lease runs out."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from support.api import ApiWorld, api_world
from support.request_logs import write_small_log
from warroom.cli.worker import job_worker
from warroom.services import jobs
from warroom.services.context import utc_now
from warroom.store import jobs as job_store
from warroom.store.database import Database

INC = "INC-2025-1108-001"


@pytest.fixture
def runs(any_db: Database, tmp_path: Path) -> Iterator[ApiWorld]:
    write_small_log(tmp_path / "requests.parquet")
    with api_world(any_db, tmp_path, requests=tmp_path / "requests.parquet") as world:
        world.import_reference()
        yield world


def _worker(world: ApiWorld, **options: object) -> jobs.Worker:
    sources = Path(world.client.app.state.warroom.settings.sources_file)
    worker: jobs.Worker = job_worker(world.context("Ada Admin"), sources)
    return dataclasses.replace(worker, **options)


@pytest.mark.postgres
def test_it_runs_an_impact_analysis_as_a_job(runs: ApiWorld) -> None:
    started = runs.post(
        f"/api/v1/incidents/{INC}/impact-runs",
        as_="Riley Responder",
        json={"source": "test", "customers": "default", "policy": "default"},
    )
    assert started.status_code == 202, started.text
    job = started.json()
    assert job["state"] == "queued" and job["result"] is None
    location = started.headers["Location"]
    assert location.endswith(f"/api/v1/impact-runs/{job['id']}")
    assert runs.get(location).json()["state"] == "queued"
    assert _worker(runs).run_one()
    done = runs.get(location, as_="Riley Responder").json()
    assert done["state"] == "succeeded" and done["progress"] == 1.0 and done["error"] is None
    result = done["result"]
    assert (
        result["customers_affected"],
        result["users_affected"],
        result["transactions_affected"],
    ) == (2, 4, 5)
    assert (result["requests_total"], result["requests_failed"]) == (40, 17)
    assert result["customers_total"] == 2
    assert runs.get(f"/api/v1/incidents/{INC}/impact").json() == result
    from warroom.store import audit

    with runs.db.reading() as conn:
        entry = audit.entries(conn, action_prefix="impact.analyse")[-1]
    assert entry.actor == "Riley Responder" and entry.channel == "api"
    assert entry.token_id == runs.token_ids["Riley Responder"]


def test_it_fails_a_job_with_a_clear_message(runs: ApiWorld) -> None:
    started = runs.post(f"/api/v1/incidents/{INC}/impact-runs", json={"source": "broken"})
    assert started.status_code == 202
    assert _worker(runs).run_one()
    failed = runs.get(started.headers["Location"]).json()
    assert failed["state"] == "failed" and failed["result"] is None
    assert "missing.parquet" in failed["error"]
    with runs.db.reading() as conn:
        from warroom.store import impact

        assert impact.latest(conn, INC) is None  # nothing stored


def test_it_refuses_a_name_that_is_not_configured(runs: ApiWorld) -> None:
    response = runs.post(f"/api/v1/incidents/{INC}/impact-runs", json={"source": "/etc/passwd"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "source"
    response = runs.post(f"/api/v1/incidents/{INC}/impact-runs", json={"source": "nope"})
    assert response.status_code == 422 and "no request log named 'nope'" in response.text


@pytest.mark.postgres
def test_it_retries_a_job_whose_worker_died(runs: ApiWorld) -> None:
    started = runs.post(f"/api/v1/incidents/{INC}/impact-runs", json={"source": "test"})
    job_id = started.json()["id"]
    dead = _worker(runs, name="dead-worker")
    claimed = dead.claim()  # ... and then the process died: no heartbeat, no outcome
    assert claimed is not None and claimed.id == job_id
    assert runs.get(started.headers["Location"]).json()["state"] == "running"
    alive = _worker(runs)
    assert not alive.run_one()  # the lease still holds
    later = _worker(runs, clock=lambda: utc_now() + timedelta(minutes=5))
    assert later.run_one()
    done = runs.get(started.headers["Location"]).json()
    assert done["state"] == "succeeded" and done["attempts"] == 2


def test_it_fails_a_job_that_ran_out_of_tries(runs: ApiWorld) -> None:
    started = runs.post(f"/api/v1/incidents/{INC}/impact-runs", json={"source": "test"})
    now = utc_now()
    for attempt in range(jobs.DEFAULT_MAX_ATTEMPTS):
        dying = _worker(
            runs, name=f"dying-{attempt}", clock=lambda a=attempt: now + timedelta(minutes=5 * a)
        )
        assert dying.claim() is not None
    last = _worker(runs, clock=lambda: now + timedelta(hours=1))
    assert not last.run_one()
    failed = runs.get(started.headers["Location"]).json()
    assert failed["state"] == "failed" and "stopped" in failed["error"]
    assert failed["attempts"] == jobs.DEFAULT_MAX_ATTEMPTS


@pytest.mark.postgres
def test_it_runs_each_job_once_with_concurrent_workers(any_db: Database, tmp_path: Path) -> None:
    write_small_log(tmp_path / "requests.parquet")
    with api_world(any_db, tmp_path, requests=tmp_path / "requests.parquet") as world:
        world.import_reference()
        ids = {
            world.post(f"/api/v1/incidents/{INC}/impact-runs", json={"source": "test"}).json()["id"]
            for _ in range(4)
        }
        counts: list[int] = []
        workers = [_worker(world, name=f"w{n}") for n in range(3)]
        threads = [
            threading.Thread(
                target=lambda w=w: counts.append(w.run(threading.Event(), until_idle=True))
            )
            for w in workers
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert sum(counts) == 4
        with world.db.reading() as conn:
            found = [job_store.get(conn, i) for i in ids]
        assert all(j is not None and j.state == "succeeded" and j.attempts == 1 for j in found)
