"""Customer impact from a request log: the one Ibis definition, and running it.

The definition (DESIGN.md, "Request log" and "SLA computation") is a handful of Ibis
expressions, run unchanged on DuckDB or PySpark:

1. `in_scope`: requests with window.start <= ts < window.end, in the incident's scope.
2. `minute_counts`: per (customer, UTC minute) requests and failed requests: the one
   scan of the log that everything per-customer and per-minute derives from. The minute
   is an integer key (epoch microseconds // 60 000 000), far cheaper than truncating a
   zoned timestamp; it is cached (a DuckDB temporary table, a cached Spark frame).
3. `failed_reach`: distinct users and transactions among failed requests: the second
   (and last) scan, which reads only failed rows' user and transaction columns.
4. `customer_totals`, `minute_series`, `down_ranges`: small queries over the cached counts.
   Down minutes come back as runs ("gaps and islands"), the shape `MinuteSet` keeps.

A request fails when status >= 500 or status is 0 or null. A minute is down for a customer
when failed * den >= requests * num (threshold = num/den, exact integers, no floats) and
failed >= min_failed; minutes without requests are never down.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from warroom.analytics.engines import (
    DEFAULT_SPARK_MASTER,
    EngineUnavailable,
    check_engine,
    connect,
    duckdb_connection,
    engine_name,
    engine_version,
)
from warroom.analytics.mapping import ColumnMapping, RequestLog, bind
from warroom.analytics.sources import (
    Source,
    UnreadableSource,
    describe,
    open_source,
    parse_source,
    stage,
)
from warroom.domain.errors import InvalidInput, Problem, WarroomError
from warroom.domain.impact import CustomerImpact, ImpactProvenance, ImpactResult, MinuteStat
from warroom.domain.minutes import MinuteSet
from warroom.domain.scope import Scope
from warroom.domain.window import TimeWindow

DEFINITION_VERSION = "warroom impact definition 1"
DEFAULT_THRESHOLD = Decimal("0.05")
DEFAULT_MIN_FAILED = 1
MICROS_PER_MINUTE = 60_000_000

Progress = Callable[[float], None]


@ibis.udf.scalar.builtin  # type: ignore[untyped-decorator]
def unix_micros(ts: dt.Timestamp(timezone="UTC")) -> dt.int64:  # type: ignore[valid-type]
    """Microseconds since the epoch: Spark's UNIX_MICROS, DuckDB's EPOCH_US (the SQL
    compiler translates the name per dialect)."""


# -- the definition ---------------------------------------------------------------------------


def failed(t: ir.Table) -> ir.BooleanValue:
    """A request fails on a 5xx, a timeout (status 0) or no response (null status)."""
    return (t.status >= 500) | (t.status == 0) | t.status.isnull()


def in_scope(log: ir.Table, window: TimeWindow, scope: Scope) -> ir.Table:
    """Requests inside [window.start, window.end) and the scope (a filter the engine can push
    into the scan: row groups outside the window of a time-sorted file are skipped)."""
    conditions = [log.ts >= window.start, log.ts < window.end]
    if scope.regions is not None:
        conditions.append(log.region.isin(scope.regions))
    if scope.services is not None:
        conditions.append(log.service.isin(scope.services))
    return log.filter(*conditions)


def minute_counts(requests: ir.Table) -> ir.Table:
    """customer_id, minute (epoch minute), requests, failed: the log's one full scan.

    Requests without a customer are kept (as a null customer) so that their count reaches
    `rows_scanned`; every query below drops them.
    """
    minute = (unix_micros(requests.ts) // MICROS_PER_MINUTE).name("minute")
    return requests.group_by([requests.customer_id, minute]).aggregate(
        requests=requests.count(), failed=requests.count(where=failed(requests)))


def failed_reach(requests: ir.Table, *, has_txn: bool) -> ir.Table:
    """Distinct users and (non-null) transactions with at least one failed request."""
    hit = requests.filter(failed(requests), requests.customer_id.notnull())
    return hit.aggregate(
        users=hit.user_id.nunique(),
        transactions=hit.txn_id.nunique() if has_txn else ibis.literal(0, type="int64"))


def customer_totals(counts: ir.Table) -> ir.Table:
    known = counts.filter(counts.customer_id.notnull())
    return known.group_by(customer_id=known.customer_id.cast("string")).aggregate(
        requests=known.requests.sum(), failed=known.failed.sum())


def minute_series(counts: ir.Table) -> ir.Table:
    known = counts.filter(counts.customer_id.notnull())
    return known.group_by(known.minute).aggregate(
        requests=known.requests.sum(), failed=known.failed.sum())


def down_ranges(counts: ir.Table, threshold: Decimal, min_failed: int) -> ir.Table:
    """customer_id, start, end: runs of consecutive down minutes (end exclusive)."""
    num, den = threshold.as_integer_ratio()
    down = counts.filter(counts.customer_id.notnull(), counts.requests > 0,
                         counts.failed * den >= counts.requests * num,
                         counts.failed >= min_failed)
    run = down.minute - ibis.row_number().over(group_by=down.customer_id,
                                                order_by=down.minute)
    runs = down.mutate(run=run)
    return runs.group_by(customer_id=runs.customer_id.cast("string"), run=runs.run).aggregate(
        start=runs.minute.min(), end=runs.minute.max() + 1).drop("run")


_CANONICAL_SCHEMA = {"ts": "timestamp('UTC')", "customer_id": "string", "user_id": "string",
                     "status": "int64", "region": "string", "service": "string",
                     "txn_id": "string"}


@lru_cache(maxsize=1)
def definition_sql() -> str:
    """The definition compiled (DuckDB dialect) over a canonical log, window and scope."""
    log = ibis.table(_CANONICAL_SCHEMA, name="requests")
    window = TimeWindow(datetime(2000, 1, 1, tzinfo=UTC), datetime(2000, 1, 2, tzinfo=UTC))
    requests = in_scope(log, window, Scope(regions=("region",), services=("service",)))
    counts = minute_counts(requests)
    parts = [counts, failed_reach(requests, has_txn=True), customer_totals(counts),
             minute_series(counts), down_ranges(counts, Decimal("0.05"), 1)]
    return ";\n".join(str(ibis.to_sql(part, dialect="duckdb")) for part in parts)


@lru_cache(maxsize=1)
def definition_hash() -> str:
    """sha256 of the versioned, compiled definition: the same on every run and engine, and
    different as soon as the definition (or the SQL Ibis makes of it) changes."""
    text = f"{DEFINITION_VERSION}\n{definition_sql()}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- running it -------------------------------------------------------------------------------


def compute_impact(
    table_or_source: str | Path | Source | ir.Table,
    window: TimeWindow,
    scope: Scope | None = None,
    *,
    threshold: Decimal = DEFAULT_THRESHOLD,
    min_failed: int = DEFAULT_MIN_FAILED,
    backend: str = "duckdb",
    mapping: ColumnMapping | dict[str, str] | None = None,
    connection: Any = None,
    spark_master: str = DEFAULT_SPARK_MASTER,
    progress: Progress | None = None,
    now: Callable[[], datetime] | None = None,
) -> ImpactResult:
    """Measure an incident's customer impact from a request log.

    `table_or_source` is a ``--requests`` string (see `warroom.analytics.sources`) or an
    Ibis table. `connection` reuses an Ibis DuckDB/PySpark backend (else one is made for
    `backend`, Spark on `spark_master`). `progress` receives fractions 0..1 as the scans
    advance. Raises WarroomError subclasses for every problem of the user's input; nothing
    is left behind on error.
    """
    scope = scope or Scope.everything()
    _check_rule(threshold, min_failed)
    check_engine(backend)
    label = describe(table_or_source)
    con, owned = _connection(table_or_source, backend, connection, spark_master)
    try:
        engine = engine_name(con)
        report = progress or (lambda fraction: None)
        report(0.0)
        table = _open(table_or_source, con)
        log = bind(table, mapping, need=_needed_for(scope), source=label)
        requests = in_scope(log.table, window, scope)
        if _backend_of(requests) is not con:  # e.g. PostgreSQL: filter there, stage here
            requests = in_scope(stage(requests, con), window, scope)
        scan = _run(con, engine, requests, log, window, scope, threshold, min_failed, report)
        report(1.0)
        return ImpactResult(
            window=window,
            scope=scope,
            threshold=threshold,
            min_failed=min_failed,
            users_affected=scan.users,
            transactions_affected=scan.transactions if log.has("txn_id") else None,
            per_customer=scan.per_customer,
            series=scan.series,
            provenance=ImpactProvenance(
                source=label,
                columns=dict(log.columns),
                rows_scanned=scan.rows_scanned,
                engine=engine,
                engine_version=engine_version(con),
                definition_hash=definition_hash(),
                computed_at=(now or _utcnow)(),
            ),
        )
    finally:
        if owned and engine_name(con) == "duckdb":
            con.disconnect()


@dataclass(frozen=True)
class _Scan:
    rows_scanned: int
    users: int
    transactions: int
    per_customer: tuple[CustomerImpact, ...]
    series: tuple[MinuteStat, ...]


def _run(con: Any, engine: str, requests: ir.Table, log: RequestLog, window: TimeWindow,
         scope: Scope, threshold: Decimal, min_failed: int, report: Progress) -> _Scan:
    """The two scans and the small queries over the cached per-minute counts.

    The counts come first: when the window and scope hold no request, the reason is
    reported without paying for the second scan.
    """
    tracker = _Tracker(con, engine, report)
    with tracker.step(0.0, 0.5):
        cached = _execute(lambda: minute_counts(requests).cache())
    try:
        rows = _execute(lambda: cached.aggregate(n=cached.requests.sum()).to_pyarrow())
        rows_scanned = int(rows.column("n")[0].as_py() or 0)
        totals = customer_totals(cached).to_pyarrow()
        if totals.num_rows == 0:
            raise _nothing_found(log, window, scope, rows_scanned)
        with tracker.step(0.5, 0.95):
            reach = _execute(lambda: failed_reach(
                requests, has_txn=log.has("txn_id")).to_pyarrow()).to_pylist()[0]
        series = minute_series(cached).to_pyarrow()
        ranges = down_ranges(cached, threshold, min_failed).to_pyarrow()
    finally:
        _release(cached)
    return _Scan(rows_scanned=rows_scanned, users=int(reach["users"] or 0),
                 transactions=int(reach["transactions"] or 0),
                 per_customer=_per_customer(totals, ranges), series=_series(window, series))


def _execute(run: Callable[[], Any]) -> Any:
    """Run a query; the engine's complaints about the user's data become WarroomErrors."""
    try:
        return run()
    except WarroomError:
        raise
    except Exception as exc:
        if _is_engine_error(exc):
            from warroom.analytics.sources import _engine_message

            raise UnreadableSource(
                f"the request log could not be read: {_engine_message(exc)}") from None
        raise


def _is_engine_error(exc: BaseException) -> bool:
    module = type(exc).__module__ or ""
    return module.startswith(("duckdb", "pyspark", "py4j", "psycopg"))


def _release(cached: Any) -> None:
    with suppress(Exception):  # already gone with its connection
        cached.release()


def _per_customer(totals: Any, ranges: Any) -> tuple[CustomerImpact, ...]:
    runs: dict[str, list[tuple[int, int]]] = {}
    for row in ranges.to_pylist():
        runs.setdefault(str(row["customer_id"]), []).append((int(row["start"]), int(row["end"])))
    return tuple(
        CustomerImpact(customer_id=str(row["customer_id"]), requests=int(row["requests"]),
                       failed=int(row["failed"]),
                       down_minutes=MinuteSet(tuple(runs.get(str(row["customer_id"]), ()))))
        for row in totals.to_pylist())


def _series(window: TimeWindow, series: Any) -> tuple[MinuteStat, ...]:
    seen = {int(row["minute"]): (int(row["requests"]), int(row["failed"]))
            for row in series.to_pylist()}
    return tuple(MinuteStat(minute, *seen.get(minute, (0, 0)))
                 for minute in MinuteSet.from_window(window))


# -- inputs and their problems ----------------------------------------------------------------


def _check_rule(threshold: Decimal, min_failed: int) -> None:
    problems = []
    if not isinstance(threshold, Decimal) or not threshold.is_finite() or not (
            Decimal(0) < threshold <= Decimal(1)):
        problems.append(Problem("downtime.error_rate_threshold", "out_of_range",
                                f"the error-rate threshold {threshold} must be a decimal "
                                "above 0 and at most 1 (e.g. 0.05)"))
    elif threshold.as_integer_ratio()[1] > 10**9:
        problems.append(Problem("downtime.error_rate_threshold", "too_precise",
                                f"the error-rate threshold {threshold} has more than 9 "
                                "decimal places"))
    if isinstance(min_failed, bool) or not isinstance(min_failed, int) or min_failed < 1:
        problems.append(Problem("downtime.min_failed_requests", "out_of_range",
                                f"min_failed_requests {min_failed} must be a whole number "
                                "of at least 1"))
    if problems:
        raise InvalidInput(problems)


def _needed_for(scope: Scope) -> dict[str, str]:
    needs = {}
    if scope.regions is not None:
        needs["region"] = f"the incident is scoped to regions {', '.join(scope.regions)}"
    if scope.services is not None:
        needs["service"] = f"the incident is scoped to services {', '.join(scope.services)}"
    return needs


def _nothing_found(log: RequestLog, window: TimeWindow, scope: Scope,
                   rows_scanned: int) -> WarroomError:
    """Why no customer's request is in the window and scope, as precisely as the log says."""
    t = log.table
    start, end = _z(window.start), _z(window.end)
    if rows_scanned:
        return _refusal(
            "customer_id", "no_customers",
            f"none of the {rows_scanned} requests between {start} and {end} has a "
            f"customer (column {log.columns['customer_id']!r} is empty)")
    in_window = t.filter(t.ts >= window.start, t.ts < window.end)
    if not scope.is_everything and int(in_window.count().execute()) > 0:
        found = []
        for name, wanted in (("region", scope.regions), ("service", scope.services)):
            if wanted is None:
                continue
            values = in_window.select(v=in_window[name]).distinct().order_by("v").limit(21)
            seen = [str(v) for v in values.to_pyarrow().column("v").to_pylist()]
            listed = ", ".join(seen[:20]) + (", ..." if len(seen) > 20 else "")
            found.append(f"{name}s {', '.join(wanted)} (the log has {listed or 'none'})")
        return _refusal(
            "scope", "scope_matches_nothing",
            f"no request between {start} and {end} is in the incident's scope: "
            + "; ".join(found))
    span = t.aggregate(first=t.ts.min(), last=t.ts.max(), n=t.count()).to_pyarrow().to_pylist()[0]
    if not span["n"]:
        covers = "the log has no requests at all"
    else:
        covers = f"the log covers {_z(span['first'])} to {_z(span['last'])}"
    return _refusal(
        "window", "empty_window",
        f"the request log has no requests between {start} and {end}; {covers}")


def _refusal(field: str, code: str, message: str) -> InvalidInput:
    return InvalidInput([Problem(field, code, message)], summary=message)


def _z(at: Any) -> str:
    if isinstance(at, datetime):
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        return str(at.astimezone(UTC).isoformat()).replace("+00:00", "Z")
    return str(at)


def _utcnow() -> datetime:
    return datetime.now(UTC)


# -- connections, sources, progress -----------------------------------------------------------


def _connection(table_or_source: Any, backend: str, connection: Any,
                spark_master: str) -> tuple[Any, bool]:
    if connection is not None:
        if engine_name(connection) != backend:
            raise EngineUnavailable(
                f"the connection given is {engine_name(connection)}, not {backend}")
        return connection, False
    if isinstance(table_or_source, ir.Table):
        bound = _backend_of(table_or_source)
        if bound is not None and getattr(bound, "name", "") == backend:
            return bound, False
    return connect(backend, spark_master=spark_master), True


def _open(table_or_source: Any, con: Any) -> ir.Table:
    if isinstance(table_or_source, ir.Table):
        if _backend_of(table_or_source) is None:  # an in-memory table: load it here
            return con.create_table(f"warroom_memtable_{id(table_or_source)}",
                                    table_or_source, temp=engine_name(con) == "duckdb",
                                    overwrite=True)
        return table_or_source
    spec = table_or_source if isinstance(table_or_source, Source) else parse_source(
        table_or_source)
    return open_source(spec, con)


def _backend_of(table: ir.Table) -> Any:
    try:
        backends, _ = table._find_backends()
    except Exception:
        return None
    return backends[0] if backends else None


@dataclass
class _Tracker:
    """Turns engine progress into overall fractions: DuckDB is polled from a thread while a
    query runs; Spark reports at step boundaries."""

    con: Any
    engine: str
    report: Progress
    interval: float = 0.2

    @contextmanager
    def step(self, start: float, end: float) -> Iterator[None]:
        self.report(start)
        stop = threading.Event()
        poller = None
        if self.engine == "duckdb":
            raw = duckdb_connection(self.con)

            def poll() -> None:
                last = start
                while not stop.wait(self.interval):
                    try:
                        percent = float(raw.query_progress())
                    except Exception:  # no query running between statements
                        continue
                    if percent >= 0:
                        now = start + (end - start) * min(percent, 100.0) / 100.0
                        if now > last:
                            last = now
                            self.report(now)

            poller = threading.Thread(target=poll, name="warroom-progress", daemon=True)
            poller.start()
        try:
            yield
        finally:
            stop.set()
            if poller is not None:
                poller.join()
        self.report(end)
