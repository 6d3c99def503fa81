"""Real peers: a real Alertmanager sends real webhooks to a running `warroom serve
--workers 2` on a real PostgreSQL, which the tests stop and start again mid-stream.

Never lose, never duplicate: whatever the outage, every alert Alertmanager fired ends up
stored exactly once, because warroom answers 503 while the database is away and
Alertmanager retries 5xx.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from support.alertmanager import Alertmanager
from support.people import register_people
from support.pg_server import PostgresServer, PostgresUnavailable
from warroom.services import tokens
from warroom.services.context import Context
from warroom.store.database import Database

pytestmark = pytest.mark.postgres
FIXTURES = Path(__file__).parent.parent / "fixtures" / "alertmanager"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Stack:
    pg: PostgresServer
    url: str
    base: str
    intake_token: str
    admin_token: str
    log: Path

    def count(self, sql: str, **params: object) -> int:
        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                return int(conn.execute(text(sql), params).scalar_one())
        finally:
            engine.dispose()

    def alerts_named(self, name: str) -> int:
        return self.count("SELECT count(*) FROM alerts WHERE name = :n", n=name)


def wait_for(check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # the database may be restarting
            pass
        time.sleep(0.25)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    """A PostgreSQL of its own (the tests stop it), migrated, with people and tokens, and
    `warroom serve --workers 2` on it."""
    from support.outside import need

    try:
        pg = PostgresServer().start()
    except PostgresUnavailable as exc:
        need("PostgreSQL", str(exc))
        raise
    try:
        admin_engine = create_engine(pg.url(), isolation_level="AUTOCOMMIT")
        with admin_engine.connect() as conn:
            conn.execute(text("CREATE DATABASE warroom"))
        admin_engine.dispose()
        url = pg.url("warroom")
        db = Database(url)
        db.migrate()
        register_people(db)
        admin = Context(db=db, actor="Ada Admin")
        _, intake_token = tokens.create(admin, "alertmanager", scope=tokens.Scope.INTAKE)
        _, admin_token = tokens.create(admin, "Ada Admin")
        db.dispose()
        port = free_port()
        log = tmp_path / "serve.log"
        env = {**os.environ, "WARROOM_DATABASE_URL": url, "WARROOM_USER": "Ada Admin"}
        with log.open("wb") as err:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "warroom",
                    "serve",
                    "--port",
                    str(port),
                    "--workers",
                    "2",
                    "--no-jobs",
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=err,
                start_new_session=True,  # its workers are its process group
            )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for(
                lambda: httpx.get(f"{base}/readyz", timeout=2).status_code == 200,
                "warroom serve to get ready",
                timeout=90,
            )
            yield Stack(pg, url, base, intake_token, admin_token, log)
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)  # the workers too
    finally:
        pg.stop()


def alertmanager(stack: Stack, tmp_path: Path) -> Alertmanager:
    """An Alertmanager pointed at the stack; `with` starts it and stops it after."""
    return Alertmanager(
        webhook_url=f"{stack.base}/api/v1/intake/alertmanager",
        bearer_token=stack.intake_token,
        root=tmp_path / "am",
    )


def test_alertmanager_fires_and_resolves_into_warroom(stack: Stack, tmp_path: Path) -> None:
    with alertmanager(stack, tmp_path) as am:
        labels = {"alertname": "CheckoutErrors", "service": "checkout", "severity": "critical"}
        am.fire(labels, annotations={"summary": "5xx above 5%"})
        wait_for(lambda: stack.alerts_named("CheckoutErrors") == 1, "the alert")
        wait_for(lambda: stack.count("SELECT count(*) FROM incidents") == 1, "the incident")
        am.resolve(labels)
        wait_for(
            lambda: stack.count("SELECT count(*) FROM alerts WHERE status = 'resolved'") == 1,
            "the resolution",
        )
    incident = httpx.get(
        f"{stack.base}/api/v1/incidents", headers={"Authorization": f"Bearer {stack.admin_token}"}
    ).json()
    [row] = incident["data"]
    shown = httpx.get(
        f"{stack.base}/api/v1/incidents/{row['id']}",
        headers={"Authorization": f"Bearer {stack.admin_token}"},
    ).json()
    texts = [e["text"] for e in shown["timeline"]]
    assert "Alert firing: CheckoutErrors - 5xx above 5%" in texts
    assert any(t.startswith("Alert resolved: CheckoutErrors") for t in texts)
    assert shown["status"] == "investigating"  # resolved by people


def test_a_database_outage_ends_with_exactly_one_stored_alert(stack: Stack, tmp_path: Path) -> None:
    with alertmanager(stack, tmp_path) as am:
        stack.pg.pause()
        try:
            am.fire({"alertname": "DiskFull", "service": "db", "severity": "critical"})
            time.sleep(3)  # Alertmanager delivers, warroom answers 503, Alertmanager retries
            answer = httpx.post(
                f"{stack.base}/api/v1/intake/alertmanager",
                content=(FIXTURES / "alertmanager-0.25-webhook-firing-amtool.json").read_bytes(),
                headers={
                    "Authorization": f"Bearer {stack.intake_token}",
                    "Content-Type": "application/json",
                },
                timeout=30,
            )
            assert answer.status_code == 503 and answer.headers["Retry-After"]
        finally:
            stack.pg.resume()
        wait_for(lambda: stack.alerts_named("DiskFull") == 1, "the retried alert", 90)
        time.sleep(4)  # further repeats and retries change nothing
    assert stack.alerts_named("DiskFull") == 1
    assert stack.count("SELECT count(*) FROM incidents") == 1
    assert stack.count("SELECT count(*) FROM timeline_entries WHERE kind = 'detected'") == 1
    exposed = httpx.get(f"{stack.base}/metrics").text
    assert 'outcome="unavailable",source="alertmanager"' in exposed


def test_postgresql_restarted_mid_stream_loses_nothing(stack: Stack, tmp_path: Path) -> None:
    names = [f"Stream{i:02d}" for i in range(16)]
    with alertmanager(stack, tmp_path) as am:
        for i, name in enumerate(names):
            am.fire({"alertname": name, "service": f"svc{i}", "severity": "critical"})
            if i == 6:
                stack.pg.pause()
            if i == 10:
                stack.pg.resume()
            time.sleep(0.3)
        wait_for(
            lambda: stack.count("SELECT count(*) FROM alerts") == len(names),
            "every alert of the stream",
            120,
        )
        time.sleep(4)
    for name in names:
        assert stack.alerts_named(name) == 1, name
    assert stack.count("SELECT count(*) FROM incidents") == len(names)


def test_two_workers_receiving_the_same_alerts_store_them_once(stack: Stack) -> None:
    payload = (FIXTURES / "alertmanager-0.25-webhook-group-two-alerts.json").read_bytes()
    headers = {"Authorization": f"Bearer {stack.intake_token}", "Content-Type": "application/json"}

    def deliver(_n: int) -> tuple[int, list[str]]:
        answer = httpx.post(
            f"{stack.base}/api/v1/intake/alertmanager", content=payload, headers=headers, timeout=60
        )
        return answer.status_code, [a["outcome"] for a in answer.json()["alerts"]]

    with ThreadPoolExecutor(24) as pool:
        results = list(pool.map(deliver, range(48)))
    assert {code for code, _ in results} == {200}
    outcomes = [o for _, found in results for o in found]
    assert outcomes.count("created") == 2 and outcomes.count("duplicate") == 94
    assert stack.count("SELECT count(*) FROM alerts") == 2
    served_by = {
        line.get("pid")
        for line in map(_json, stack.log.read_text().splitlines())
        if line.get("path") == "/api/v1/intake/alertmanager"
    }
    assert len(served_by - {None}) == 2  # both worker processes took deliveries


def _json(line: str) -> dict[str, object]:
    try:
        found = json.loads(line)
    except json.JSONDecodeError:
        return {}
    return found if isinstance(found, dict) else {}
