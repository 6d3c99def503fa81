"""Benchmark: `GET /api/v1/incidents` pages against `warroom serve`, 10,000 incidents.

    python benchmarks/api_bench.py [--incidents 10000] [--requests 400] [--markdown]
    python benchmarks/api_bench.py --only postgresql      # or sqlite

For each database (a PostgreSQL server started from the installed binaries, and SQLite)
it fills a scratch database with `--incidents` incidents (10 % confidential, each with a
detected, a declared and a resolved entry), starts `warroom serve` on a free loopback
port (`--workers 2` on PostgreSQL, 1 on SQLite), and times, one request after another on
a kept-alive connection, in the same run:

- floor       ``GET /healthz``: the server and HTTP alone, no database;
- admin       ``GET /api/v1/incidents?limit=50&offset=K``: a person who reads every
              incident (the database pages and counts);
- viewer      the same as a viewer, for whom each confidential incident is checked for
              their name (every match's classification is read first);
- page 1000   ``limit=1000``, the largest page.

Offsets are drawn at random over the whole list (seeded). It prints p50, p99 and the mean
in milliseconds, and p99 against the target of 50 ms per page and against the floor.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the suite's PostgreSQL server helper

TARGET_MS = 50.0


def fill(url: str, count: int) -> None:
    """`count` incidents written straight into the tables (no audit: this is a fixture)."""
    from sqlalchemy import insert

    from warroom.store import users
    from warroom.store.database import Database
    from warroom.store.tables import incidents, timeline_entries

    db = Database(url)
    db.migrate()
    start = datetime(2024, 1, 1, 8, 0, tzinfo=UTC)
    now = datetime.now(UTC)
    rows, entries = [], []
    per_day: dict[object, int] = {}
    for n in range(count):
        detected = start + timedelta(minutes=97 * n)
        day = detected.date()
        per_day[day] = per_day.get(day, 0) + 1
        incident_id = f"INC-{day:%Y-%m%d}-{per_day[day]:03d}"
        rows.append(
            {
                "id": incident_id,
                "detected_on": day,
                "sequence": per_day[day],
                "title": f"Incident {n}: elevated error rates",
                "severity": f"SEV-{1 + n % 4}",
                "status": "closed" if n < count - 20 else "investigating",
                "classification": "confidential" if n % 10 == 0 else "internal",
                "roles": {"commander": "Ada Admin"},
                "scope_regions": None,
                "scope_services": None,
                "contributing_factors": [],
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
        )
        for minutes, kind in ((0, "detected"), (6, "declared"), (45 + n % 300, "resolved")):
            entries.append(
                {
                    "incident_id": incident_id,
                    "at": detected + timedelta(minutes=minutes),
                    "kind": kind,
                    "text": f"{kind} {n}",
                    "author": "Ada Admin",
                    "audience": "internal",
                }
            )
    with db.transaction() as conn:
        for chunk in range(0, len(rows), 2000):
            conn.execute(insert(incidents), rows[chunk : chunk + 2000])
        for chunk in range(0, len(entries), 6000):
            conn.execute(insert(timeline_entries), entries[chunk : chunk + 6000])
        users.add(conn, "Ada Admin", ("admin",), now=now)
        users.add(conn, "Val Viewer", ("viewer",), now=now)
    db.dispose()


def token(url: str, person: str) -> str:
    from warroom.services import tokens
    from warroom.services.context import Context
    from warroom.store.database import Database

    db = Database(url)
    try:
        return tokens.create(Context(db=db, actor=person), person)[1]
    finally:
        db.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(
    url: str, workers: int, log: Path, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """`warroom serve` on a free loopback port, once it answers /readyz (`env`: more
    variables for it)."""
    import httpx

    port = free_port()
    env = {**os.environ, "WARROOM_DATABASE_URL": url, "WARROOM_USER": "Ada Admin", **(env or {})}
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
                str(workers),
                "--no-jobs",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.2)
    process.kill()
    raise SystemExit(f"warroom serve did not start:\n{log.read_text()}")


def measure(send: Callable[[], Any], requests: int) -> list[float]:
    for _ in range(max(10, requests // 20)):  # warm the pools and caches
        send()
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        send()
        times.append((time.perf_counter() - started) * 1000)
    return times


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run_database(
    name: str, url: str, args: argparse.Namespace, folder: Path
) -> list[tuple[str, str, list[float]]]:
    import httpx

    started = time.perf_counter()
    fill(url, args.incidents)
    print(
        f"{name}: {args.incidents:,} incidents written in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    headers = {p: {"Authorization": f"Bearer {token(url, p)}"} for p in ("Ada Admin", "Val Viewer")}
    workers = 2 if name == "postgresql" else 1
    process, base = serve(url, workers, folder / f"{name}-serve.log")
    rng = random.Random(1108)
    pages = args.incidents // 50
    results = []
    try:
        with httpx.Client(base_url=base, timeout=60) as client:

            def page(person: str, limit: int = 50) -> Callable[[], Any]:
                visible = client.get(
                    "/api/v1/incidents", params={"limit": 1}, headers=headers[person]
                ).json()["count"]

                def send() -> None:
                    offset = rng.randrange(max(1, visible // limit)) * limit
                    response = client.get(
                        "/api/v1/incidents",
                        params={"limit": limit, "offset": offset},
                        headers=headers[person],
                    )
                    assert response.status_code == 200, response.text
                    assert len(response.json()["data"]) > 0

                return send

            def floor() -> None:
                assert client.get("/healthz").status_code == 200

            results.append((name, "floor: GET /healthz", measure(floor, args.requests)))
            results.append((name, "admin, limit=50", measure(page("Ada Admin"), args.requests)))
            results.append((name, "viewer, limit=50", measure(page("Val Viewer"), args.requests)))
            results.append(
                (
                    name,
                    "admin, limit=1000",
                    measure(page("Ada Admin", 1000), max(20, args.requests // 10)),
                )
            )
        assert pages > 0
    finally:
        process.terminate()
        process.wait(timeout=60)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=400, help="requests per scenario")
    parser.add_argument("--only", choices=("postgresql", "sqlite"))
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="warroom-api-bench-"))
    results: list[tuple[str, str, list[float]]] = []
    try:
        if args.only in (None, "postgresql"):
            from support.pg_server import PostgresServer

            server = PostgresServer().start()
            try:
                results += run_database("postgresql", server.url(), args, folder)
            finally:
                server.stop()
        if args.only in (None, "sqlite"):
            results += run_database("sqlite", f"sqlite:///{folder / 'bench.db'}", args, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print_table(results, args)


def print_table(results: list[tuple[str, str, list[float]]], args: argparse.Namespace) -> None:
    print(
        f"\nGET /api/v1/incidents over loopback, {args.incidents:,} incidents; "
        f"{platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores"
    )
    header = (
        "database",
        "scenario",
        "requests",
        "p50 ms",
        "p99 ms",
        "mean ms",
        "p99 vs 50 ms",
        "p99 vs floor",
    )
    rows = []
    floors = {
        db: percentile(times, 0.99) for db, what, times in results if what.startswith("floor")
    }
    for db, what, times in results:
        p99 = percentile(times, 0.99)
        within = "-" if what.startswith("floor") else ("meets" if p99 < TARGET_MS else "misses")
        rows.append(
            (
                db,
                what,
                str(len(times)),
                f"{statistics.median(times):.1f}",
                f"{p99:.1f}",
                f"{statistics.fmean(times):.1f}",
                within,
                f"{p99 / floors[db]:.1f}x",
            )
        )
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("| " + " | ".join("---" if i < 2 else "---:" for i in range(len(header))) + " |")
        for row in rows:
            print("| " + " | ".join(row) + " |")
        return
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
