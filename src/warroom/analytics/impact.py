"""Customer impact from a request log: the one Ibis definition, and running it.

The definition (docs/definitions.md: failed request, affected customers, measured down
minute) is a handful of Ibis expressions, compiled by Ibis to each engine's SQL and run
unchanged on DuckDB or PySpark:

1. `in_scope`: requests with window.start <= ts < window.end, in the incident's scope.
2. `minute_counts`: per (customer, UTC minute) requests and failed requests: the one
   scan of the log that everything per-customer and per-minute derives from. The minute
   is an integer key (epoch microseconds // 60 000 000), far cheaper than truncating a
   zoned timestamp. It is kept (a DuckDB temporary table, a cached Spark table).
3. `failed_reach`: distinct users and transactions among failed requests: the second
   (and last) scan of the log, which decodes user and transaction only for failed rows.
4. `customer_totals`, `minute_series`, `down_ranges`: small queries over the kept counts.
   Down minutes come back as runs ("gaps and islands"), the shape `MinuteSet` keeps.

A request fails when status >= 500 or status is 0 or null. Whether a minute is down is the
domain's `DowntimeRule` (`warroom.domain.downtime`), written here in SQL; the tests hold
the SQL to `DowntimeRule.is_down`.

Running it: the window, scope names and rule enter the expressions as `Values`: literals
on Spark, DuckDB variables on DuckDB, whose SQL thus depends only on the log's shape and
is kept between runs (`warroom.analytics.plan`): a run of a known shape neither compiles
nor imports Ibis. Ibis is imported on first use, never with this module.

`definition_hash()` fingerprints the compiled definition (DuckDB SQL over a canonical
log): stable across runs and engines, different as soon as the definition changes.
"""

# Ibis ships without type information: its types are Any to mypy.
from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from warroom.analytics.engines import (
    COUNTS,
    SOURCE,
    DuckDBEngine,
    Engine,
    SparkEngine,
    check_engine,
    connect,
)
from warroom.analytics.mapping import ColumnMapping, RequestLog, bind, check_time_sample
from warroom.analytics.plan import Plan, Shape, load, store
from warroom.analytics.sources import (
    UnreadableSource,
    engine_message,
    open_source,
    parse_source,
    stage,
)
from warroom.domain.downtime import DowntimeRule
from warroom.domain.errors import InvalidInput, Problem, WarroomError
from warroom.domain.impact import CustomerImpact, ImpactProvenance, ImpactResult, MinuteStat
from warroom.domain.minutes import MinuteSet
from warroom.domain.scope import Scope
from warroom.domain.window import TimeWindow, iso_z
from warroom.settings import DEFAULT_SPARK_MASTER

if TYPE_CHECKING:
    import ibis.expr.types as ir

DEFINITION_VERSION = "warroom impact definition 2"
MICROS_PER_MINUTE = 60_000_000

Progress = Callable[[float], None]
Runner = Callable[["ir.Table"], list[dict[str, Any]]]


@lru_cache(maxsize=1)
def _unix_micros() -> Any:
    """Microseconds since the epoch, as an Ibis builtin: Spark's UNIX_MICROS, which the SQL
    compiler writes as EPOCH_US for DuckDB."""
    import ibis

    def unix_micros(ts: Any) -> Any:
        """Spark's UNIX_MICROS."""

    return ibis.udf.scalar.builtin(unix_micros, signature=(("timestamp('UTC')",), "int64"))


# -- the values a run binds -------------------------------------------------------------------

# Each value's Ibis type and DuckDB type; its DuckDB variable is warroom_<name>.
_TYPES = {
    "start": ("timestamp('UTC')", "TIMESTAMPTZ"),
    "end": ("timestamp('UTC')", "TIMESTAMPTZ"),
    "regions": ("array<string>", "VARCHAR[]"),
    "services": ("array<string>", "VARCHAR[]"),
    "num": ("int64", "BIGINT"),
    "den": ("int64", "BIGINT"),
    "min_failed": ("int64", "BIGINT"),
}


@dataclass(frozen=True)
class Values:
    """A run's window, scope names and down-minute rule, as Ibis values.

    `written` puts them in the SQL as literals; `variables` reads them from DuckDB
    variables (constants once bound, so the window still prunes the Parquet scan), which
    `bindings` sets for a run.
    """

    start: ir.TimestampValue
    end: ir.TimestampValue
    regions: ir.ArrayValue | None  # None: every region
    services: ir.ArrayValue | None
    num: ir.IntegerValue  # the threshold is num / den (DowntimeRule.threshold_ratio)
    den: ir.IntegerValue
    min_failed: ir.IntegerValue

    @classmethod
    def written(cls, window: TimeWindow, scope: Scope, rule: DowntimeRule) -> Values:
        import ibis

        return cls(
            **{
                name: None if value is None else ibis.literal(value, _TYPES[name][0])
                for name, value in _plain(window, scope, rule).items()
            }
        )

    @classmethod
    def variables(cls, scope: Scope) -> Values:
        import ibis

        def getvariable(variable: str) -> Any:  # not `name`: Ibis nodes have a name
            """DuckDB's GETVARIABLE."""

        def read(name: str) -> Any:
            lookup = ibis.udf.scalar.builtin(getvariable, signature=(("string",), _TYPES[name][0]))
            return lookup(ibis.literal(f"warroom_{name}"))

        every = {"regions": scope.regions is None, "services": scope.services is None}
        return cls(**{name: None if every.get(name) else read(name) for name in _TYPES})


def bindings(
    window: TimeWindow,
    scope: Scope,
    rule: DowntimeRule,
) -> dict[str, tuple[str, Any]]:
    """DuckDB variable -> (DuckDB type, value), for `Values.variables`."""
    return {
        f"warroom_{name}": (_TYPES[name][1], value)
        for name, value in _plain(window, scope, rule).items()
        if value is not None
    }


def _plain(window: TimeWindow, scope: Scope, rule: DowntimeRule) -> dict[str, Any]:
    num, den = rule.threshold_ratio
    return {
        "start": window.start,
        "end": window.end,
        "regions": None if scope.regions is None else list(scope.regions),
        "services": None if scope.services is None else list(scope.services),
        "num": num,
        "den": den,
        "min_failed": rule.min_failed_requests,
    }


# -- the definition ---------------------------------------------------------------------------


def failed(t: ir.Table) -> ir.BooleanValue:
    """A request fails on a 5xx, a timeout (status 0) or no response (null status)."""
    return (t.status >= 500) | (t.status == 0) | t.status.isnull()


def in_scope(log: ir.Table, values: Values) -> ir.Table:
    """Requests inside [start, end) and the scope (a filter the engine can push into the
    scan: row groups outside the window of a time-sorted file are skipped)."""
    conditions = [log.ts >= values.start, log.ts < values.end]
    if values.regions is not None:
        conditions.append(values.regions.contains(log.region))
    if values.services is not None:
        conditions.append(values.services.contains(log.service))
    return log.filter(*conditions)


def minute_counts(requests: ir.Table) -> ir.Table:
    """customer_id, minute (epoch minute), requests, failed: the log's one full scan.

    Requests without a customer are kept (as a null customer) so that their count reaches
    `rows_scanned`; every query below drops them.
    """
    minute = (_unix_micros()(requests.ts) // MICROS_PER_MINUTE).name("minute")
    return requests.group_by([requests.customer_id, minute]).aggregate(
        requests=requests.count(), failed=requests.count(where=failed(requests))
    )


def failed_reach(requests: ir.Table, *, has_txn: bool) -> ir.Table:
    """Distinct users and (non-null, non-empty) transactions with at least one failed
    request."""
    import ibis

    hit = requests.filter(failed(requests), requests.customer_id.notnull())
    if not has_txn:
        transactions = ibis.literal(0, type="int64")
    elif hit.txn_id.type().is_string():  # an empty id is no transaction: only non-empty ones
        transactions = hit.txn_id.nunique(where=hit.txn_id != "")
    else:
        transactions = hit.txn_id.nunique()
    return hit.aggregate(users=hit.user_id.nunique(), transactions=transactions)


def customer_totals(counts: ir.Table) -> ir.Table:
    known = counts.filter(counts.customer_id.notnull())
    return known.group_by(customer_id=known.customer_id.cast("string")).aggregate(
        requests=known.requests.sum(), failed=known.failed.sum()
    )


def minute_series(counts: ir.Table) -> ir.Table:
    known = counts.filter(counts.customer_id.notnull())
    return known.group_by(known.minute).aggregate(
        requests=known.requests.sum(), failed=known.failed.sum()
    )


def down_ranges(counts: ir.Table, values: Values) -> ir.Table:
    """customer_id, start, end: runs of consecutive down minutes (end exclusive).

    A minute is down by `DowntimeRule.is_down`: requests > 0, failed >= min_failed and
    failed / requests >= num / den, compared as failed * den >= requests * num (exact).
    """
    import ibis

    down = counts.filter(
        counts.customer_id.notnull(),
        counts.requests > 0,
        counts.failed >= values.min_failed,
        counts.failed * values.den >= counts.requests * values.num,
    )
    run = down.minute - ibis.row_number().over(group_by=down.customer_id, order_by=down.minute)
    runs = down.mutate(run=run)
    return (
        runs.group_by(customer_id=runs.customer_id.cast("string"), run=runs.run)
        .aggregate(start=runs.minute.min(), end=runs.minute.max() + 1)
        .drop("run")
    )


_CANONICAL_SCHEMA = {
    "ts": "timestamp('UTC')",
    "customer_id": "string",
    "user_id": "string",
    "status": "int64",
    "region": "string",
    "service": "string",
    "txn_id": "string",
}


@lru_cache(maxsize=1)
def definition_sql() -> str:
    """The definition compiled (DuckDB dialect) over a canonical log and a scoped incident."""
    import ibis

    values = Values.variables(Scope(regions=("region",), services=("service",)))
    requests = in_scope(ibis.table(_CANONICAL_SCHEMA, name=SOURCE), values)
    counts = minute_counts(requests)
    parts = [
        counts,
        failed_reach(requests, has_txn=True),
        customer_totals(counts),
        minute_series(counts),
        down_ranges(counts, values),
    ]
    return ";\n".join(str(ibis.to_sql(part, dialect="duckdb")) for part in parts)


@lru_cache(maxsize=1)
def definition_hash() -> str:
    """sha256 of the versioned, compiled definition: the same on every run and engine, and
    different as soon as the definition (or the SQL Ibis makes of it) changes."""
    text = f"{DEFINITION_VERSION}\n{definition_sql()}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def compile_plan(
    engine: Engine, mapping: ColumnMapping | None, scope: Scope, label: str, values: Values
) -> Plan:
    """Compile the definition for the log `SOURCE`, checking it against the contract first."""
    import ibis

    log = bind(
        ibis.table(engine.schema(SOURCE), name=SOURCE),
        mapping,
        need=_needed_for(scope),
        source=label,
    )
    requests = in_scope(log.table, values)
    counts_expr = minute_counts(requests)
    counts = ibis.table(counts_expr.schema(), name=COUNTS)
    exprs = {
        "counts": counts_expr,
        "rows": counts.aggregate(n=counts.requests.sum()),
        "totals": customer_totals(counts),
        "reach": failed_reach(requests, has_txn=log.has("txn_id")),
        "series": minute_series(counts),
        "ranges": down_ranges(counts, values),
    }
    if log.time_sample is not None:
        exprs["sample"] = log.time_sample
    return Plan(
        definition_hash=definition_hash(),
        columns=dict(log.columns),
        has_txn=log.has("txn_id"),
        statements={
            name: str(ibis.to_sql(expr, dialect=engine.dialect)) for name, expr in exprs.items()
        },
    )


def _plan(
    engine: Engine,
    mapping: ColumnMapping | None,
    scope: Scope,
    label: str,
    window: TimeWindow,
    rule: DowntimeRule,
    cache: Path | None,
) -> Plan:
    """The plan for this run, its values bound. On DuckDB a kept plan is used when there is
    one (its shape was checked against the contract when it was compiled)."""
    if isinstance(engine, SparkEngine):  # Spark's start-up dwarfs compiling
        return compile_plan(engine, mapping, scope, label, Values.written(window, scope, rule))
    shape = Shape(
        engine.dialect,
        engine.describe(SOURCE),
        tuple(sorted((mapping or ColumnMapping()).columns.items())),
        scope.regions is not None,
        scope.services is not None,
    )
    key = shape.key()
    plan = load(cache, key) if cache is not None else None
    if plan is None:
        plan = compile_plan(engine, mapping, scope, label, Values.variables(scope))
        if cache is not None:
            store(cache, key, plan)
    engine.set_variables(bindings(window, scope, rule))
    return plan


# -- running it -------------------------------------------------------------------------------


def compute_impact(
    source: str,
    window: TimeWindow,
    scope: Scope | None = None,
    *,
    rule: DowntimeRule = DowntimeRule(),
    backend: str = "duckdb",
    mapping: ColumnMapping | None = None,
    spark_master: str = DEFAULT_SPARK_MASTER,
    plan_cache: Path | None = None,
    progress: Progress | None = None,
    now: Callable[[], datetime] | None = None,
) -> ImpactResult:
    """Measure an incident's customer impact from a request log.

    `source` is a ``--requests`` value (see `warroom.analytics.sources`); `rule` decides
    which minutes are down (the domain's defaults unless the policy says). It runs on
    `backend` (Spark on `spark_master`); DuckDB keeps compiled plans in `plan_cache`
    (None: compile every run). `progress` receives fractions 0..1 as the scans advance
    (from a worker thread on DuckDB). `now` is the clock for provenance. Raises
    WarroomError subclasses for every problem of the user's input.
    """
    scope = scope or Scope.everything()
    check_engine(backend)
    spec = parse_source(source)
    report = progress or (lambda fraction: None)
    report(0.0)
    engine = connect(backend, spark_master=spark_master)
    try:
        elsewhere = open_source(spec, engine)
        columns: dict[str, str] | None = None
        diagnose: Callable[[], tuple[RequestLog, Runner]]
        if elsewhere is not None:  # PostgreSQL: filter there, stage here
            assert isinstance(engine, DuckDBEngine)
            log = bind(elsewhere, mapping, need=_needed_for(scope), source=spec.text)
            if log.time_sample is not None:
                check_time_sample(
                    log.columns["ts"],
                    [r["t"] for r in _run_elsewhere(log.time_sample)],
                    source=spec.text,
                )
            stage(in_scope(log.table, Values.written(window, scope, rule)), engine)
            columns, mapping = dict(log.columns), None

            def diagnose() -> tuple[RequestLog, Runner]:  # the whole log, where it lives
                return log, _run_elsewhere
        else:

            def diagnose() -> tuple[RequestLog, Runner]:
                import ibis

                table = ibis.table(engine.schema(SOURCE), name=SOURCE)
                log = bind(table, mapping, need=_needed_for(scope), source=spec.text)
                return log, engine.rows

        plan = _plan(engine, mapping, scope, spec.text, window, rule, plan_cache)
        if "sample" in plan.statements:
            sample = [row["t"] for row in _execute(engine, plan, "sample")]
            check_time_sample(plan.columns["ts"], sample, source=spec.text)
        scan = _scan(engine, plan, window, scope, report, diagnose)
        report(1.0)
        return ImpactResult(
            window=window,
            scope=scope,
            threshold=rule.error_rate_threshold,
            min_failed=rule.min_failed_requests,
            users_affected=scan.users,
            transactions_affected=scan.transactions if plan.has_txn else None,
            per_customer=scan.per_customer,
            series=scan.series,
            provenance=ImpactProvenance(
                source=spec.text,
                columns=columns or dict(plan.columns),
                rows_scanned=scan.rows_scanned,
                engine=engine.name,
                engine_version=engine.version,
                definition_hash=plan.definition_hash,
                computed_at=(now or _utcnow)(),
            ),
        )
    finally:
        engine.close()


@dataclass(frozen=True)
class _Scan:
    rows_scanned: int
    users: int
    transactions: int
    per_customer: tuple[CustomerImpact, ...]
    series: tuple[MinuteStat, ...]


def _scan(
    engine: Engine,
    plan: Plan,
    window: TimeWindow,
    scope: Scope,
    report: Progress,
    diagnose: Callable[[], tuple[RequestLog, Runner]],
) -> _Scan:
    """The two scans and the small queries over the kept per-minute counts.

    The counts come first: when the window and scope hold no request, the reason is
    reported without paying for the second scan.
    """
    tracker = _Tracker(engine, report)
    with tracker.step(0.0, 0.5):
        _execute(engine, plan, "counts", keep=True)
    rows_scanned = int(_execute(engine, plan, "rows")[0]["n"] or 0)
    totals = _execute(engine, plan, "totals")
    if not totals:
        log, runner = diagnose()
        raise _nothing_found(log, window, scope, rows_scanned, runner)
    with tracker.step(0.5, 0.95):
        reach = _execute(engine, plan, "reach")[0]
    return _Scan(
        rows_scanned=rows_scanned,
        users=int(reach["users"] or 0),
        transactions=int(reach["transactions"] or 0),
        per_customer=_per_customer(totals, _execute(engine, plan, "ranges")),
        series=_series(window, _execute(engine, plan, "series")),
    )


def _execute(
    engine: Engine,
    plan: Plan,
    name: str,
    *,
    keep: bool = False,
) -> list[dict[str, Any]]:
    """Run the plan's statement `name` (`keep`: into the table `COUNTS`); the engine's
    complaints about the user's data become WarroomErrors."""
    sql = plan.statements[name]
    try:
        if keep:
            engine.keep(COUNTS, sql)
            return []
        return engine.query(sql)
    except Exception as exc:
        if _is_engine_error(exc):
            raise UnreadableSource(
                f"the request log could not be read: {engine_message(exc)}"
            ) from None
        raise


def _run_elsewhere(expr: ir.Table) -> list[dict[str, Any]]:
    return list(expr.to_pyarrow().to_pylist())


def _is_engine_error(exc: BaseException) -> bool:
    module = type(exc).__module__ or ""
    return module.startswith(("duckdb", "_duckdb", "pyspark", "py4j", "psycopg"))


def _per_customer(
    totals: list[dict[str, Any]],
    ranges: list[dict[str, Any]],
) -> tuple[CustomerImpact, ...]:
    runs: dict[str, list[tuple[int, int]]] = {}
    for row in ranges:
        runs.setdefault(str(row["customer_id"]), []).append((int(row["start"]), int(row["end"])))
    return tuple(
        CustomerImpact(
            customer_id=str(row["customer_id"]),
            requests=int(row["requests"]),
            failed=int(row["failed"]),
            down_minutes=MinuteSet(tuple(runs.get(str(row["customer_id"]), ()))),
        )
        for row in totals
    )


def _series(window: TimeWindow, series: list[dict[str, Any]]) -> tuple[MinuteStat, ...]:
    seen = {int(row["minute"]): (int(row["requests"]), int(row["failed"])) for row in series}
    return tuple(
        MinuteStat(minute, *seen.get(minute, (0, 0))) for minute in MinuteSet.from_window(window)
    )


# -- inputs and their problems ----------------------------------------------------------------


def _needed_for(scope: Scope) -> dict[str, str]:
    needs = {}
    if scope.regions is not None:
        needs["region"] = f"the incident is scoped to regions {', '.join(scope.regions)}"
    if scope.services is not None:
        needs["service"] = f"the incident is scoped to services {', '.join(scope.services)}"
    return needs


def _nothing_found(
    log: RequestLog, window: TimeWindow, scope: Scope, rows_scanned: int, run: Runner
) -> WarroomError:
    """Why no customer's request is in the window and scope, as precisely as the log says."""
    t = log.table
    start, end = _z(window.start), _z(window.end)
    if rows_scanned:
        return _refusal(
            "customer_id",
            "no_customers",
            f"none of the {rows_scanned} requests between {start} and {end} has a "
            f"customer (column {log.columns['customer_id']!r} is empty)",
        )
    in_window = t.filter(t.ts >= window.start, t.ts < window.end)
    if not scope.is_everything and run(in_window.aggregate(n=in_window.count()))[0]["n"]:
        found = []
        for name, wanted in (("region", scope.regions), ("service", scope.services)):
            if wanted is None:
                continue
            values = in_window.select(v=in_window[name]).distinct().order_by("v").limit(21)
            seen = [str(row["v"]) for row in run(values)]
            listed = ", ".join(seen[:20]) + (", ..." if len(seen) > 20 else "")
            found.append(f"{name}s {', '.join(wanted)} (the log has {listed or 'none'})")
        return _refusal(
            "scope",
            "scope_matches_nothing",
            f"no request between {start} and {end} is in the incident's scope: " + "; ".join(found),
        )
    span = run(t.aggregate(first=t.ts.min(), last=t.ts.max(), n=t.count()))[0]
    if not span["n"]:
        covers = "the log has no requests at all"
    else:
        covers = f"the log covers {_z(span['first'])} to {_z(span['last'])}"
    return _refusal(
        "window",
        "empty_window",
        f"the request log has no requests between {start} and {end}; {covers}",
    )


def _refusal(field: str, code: str, message: str) -> InvalidInput:
    return InvalidInput([Problem(field, code, message)], summary=message)


def _z(at: Any) -> str:
    """A time an engine handed back, for a message: engines may drop the zone of the log's
    UTC timestamps, so a naive one is read as UTC; anything else is shown as it is."""
    if isinstance(at, datetime):
        return iso_z(at if at.tzinfo is not None else at.replace(tzinfo=UTC))
    return str(at)


def _utcnow() -> datetime:
    return datetime.now(UTC)


# -- progress ---------------------------------------------------------------------------------


@dataclass
class _Tracker:
    """Turns engine progress into overall fractions: DuckDB is polled from a thread while a
    query runs; Spark reports at step boundaries."""

    engine: Engine
    report: Progress
    interval: float = 0.2

    @contextmanager
    def step(self, start: float, end: float) -> Iterator[None]:
        self.report(start)
        stop = threading.Event()
        poller = None
        if isinstance(self.engine, DuckDBEngine):
            engine = self.engine

            def poll() -> None:
                last = start
                while not stop.wait(self.interval):
                    percent = engine.progress()
                    if percent is None:
                        continue
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
