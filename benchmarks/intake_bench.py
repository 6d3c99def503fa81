"""Benchmark: alert intake, `POST /api/v1/intake/alertmanager`, against `warroom serve`.

    python benchmarks/intake_bench.py [--seconds 20] [--senders 16] [--rate 1000] [--markdown]
    python benchmarks/intake_bench.py --only sqlite                 # or postgresql

For each database (a PostgreSQL server started from the installed binaries, durable as
in production, with `warroom serve --workers 2`; SQLite, whose commits wait for the disk
too, with one process; `--no-jobs` on both) it starts the server with
WARROOM_BENCH_EMPTY_ROUTE=true and, over loopback, in the same run:

- ceiling     `--senders` connections post Alertmanager bodies to `POST /bench/empty` as
              fast as it answers: an empty handler behind the same uvicorn, middleware and
              access log as the intake route, so the ratio says what intake itself costs;
- saturated   `--senders` connections, each posting its next delivery as soon as the
              last is answered, for `--seconds` (after `--warmup` seconds not counted);
- paced       deliveries sent at `--rate` alerts per second whatever the answers (open
              loop, up to 256 in flight); latency counts from when each was due to be
              sent, so a server that falls behind shows it in the p99.

The deliveries are Alertmanager webhook bodies (version 4) as Alertmanager sends them:
each notifies one group and holds the group's alerts, each with its own fingerprint.
Half open a new group (one to three new alerts; a quarter of the groups are critical,
which opens an incident, the others warnings, stored for triage); 15 % add an alert to a
critical group already notified (it joins the group's incident, the others in the body
are re-deliveries); 20 % resolve a group (every alert in it); 15 % send a recent body
again byte for byte (Alertmanager repeats groups; HA pairs deliver each group twice).

Then the count check, straight from the database: every alert of an accepted (2xx)
delivery is stored exactly once, none is stored that no delivery of it was accepted
for, every accepted resolution is stored as resolved, and no group opened two incidents.
Throughput counts the alerts of accepted deliveries per second (re-deliveries included:
each is read and checked); errors are every answer that is not 2xx, and connections that
failed. It prints a table with p50/p99 and the ratio of requests per second to the
ceiling's, and the targets of issue 10: >= 1,000 alerts/s with p99 < 100 ms, nothing
lost or duplicated, >= 30 % of the ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from api_bench import percentile, serve

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the suite's PostgreSQL server helper

INTAKE = "/api/v1/intake/alertmanager"
EMPTY = "/bench/empty"
TARGET_ALERTS_S = 1_000
TARGET_P99_MS = 100.0
TARGET_CEILING_SHARE = 0.30
MAX_IN_FLIGHT = 256  # connections of the paced scenario


# -- the deliveries ----------------------------------------------------------------------------


@dataclass
class Group:
    key: str
    labels: dict[str, str]
    critical: bool
    alerts: list[dict[str, object]] = field(default_factory=list)


@dataclass(frozen=True)
class Delivery:
    kind: str  # new, join, resolve, again
    body: bytes
    fingerprints: tuple[str, ...]
    resolves: bool


class Workload:
    """Alertmanager deliveries, one after another; every fingerprint is new, so the count
    check can tell each alert apart by its fingerprint alone."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.run = f"{seed:04x}"
        self.alerts = 0
        self.groups = 0
        self.firing: list[Group] = []  # notified, not resolved
        self.recent: deque[Delivery] = deque(maxlen=200)
        self.started = datetime.now(UTC) - timedelta(hours=1)

    def next(self) -> Delivery:
        pick = self.rng.random()
        joinable = [g for g in self.firing[-50:] if g.critical and len(g.alerts) < 6]
        if pick < 0.15 and self.recent:
            again = self.rng.choice(self.recent)
            return Delivery("again", again.body, again.fingerprints, again.resolves)
        if pick < 0.35 and self.firing:
            group = self.firing.pop(self.rng.randrange(len(self.firing)))
            return self._send("resolve", group, resolved=True)
        if pick < 0.50 and joinable:
            group = self.rng.choice(joinable)
            group.alerts.append(self._alert(group))
            return self._send("join", group)
        return self._new_group()

    def _new_group(self) -> Delivery:
        self.groups += 1
        critical = self.rng.random() < 0.25
        name = f"Bench{self.run}Group{self.groups}"
        labels = {
            "alertname": name,
            "service": f"svc-{self.groups % 40}",
            "severity": "critical" if critical else "warning",
            "env": "prod",
        }
        group = Group(
            key=f'{{}}:{{alertname="{name}", service="{labels["service"]}"}}',
            labels=labels,
            critical=critical,
        )
        for _ in range(self.rng.choices((1, 2, 3), weights=(6, 3, 1))[0]):
            group.alerts.append(self._alert(group))
        self.firing.append(group)
        return self._send("new", group)

    def _alert(self, group: Group) -> dict[str, object]:
        self.alerts += 1
        fingerprint = f"{self.run}{self.alerts:012x}"
        starts = self.started + timedelta(microseconds=self.alerts)
        return {
            "status": "firing",
            "labels": {**group.labels, "instance": f"host-{self.alerts}:9100"},
            "annotations": {
                "summary": f"{group.labels['alertname']} on host-{self.alerts}",
                "runbook_url": "http://127.0.0.1/runbooks/bench",
            },
            "startsAt": starts.strftime("%Y-%m-%dT%H:%M:%S.%f") + "417Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://127.0.0.1:19090/graph?g0.expr=up",
            "fingerprint": fingerprint,
        }

    def _send(self, kind: str, group: Group, *, resolved: bool = False) -> Delivery:
        alerts = group.alerts
        if resolved:
            ends = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            alerts = [{**a, "status": "resolved", "endsAt": ends} for a in alerts]
        body = {
            "receiver": "incident-webhook",
            "status": "resolved" if resolved else "firing",
            "alerts": alerts,
            "groupLabels": {k: group.labels[k] for k in ("alertname", "service")},
            "commonLabels": group.labels,
            "commonAnnotations": {},
            "externalURL": "http://127.0.0.1:19093",
            "version": "4",
            "groupKey": group.key,
            "truncatedAlerts": 0,
        }
        delivery = Delivery(
            kind, json.dumps(body).encode(), tuple(str(a["fingerprint"]) for a in alerts), resolved
        )
        self.recent.append(delivery)
        return delivery


# -- a lean HTTP/1.1 client --------------------------------------------------------------------


class _Stale(Exception):
    pass


class Connection:
    """One kept-alive connection posting JSON bodies: a few lines of asyncio, so that the
    load generator costs the server's two cores as little as it can."""

    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port = host, port
        self.head = (
            f"Host: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
            "Content-Type: application/json\r\n"
        ).encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> int:
        try:
            return await self._post(path, body)
        except _Stale:
            # the server closed the kept-alive connection while it was idle (uvicorn does
            # after 5 s): send again on a new one, as HTTP clients do (and a delivery
            # sent twice is stored once all the same)
            return await self._post(path, body)

    async def _post(self, path: str, body: bytes) -> int:
        reused = self.writer is not None
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        try:
            self.writer.write(
                b"POST %s HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n%s"
                % (path.encode(), self.head, len(body), body)
            )
            try:
                head = await self.reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionResetError) as error:
                if reused and not getattr(error, "partial", b""):
                    raise _Stale() from error
                raise
            status = int(head[9:12])
            length, close = 0, False
            for line in head.lower().split(b"\r\n")[1:]:
                if line.startswith(b"content-length:"):
                    length = int(line[15:])
                elif line.startswith(b"connection:") and b"close" in line:
                    close = True
                elif line.startswith(b"transfer-encoding:"):
                    raise RuntimeError("a chunked answer: this client reads Content-Length")
            if length:
                await self.reader.readexactly(length)
        except BaseException:
            self.close()
            raise
        if close:
            self.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


# -- running a scenario ------------------------------------------------------------------------

now = time.perf_counter  # the event loop's clock can be as coarse as a millisecond


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)  # ms, in the measured window
    alerts: int = 0  # alerts of accepted deliveries, in the measured window
    statuses: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    # over the whole run, warm-up included: for the count check
    accepted: set[str] = field(default_factory=set)
    refused: set[str] = field(default_factory=set)
    unknown: set[str] = field(default_factory=set)  # the connection failed: either may hold
    resolved: set[str] = field(default_factory=set)

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if not status.startswith("2"))


def record(
    outcome: Outcome, delivery: Delivery, status: int | None, latency_ms: float, measured: bool
) -> None:
    if status is None:
        outcome.unknown.update(delivery.fingerprints)
    elif 200 <= status < 300:
        outcome.accepted.update(delivery.fingerprints)
        if delivery.resolves:
            outcome.resolved.update(delivery.fingerprints)
    else:
        outcome.refused.update(delivery.fingerprints)
    if measured:
        label = "connection" if status is None else str(status)
        outcome.statuses[label] = outcome.statuses.get(label, 0) + 1
        outcome.latencies.append(latency_ms)
        if status is not None and 200 <= status < 300:
            outcome.alerts += len(delivery.fingerprints)


async def attempt(conn: Connection, path: str, body: bytes) -> int | None:
    try:
        return await conn.post(path, body)
    except (OSError, asyncio.IncompleteReadError, ValueError, RuntimeError):
        return None


async def saturated(
    base: str,
    token: str,
    path: str,
    make: Callable[[], Delivery],
    senders: int,
    warmup: float,
    seconds: float,
) -> Outcome:
    """`senders` connections, each sending its next delivery when the last is answered."""
    host, port = base.removeprefix("http://").split(":")
    outcome = Outcome()
    start = now() + warmup
    end = start + seconds

    async def sender() -> None:
        conn = Connection(host, int(port), token)
        while (sent := now()) < end:
            delivery = make()
            status = await attempt(conn, path, delivery.body)
            record(outcome, delivery, status, (now() - sent) * 1000, sent >= start)
        conn.close()

    await asyncio.gather(*(sender() for _ in range(senders)))
    outcome.seconds = seconds
    return outcome


async def paced(
    base: str,
    token: str,
    path: str,
    make: Callable[[], Delivery],
    rate: float,
    warmup: float,
    seconds: float,
) -> Outcome:
    """Deliveries due at `rate` alerts per second (open loop); latency from when due."""
    host, port = base.removeprefix("http://").split(":")
    outcome = Outcome()
    start = now() + warmup
    end = start + seconds
    last = [end]
    idle: list[Connection] = [Connection(host, int(port), token) for _ in range(MAX_IN_FLIGHT)]
    free = asyncio.Semaphore(MAX_IN_FLIGHT)
    tasks: set[asyncio.Task[None]] = set()

    async def send(due: float, delivery: Delivery) -> None:
        async with free:
            conn = idle.pop()
            try:
                status = await attempt(conn, path, delivery.body)
            finally:
                idle.append(conn)
            done = now()
            record(outcome, delivery, status, (done - due) * 1000, due >= start)
            if due < end:
                last[0] = max(last[0], done)

    due = now()
    while due < end:
        delay = due - now()
        if delay > 0:
            await asyncio.sleep(delay)
        delivery = make()
        task = asyncio.create_task(send(due, delivery))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        due += len(delivery.fingerprints) / rate
    await asyncio.gather(*tasks)
    for conn in idle:
        conn.close()
    # a server that falls behind answers the last deliveries after the window: its rate
    # is what it answered over the time it took
    outcome.seconds = last[0] - start
    return outcome


def run(coroutine: Awaitable[Outcome]) -> Outcome:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)  # type: ignore[arg-type]
    return uvloop.run(coroutine)  # type: ignore[arg-type]


# -- the database ------------------------------------------------------------------------------


def durable_postgres() -> Any:
    """The suite's PostgreSQL server, but durable as in production: the suite turns fsync
    and synchronous commits off for speed; a commit here waits for the disk, as SQLite's
    does."""
    from support.pg_server import PostgresServer

    return PostgresServer(durable=True)


def prepare(url: str) -> str:
    """A migrated database with an admin, and an intake token for the senders."""
    from warroom.services import tokens
    from warroom.services.context import Context
    from warroom.store import users
    from warroom.store.database import Database

    db = Database(url)
    try:
        db.migrate()
        with db.transaction() as conn:
            users.add(conn, "Ada Admin", ("admin",), now=datetime.now(UTC))
        admin = Context(db=db, actor="Ada Admin")
        return tokens.create(admin, "alertmanager", scope=tokens.Scope.INTAKE)[1]
    finally:
        db.dispose()


@dataclass
class Check:
    accepted: int
    stored: int
    lost: int
    duplicated: int
    refused_stored: int
    unresolved: int
    incidents: int
    groups_with_two: int

    @property
    def passed(self) -> bool:
        return not (
            self.lost
            or self.duplicated
            or self.refused_stored
            or self.unresolved
            or self.groups_with_two
        )


def count_check(url: str, outcomes: list[Outcome]) -> Check:
    from sqlalchemy import create_engine, text

    accepted = set().union(*(o.accepted for o in outcomes))
    unknown = set().union(*(o.unknown for o in outcomes))
    resolved = set().union(*(o.resolved for o in outcomes))
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT fingerprint, count(*), max(status) FROM alerts GROUP BY fingerprint")
            )
            stored = {r[0]: (int(r[1]), r[2]) for r in rows}
            incidents = int(conn.execute(text("SELECT count(*) FROM incidents")).scalar_one())
            twice = int(
                conn.execute(
                    text(
                        "SELECT count(*) FROM (SELECT group_key FROM alerts WHERE incident_id IS "
                        "NOT "
                        "NULL GROUP BY group_key HAVING count(DISTINCT incident_id) > 1) AS g"
                    )
                ).scalar_one()
            )
    finally:
        engine.dispose()
    return Check(
        accepted=len(accepted),
        stored=len(stored),
        lost=len(accepted - stored.keys()),
        duplicated=sum(1 for n, _ in stored.values() if n > 1),
        refused_stored=len(stored.keys() - accepted - unknown),
        unresolved=sum(1 for f in resolved if f in stored and stored[f][1] != "resolved"),
        incidents=incidents,
        groups_with_two=twice,
    )


@dataclass
class Result:
    database: str
    scenario: str
    outcome: Outcome


def run_database(
    name: str, url: str, args: argparse.Namespace, folder: Path
) -> tuple[list[Result], Check]:
    token = prepare(url)
    workers = 2 if name == "postgresql" else 1
    process, base = serve(
        url, workers, folder / f"{name}-serve.log", env={"WARROOM_BENCH_EMPTY_ROUTE": "true"}
    )
    results: list[Result] = []
    intake: list[Outcome] = []
    try:
        if args.ceiling_seconds > 0:
            filler = Workload(seed=1)  # bodies for the ceiling (nothing is stored)
            ceiling = run(
                saturated(base, token, EMPTY, filler.next, args.senders, 1.0, args.ceiling_seconds)
            )
            results.append(Result(name, "ceiling: empty handler", ceiling))
        workload = Workload(seed=0x1108 + len(name))
        intake.append(
            run(
                saturated(
                    base, token, INTAKE, workload.next, args.senders, args.warmup, args.seconds
                )
            )
        )
        results.append(Result(name, f"intake, {args.senders} senders", intake[-1]))
        if args.rate:
            intake.append(
                run(paced(base, token, INTAKE, workload.next, args.rate, args.warmup, args.seconds))
            )
            results.append(Result(name, f"intake, {args.rate:,} alerts/s offered", intake[-1]))
    finally:
        process.terminate()
        process.wait(timeout=60)
    log = (folder / f"{name}-serve.log").read_text(errors="replace")
    if args.verbose or any(o.errors for o in intake):
        print(
            f"{name}: server log (last lines):\n" + "\n".join(log.splitlines()[-15:]),
            file=sys.stderr,
        )
    return results, count_check(url, intake)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="measured, per scenario")
    parser.add_argument("--warmup", type=float, default=3.0, help="sent first, not measured")
    parser.add_argument(
        "--ceiling-seconds",
        type=float,
        default=10.0,
        help="measured, for the ceiling (0: no ceiling)",
    )
    parser.add_argument(
        "--senders", type=int, default=16, help="connections of the saturated scenarios"
    )
    parser.add_argument(
        "--rate",
        type=int,
        default=TARGET_ALERTS_S,
        help="alerts per second of the paced scenario (0: none)",
    )
    parser.add_argument("--only", choices=("postgresql", "sqlite"))
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    parser.add_argument("--verbose", action="store_true", help="show the server's log")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="warroom-intake-bench-"))
    results: list[Result] = []
    checks: dict[str, Check] = {}
    try:
        if args.only in (None, "postgresql"):
            server = durable_postgres().start()
            try:
                found, checks["postgresql"] = run_database("postgresql", server.url(), args, folder)
                results += found
            finally:
                server.stop()
        if args.only in (None, "sqlite"):
            found, checks["sqlite"] = run_database(
                "sqlite", f"sqlite:///{folder / 'bench.db'}", args, folder
            )
            results += found
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print_tables(results, checks, args)
    if not all(c.passed for c in checks.values()):
        raise SystemExit("the count check failed")


def print_tables(results: list[Result], checks: dict[str, Check], args: argparse.Namespace) -> None:
    print(
        f"\nPOST {INTAKE} over loopback, {args.seconds:g} s per scenario; "
        f"{platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores"
    )
    ceilings = {
        r.database: r.outcome.requests / r.outcome.seconds
        for r in results
        if r.scenario.startswith("ceiling")
    }
    header = (
        "database",
        "scenario",
        "requests/s",
        "alerts/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "vs ceiling",
        "target",
    )
    rows = []
    for r in results:
        o = r.outcome
        per_s = o.requests / o.seconds
        p50 = statistics.median(o.latencies) if o.latencies else float("nan")
        p99 = percentile(o.latencies, 0.99) if o.latencies else float("nan")
        if r.scenario.startswith("ceiling"):
            alerts, target = "-", "-"
        else:
            alerts = f"{o.alerts / o.seconds:,.0f}"
            met = (
                o.alerts / o.seconds >= TARGET_ALERTS_S * 0.98
                and p99 < TARGET_P99_MS
                and not o.errors
            )
            target = "meets" if met else "misses"
        rows.append(
            (
                r.database,
                r.scenario,
                f"{per_s:,.0f}",
                alerts,
                f"{p50:.1f}",
                f"{p99:.1f}",
                f"{o.errors:,}",
                f"{per_s / ceilings[r.database]:.0%}" if r.database in ceilings else "-",
                target,
            )
        )
    table(header, rows, args.markdown, numeric_from=2)
    for r in results:
        if r.outcome.errors:
            found = ", ".join(
                f"{status} x{n:,}"
                for status, n in sorted(r.outcome.statuses.items())
                if not status.startswith("2")
            )
            print(f"{r.database}, {r.scenario}: errors {found}")
    print(
        "\ntarget: >= 1,000 alerts/s with p99 < 100 ms and no errors (paced: the offered "
        "rate, within 2 %); >= 30 % of the ceiling's requests/s"
    )
    header = (
        "database",
        "alerts accepted",
        "stored",
        "lost",
        "duplicated",
        "refused but stored",
        "resolution not stored",
        "incidents",
        "groups with 2 incidents",
        "check",
    )
    rows = [
        (
            db,
            f"{c.accepted:,}",
            f"{c.stored:,}",
            str(c.lost),
            str(c.duplicated),
            str(c.refused_stored),
            str(c.unresolved),
            f"{c.incidents:,}",
            str(c.groups_with_two),
            "passes" if c.passed else "FAILS",
        )
        for db, c in checks.items()
    ]
    print()
    table(header, rows, args.markdown, numeric_from=1)


def table(
    header: tuple[str, ...], rows: list[tuple[str, ...]], markdown: bool, numeric_from: int
) -> None:
    if markdown:
        print("| " + " | ".join(header) + " |")
        print(
            "| "
            + " | ".join("---" if i < numeric_from else "---:" for i in range(len(header)))
            + " |"
        )
        for row in rows:
            print("| " + " | ".join(row) + " |")
        return
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
