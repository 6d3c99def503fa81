"""Benchmark: the public status page under concurrent load while alerts are ingested.

    python benchmarks/status_bench.py [--seconds 10] [--connections 32] [--alert-rate 20]

It makes a scratch SQLite database (an announced incident, an intake token), starts
`warroom serve` on a free loopback port (one process, as SQLite is served), and then,
in the same run:

- floor   ``GET /healthz`` under the same load: the server and HTTP alone;
- status  ``GET /status`` from `--connections` kept-alive connections for `--seconds`,
          each sending its next request as soon as the last is answered (the most the
          server gives), while another process posts Alertmanager webhooks (10 alerts
          each, new ones every time: each opens or joins an incident, so public content
          keeps changing and the status cache keeps refreshing) at `--alert-rate`
          deliveries a second;
- paced   the same, with the requests sent at the target rate (1,000 a second spread over
          the connections) whatever the answers: latency counts from when each request
          was due, so a server that falls behind shows it. Saturated, every request
          queues behind the others, and its p99 measures the queue; paced, it measures
          the page at the rate the target names.

The load comes from separate processes (a small asyncio HTTP/1.1 client, no library),
on the same 2 cores as the server. It prints requests/s, p50 and p99 of each, the
intake's alerts/s and p99 during the load, and both against the targets (status page
≥ 1,000 requests/s with p99 < 50 ms; the intake keeps its own p99 < 250 ms) and the floor.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

TARGET_RPS = 1000
TARGET_P99_MS = 50.0
INTAKE_P99_MS = 100.0  # the intake's own target (issue 10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(folder: Path) -> tuple[str, str]:
    from warroom.domain.audience import Audience
    from warroom.domain.timeline import EntryKind
    from warroom.services import incidents, tokens, users
    from warroom.services.context import Context
    from warroom.store.database import Database

    url = f"sqlite:///{folder / 'bench.db'}"
    db = Database(url)
    db.migrate()
    admin = Context(db=db, actor="Ada Admin")
    users.bootstrap(admin)
    incident = incidents.declare(
        admin,
        title="Checkout errors",
        severity="SEV-2",
        detected_at=datetime.now(UTC) - timedelta(hours=1),
    )
    incidents.add_event(
        admin,
        incident.id,
        kind=EntryKind.UPDATE,
        audience=Audience.PUBLIC,
        text="We are investigating elevated errors on checkout.",
    )
    _, token = tokens.create(admin, "alertmanager", scope=tokens.Scope.INTAKE)
    db.dispose()
    return url, token


def serve(url: str, log: Path) -> tuple[subprocess.Popen[bytes], int]:
    import httpx

    port = free_port()
    env = {
        **os.environ,
        "WARROOM_DATABASE_URL": url,
        "WARROOM_USER": "Ada Admin",
        "WARROOM_LOG_FORMAT": "text",
    }
    with log.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "warroom", "serve", "--port", str(port), "--no-jobs"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return process, port
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.2)
    process.kill()
    raise SystemExit(f"warroom serve did not start:\n{log.read_text()}")


# -- the load: GETs over kept-alive connections ------------------------------------------------


async def _connection(port: int, path: str, until: float, times: list[float]) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n").encode()
    errors = 0
    while time.perf_counter() < until:
        started = time.perf_counter()
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        await reader.readexactly(length)
        if not head.startswith(b"HTTP/1.1 200"):
            errors += 1
        times.append(time.perf_counter() - started)
    writer.close()
    return errors


async def _paced_connection(
    port: int, path: str, until: float, times: list[float], interval: float, first: float
) -> int:
    """Requests due every `interval` seconds from `first`; each one's time counts from
    when it was due (a late answer delays the next one: that wait is counted too)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n").encode()
    errors = 0
    due = first
    while due < until:
        pause = due - time.perf_counter()
        if pause > 0:
            await asyncio.sleep(pause)
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        await reader.readexactly(length)
        if not head.startswith(b"HTTP/1.1 200"):
            errors += 1
        times.append(time.perf_counter() - due)
        due += interval
    writer.close()
    return errors


def load(
    port: int, path: str, connections: int, seconds: float, out: Any, rate: float = 0.0
) -> None:
    """`connections` connections for `seconds`: as fast as answered, or (`rate` > 0)
    sending `rate` requests a second between them."""

    async def main() -> tuple[list[float], int]:
        times: list[float] = []
        start = time.perf_counter()
        until = start + seconds
        if rate > 0:
            interval = connections / rate
            errors = await asyncio.gather(
                *(
                    _paced_connection(
                        port, path, until, times, interval, start + interval * n / connections
                    )
                    for n in range(connections)
                )
            )
        else:
            errors = await asyncio.gather(
                *(_connection(port, path, until, times) for _ in range(connections))
            )
        return times, sum(errors)

    times, errors = asyncio.run(main())
    out.put((times, errors))


def run_load(
    port: int, path: str, connections: int, seconds: float, processes: int = 2, rate: float = 0.0
) -> tuple[list[float], int, float]:
    queue: Any = multiprocessing.Queue()
    share = max(1, connections // processes)
    workers = [
        multiprocessing.Process(
            target=load, args=(port, path, share, seconds, queue, rate / processes)
        )
        for _ in range(processes)
    ]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    results = [queue.get() for _ in workers]
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    times = [t for found, _ in results for t in found]
    return times, sum(e for _, e in results), elapsed


# -- alerts posted meanwhile -------------------------------------------------------------------


def post_alerts(port: int, token: str, rate: float, seconds: float, out: Any) -> None:
    import httpx

    times: list[float] = []
    statuses: dict[int, int] = {}
    alerts = 0
    interval = 1.0 / rate
    with httpx.Client(
        base_url=f"http://127.0.0.1:{port}",
        timeout=30,
        headers={"Authorization": f"Bearer {token}"},
    ) as client:
        until = time.perf_counter() + seconds
        number = 0
        while time.perf_counter() < until:
            begun = time.perf_counter()
            now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
            batch = [
                {
                    "status": "firing",
                    "labels": {
                        "alertname": "HighErrorRate",
                        "service": f"svc-{(number + i) % 5}",
                        "severity": "critical",
                        "instance": f"host-{number}-{i}",
                    },
                    "annotations": {"summary": "5xx above 5%"},
                    "startsAt": now,
                    "fingerprint": f"{number:08x}{i:08x}",
                }
                for i in range(10)
            ]
            body = {
                "version": "4",
                "groupKey": f"bench-{number}",
                "status": "firing",
                "receiver": "warroom",
                "groupLabels": {},
                "commonLabels": {},
                "commonAnnotations": {},
                "externalURL": "http://am",
                "alerts": batch,
            }
            answer = client.post("/api/v1/intake/alertmanager", json=body)
            times.append(time.perf_counter() - begun)
            statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
            alerts += len(batch)
            number += 1
            pause = interval - (time.perf_counter() - begun)
            if pause > 0:
                time.sleep(pause)
    out.put((times, alerts, statuses))


def pct(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--alert-rate",
        type=float,
        default=20.0,
        help="Alertmanager deliveries per second (10 alerts each)",
    )
    args = parser.parse_args()
    print(
        f"status page benchmark — {platform.python_version()}, {os.cpu_count()} cores, "
        f"{args.connections} connections, {args.seconds:.0f} s per measurement"
    )
    with tempfile.TemporaryDirectory(prefix="warroom-status-bench-") as scratch:
        folder = Path(scratch)
        url, token = prepare(folder)
        process, port = serve(url, folder / "serve.log")
        try:
            run_load(port, "/status", 4, 1.0)  # warm up
            floor, floor_errors, floor_s = run_load(
                port, "/healthz", args.connections, args.seconds
            )
            queue: Any = multiprocessing.Queue()
            poster = multiprocessing.Process(
                target=post_alerts, args=(port, token, args.alert_rate, args.seconds, queue)
            )
            poster.start()
            status, status_errors, status_s = run_load(
                port, "/status", args.connections, args.seconds
            )
            intake_times, alerts, statuses = queue.get()
            poster.join()
            poster = multiprocessing.Process(
                target=post_alerts, args=(port, token, args.alert_rate, args.seconds, queue)
            )
            poster.start()
            paced, paced_errors, paced_s = run_load(
                port, "/status", args.connections, args.seconds, rate=TARGET_RPS
            )
            paced_intake, paced_alerts, paced_statuses = queue.get()
            poster.join()
        finally:
            process.terminate()
            process.wait(timeout=60)
    rows = [
        ("floor  GET /healthz", floor, floor_errors, floor_s),
        ("status GET /status (alerts ingested meanwhile)", status, status_errors, status_s),
        (f"paced  GET /status at {TARGET_RPS}/s (alerts too)", paced, paced_errors, paced_s),
    ]
    print(f"{'':48} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name, times, errors, seconds in rows:
        print(
            f"{name:48} {len(times) / seconds:8.0f} {pct(times, 0.5):8.2f} "
            f"{pct(times, 0.99):8.2f} {errors:7d}"
        )
    rps = len(status) / status_s
    paced_rps = len(paced) / paced_s
    p99 = pct(paced, 0.99)
    for label, found, count, answers in (
        ("saturated", intake_times, alerts, statuses),
        ("paced", paced_intake, paced_alerts, paced_statuses),
    ):
        print(
            f"intake during the {label} load: {count / args.seconds:.0f} alerts/s "
            f"({len(found)} deliveries, answers {json.dumps(answers)}), "
            f"p50 {pct(found, 0.5):.1f} ms, p99 {pct(found, 0.99):.1f} ms"
        )
    print(f"status vs floor: {rps / (len(floor) / floor_s):.2f}x the requests/s of /healthz")
    intake_p99 = max(pct(intake_times, 0.99), pct(paced_intake, 0.99))
    print(
        f"target: ≥ {TARGET_RPS} req/s (saturated: {rps:.0f}) — "
        f"{'met' if rps >= TARGET_RPS else 'NOT met'}; p99 < {TARGET_P99_MS:.0f} ms at "
        f"{TARGET_RPS} req/s (paced: {paced_rps:.0f} req/s, p99 {p99:.1f} ms) — "
        f"{'met' if p99 < TARGET_P99_MS and paced_rps >= 0.98 * TARGET_RPS else 'NOT met'}"
        f"; intake p99 < {INTAKE_P99_MS:.0f} ms — "
        f"{'met' if intake_p99 < INTAKE_P99_MS else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
