"""`warroom serve --workers 2` for real: two server processes on PostgreSQL, over loopback.

It answers /readyz, serves concurrent requests from both processes, adds up their
metrics, and on SIGTERM finishes the request in flight (a PDF) before exiting 0.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from support.cli_world import REFERENCE_INCIDENT
from support.people import register_people
from warroom.formats.incident_file import read_incident_file
from warroom.services import incidents, tokens
from warroom.services.context import Context
from warroom.store.database import Database

pytestmark = pytest.mark.postgres
INC = "INC-2025-1108-001"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    base: str
    token: str
    log: Path

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def log_lines(self) -> list[dict[str, object]]:
        lines = []
        for line in self.log.read_text().splitlines():
            if line.startswith("{"):
                lines.append(json.loads(line))
        return lines


@pytest.fixture
def served(postgres_db: Database, tmp_path: Path) -> Iterator[Served]:
    db = postgres_db
    register_people(db)
    admin = Context(db=db, actor="Ada Admin")
    incidents.import_incidents(admin, read_incident_file(REFERENCE_INCIDENT))
    _, token = tokens.create(admin, "Ada Admin")
    db.dispose()
    port = free_port()
    log = tmp_path / "serve.log"
    env = {
        **os.environ,
        "WARROOM_DATABASE_URL": db.url,
        "WARROOM_USER": "Ada Admin",
        "WARROOM_LOG_FORMAT": "json",
    }
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
                "--graceful-timeout",
                "60",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,  # its workers are its process group: none outlives it
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            pytest.fail(f"warroom serve exited early:\n{log.read_text()}")
        time.sleep(0.2)
    else:
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail(f"warroom serve did not get ready:\n{log.read_text()}")
    yield Served(process, base, token, log)
    if process.poll() is None:
        process.terminate()  # as an operator stops it: the workers end with it
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def test_it_serves_from_both_workers_and_adds_up_their_metrics(served: Served) -> None:
    def fetch(_n: int) -> int:
        # a connection per request, so the kernel hands them to either process
        with httpx.Client(headers=served.headers()) as client:
            return client.get(f"{served.base}/api/v1/incidents/{INC}").status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        codes = list(pool.map(fetch, range(120)))
    assert codes == [200] * 120
    pids = {
        line["pid"]
        for line in served.log_lines()
        if line.get("logger") == "warroom.access"
        and line.get("route") == "/api/v1/incidents/{incident_id}"
    }
    assert len(pids) == 2
    text = httpx.get(f"{served.base}/metrics").text
    counted = sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("warroom_http_requests_total{")
        and 'route="/api/v1/incidents/{incident_id}"' in line
    )
    assert counted == 120
    assert 'warroom_db_pool_connections{state="in_use"}' in text


def test_it_finishes_the_request_in_flight_on_sigterm(served: Served) -> None:
    result: dict[str, httpx.Response] = {}

    def download() -> None:
        result["pdf"] = httpx.get(
            f"{served.base}/api/v1/incidents/{INC}/report",
            params={"format": "pdf", "audience": "internal"},
            headers=served.headers(),
            timeout=120,
        )

    thread = threading.Thread(target=download)
    thread.start()
    time.sleep(0.5)  # the PDF takes seconds to render: it is in flight now
    served.process.send_signal(signal.SIGTERM)
    thread.join(timeout=120)
    assert result["pdf"].status_code == 200
    assert result["pdf"].content.startswith(b"%PDF")
    assert served.process.wait(timeout=90) == 0
