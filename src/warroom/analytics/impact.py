"""Customer impact from a request log: the one Ibis definition, and running it.

The definition (DESIGN.md, "Request log" and "SLA computation") is a handful of Ibis
expressions, compiled by Ibis to each engine's SQL and run unchanged on DuckDB or PySpark:

1. `in_scope`: requests with window.start <= ts < window.end, in the incident's scope.
2. `minute_counts`: per (customer, UTC minute) requests and failed requests: the one
   scan of the log that everything per-customer and per-minute derives from. The minute
   is an integer key (epoch microseconds // 60 000 000), far cheaper than truncating a
   zoned timestamp. It is kept (a DuckDB temporary table, a cached Spark table).
3. `failed_reach`: distinct users and transactions among failed requests: the second
   (and last) scan of the log, which decodes user and transaction only for failed rows.
4. `customer_totals`, `minute_series`, `down_ranges`: small queries over the kept counts.
   Down minutes come back as runs ("gaps and islands"), the shape `MinuteSet` keeps.

A request fails when status >= 500 or status is 0 or null. A minute is down for a customer
when failed * den >= requests * num (threshold = num/den, exact integers, no floats) and
failed >= min_failed; minutes without requests are never down.

Running it: the expressions are compiled into a `Plan` (named SQL statements) for the
log's shape. On DuckDB the plan's values are parameters and the plan is kept between runs
(`warroom.analytics.plan`), so a run of a known shape neither compiles nor imports Ibis;
on Spark the plan is compiled for each run. Ibis is imported on first use, never with
this module.

`definition_hash()` fingerprints the compiled definition (DuckDB SQL over a canonical
log): stable across runs and engines, different as soon as the definition changes.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from warroom.analytics.engines import (
    DEFAULT_SPARK_MASTER,
    DuckDBEngine,
    Engine,
    EngineUnavailable,
    as_engine,
    check_engine,
    connect,
    fresh_name,
)
from warroom.analytics.mapping import ColumnMapping, RequestLog, bind, check_time_sample
from warroom.analytics.plan import COUNTS, SOURCE, Plan, PlanError, Shape, parametrize
from warroom.analytics.plan import load as load_plan
from warroom.analytics.plan import store as store_plan
from warroom.analytics.sources import (
    OpenedLog,
    Source,
    UnreadableSource,
    describe,
    engine_message,
    open_source,
    parse_source,
    stage,
)
from warroom.domain.errors import InvalidInput, Problem, WarroomError
from warroom.domain.impact import CustomerImpact, ImpactProvenance, ImpactResult, MinuteStat
from warroom.domain.minutes import MinuteSet
from warroom.domain.scope import Scope
from warroom.domain.window import TimeWindow

if TYPE_CHECKING:
    import ibis.expr.types as ir

DEFINITION_VERSION = "warroom impact definition 1"
DEFAULT_THRESHOLD = Decimal("0.05")
DEFAULT_MIN_FAILED = 1
MICROS_PER_MINUTE = 60_000_000

Progress = Callable[[float], None]


@lru_cache(maxsize=1)
def _unix_micros() -> Any:
    """Microseconds since the epoch, as an Ibis builtin: Spark's UNIX_MICROS, which the SQL
    compiler writes as EPOCH_US for DuckDB."""
    import ibis
    import ibis.expr.datatypes as dt

    def unix_micros(ts: Any) -> Any:
        """Spark's UNIX_MICROS."""

    # real objects, not the strings `from __future__ import annotations` would leave
    unix_micros.__annotations__ = {"ts": dt.Timestamp(timezone="UTC"), "return": dt.int64}
    return ibis.udf.scalar.builtin(unix_micros)


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
    minute = (_unix_micros()(requests.ts) // MICROS_PER_MINUTE).name("minute")
    return requests.group_by([requests.customer_id, minute]).aggregate(
        requests=requests.count(), failed=requests.count(where=failed(requests)))


def failed_reach(requests: ir.Table, *, has_txn: bool) -> ir.Table:
    """Distinct users and (non-null, non-empty) transactions with at least one failed
    request."""
    import ibis

    hit = requests.filter(failed(requests), requests.customer_id.notnull())
    if not has_txn:
        transactions = ibis.literal(0, type="int64")
    elif hit.txn_id.type().is_string():  # an empty id is no transaction (DESIGN: non-null)
        transactions = hit.txn_id.nunique(where=hit.txn_id != "")
    else:
        transactions = hit.txn_id.nunique()
    return hit.aggregate(users=hit.user_id.nunique(), transactions=transactions)


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
    return _down_ranges(counts, num, den, min_failed)


def _down_ranges(counts: ir.Table, num: int, den: int, min_failed: int) -> ir.Table:
    import ibis

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
    import ibis

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


# -- compiling it into a plan -----------------------------------------------------------------

# Sentinels: values no real input has, compiled in and then replaced by parameters.
_START = datetime(1971, 2, 3, 4, 5, 6, 70809, tzinfo=UTC)
_END = datetime(1972, 3, 4, 5, 6, 7, 80910, tzinfo=UTC)
_NUM, _DEN, _MIN_FAILED = 7340033, 7340039, 7340047


def _sentinel_scope(scope: Scope) -> Scope:
    def names(kind: str, values: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return None if values is None else tuple(
            f"warroom_plan_{kind}_{i}" for i in range(len(values)))
    return Scope(regions=names("region", scope.regions),
                 services=names("service", scope.services))


def _parameters(window: TimeWindow, scope: Scope, threshold: Decimal,
                min_failed: int) -> dict[str, Any]:
    """A parametrized plan's values, by parameter name."""
    num, den = threshold.as_integer_ratio()
    values: dict[str, Any] = {"start": window.start, "end": window.end, "num": num,
                              "den": den, "min_failed": min_failed}
    for kind, names in (("region", scope.regions), ("service", scope.services)):
        for i, name in enumerate(names or ()):
            values[f"{kind}_{i}"] = name
    return values


def _build_plan(engine: Engine, view: str, mapping: ColumnMapping | None, scope: Scope,
                label: str, key: str, values: tuple[TimeWindow, Decimal, int] | None,
                ) -> Plan:
    """Compile the definition for the log `view`, checking it against the contract first.

    With `values` (window, threshold, min_failed) they are written in; without, sentinels
    are compiled and replaced by parameters (a plan worth keeping).
    """
    import ibis

    source = ibis.table(engine.table(view).schema(), name=SOURCE)
    log = bind(source, mapping, need=_needed_for(scope), source=label)
    if values is None:
        window, sql_scope = TimeWindow(_START, _END), _sentinel_scope(scope)
        num, den, min_failed = _NUM, _DEN, _MIN_FAILED
    else:
        window, sql_scope = values[0], scope
        (num, den), min_failed = values[1].as_integer_ratio(), values[2]
    requests = in_scope(log.table, window, sql_scope)
    counts_expr = minute_counts(requests)
    counts = ibis.table(counts_expr.schema(), name=COUNTS)
    exprs = {
        "counts": counts_expr,
        "rows": counts.aggregate(n=counts.requests.sum()),
        "totals": customer_totals(counts),
        "reach": failed_reach(requests, has_txn=log.has("txn_id")),
        "series": minute_series(counts),
        "ranges": _down_ranges(counts, num, den, min_failed),
    }
    if log.time_sample is not None:
        exprs["sample"] = log.time_sample
    statements = {name: str(ibis.to_sql(expr, dialect=engine.dialect))
                  for name, expr in exprs.items()}
    if values is None:
        statements = _parametrized(statements, scope, engine.dialect)
    return Plan(key=key, definition_hash=definition_hash(), columns=dict(log.columns),
                has_txn=log.has("txn_id"), statements=statements)


def _parametrized(statements: dict[str, str], scope: Scope, dialect: str) -> dict[str, str]:
    import ibis

    def rendering(value: Any) -> str:
        """How the compiler writes the literal `value` (between SELECT and its alias)."""
        sql = str(ibis.to_sql(ibis.table({"x": "int64"}, name="t").select(
            warroom_value=ibis.literal(value)), dialect=dialect))
        body = sql.split("SELECT", 1)[1]
        return re.split(r"\s+AS\s+[\"`]?warroom_value", body, maxsplit=1)[0].strip()

    scan = {"$start": rendering(_START), "$end": rendering(_END)}
    sentinels = _sentinel_scope(scope)
    for kind, names in (("region", sentinels.regions), ("service", sentinels.services)):
        for i, name in enumerate(names or ()):
            scan[f"${kind}_{i}"] = rendering(name)
    rule = {"$num": str(_NUM), "$den": str(_DEN), "$min_failed": str(_MIN_FAILED)}
    out = dict(statements)
    for name in ("counts", "reach"):
        out[name] = parametrize(statements[name], scan)
    out["ranges"] = parametrize(statements["ranges"], rule)
    return out


def _plan(engine: Engine, view: str, mapping: ColumnMapping | None, scope: Scope,
          label: str, window: TimeWindow, threshold: Decimal, min_failed: int,
          ) -> tuple[Plan, dict[str, Any] | None]:
    """The plan for this log and scope, and the values to bind to it (None: written in).

    DuckDB plans are parametrized and kept (see `warroom.analytics.plan`); a plan found
    there means the shape was checked against the contract before, and nothing is
    compiled (Ibis is not even imported).
    """
    shape = Shape(engine.dialect, engine.describe(view),
                  tuple(sorted((mapping or ColumnMapping()).columns.items())),
                  None if scope.regions is None else len(scope.regions),
                  None if scope.services is None else len(scope.services))
    key = shape.key()
    literal = (window, threshold, min_failed)
    if not engine.parameters:
        return _build_plan(engine, view, mapping, scope, label, key, literal), None
    plan = load_plan(key)
    if plan is None:
        try:
            plan = _build_plan(engine, view, mapping, scope, label, key, None)
        except PlanError:  # a compiler that writes values unexpectedly: run unkept
            return _build_plan(engine, view, mapping, scope, label, key, literal), None
        store_plan(plan)
    return plan, _parameters(window, scope, threshold, min_failed)


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
    Ibis table (bound to DuckDB or PySpark, or any table Ibis can stream, staged into
    DuckDB). `connection` reuses an engine (an `Engine`, an Ibis DuckDB/PySpark backend, a
    duckdb connection or a SparkSession); else one is made for `backend` (Spark on
    `spark_master`). `progress` receives fractions 0..1 as the scans advance (from a
    worker thread on DuckDB). `now` is the clock for provenance. Raises WarroomError
    subclasses for every problem of the user's input; nothing is left behind on error.
    """
    scope = scope or Scope.everything()
    _check_rule(threshold, min_failed)
    check_engine(backend)
    if mapping is not None and not isinstance(mapping, ColumnMapping):
        mapping = ColumnMapping(mapping)
    label = describe(table_or_source)
    report = progress or (lambda fraction: None)
    report(0.0)
    engine = _engine(table_or_source, backend, connection, spark_master)
    views: list[str] = []
    try:
        opened = _open(table_or_source, engine)
        views += [opened.view] if opened.view else []
        columns: dict[str, str] | None = None
        diagnose: Callable[[], tuple[RequestLog, Runner]]
        if opened.elsewhere is not None:  # e.g. PostgreSQL: filter there, stage here
            log = bind(opened.elsewhere, mapping, need=_needed_for(scope), source=label)
            if log.time_sample is not None:
                check_time_sample(log.columns["ts"],
                                  [r["t"] for r in _run_elsewhere(log.time_sample)],
                                  source=label)
            view = stage(in_scope(log.table, window, scope), engine)
            views.append(view)
            columns, mapping = dict(log.columns), None

            def diagnose() -> tuple[RequestLog, Runner]:  # the whole log, where it lives
                return log, _run_elsewhere
        else:
            assert opened.view is not None
            view = opened.view

            def diagnose() -> tuple[RequestLog, Runner]:
                log = bind(engine.table(view), mapping, need=_needed_for(scope), source=label)
                return log, engine.rows

        plan, params = _plan(engine, view, mapping, scope, label, window, threshold,
                             min_failed)
        run = _Run(engine, plan, view, params)
        if "sample" in plan.statements:
            sample = [row["t"] for row in run.query("sample")]
            check_time_sample(plan.columns["ts"], sample, source=label)
        scan = _scan(run, window, scope, report, diagnose)
        report(1.0)
        return ImpactResult(
            window=window,
            scope=scope,
            threshold=threshold,
            min_failed=min_failed,
            users_affected=scan.users,
            transactions_affected=scan.transactions if plan.has_txn else None,
            per_customer=scan.per_customer,
            series=scan.series,
            provenance=ImpactProvenance(
                source=label,
                columns=columns or dict(plan.columns),
                rows_scanned=scan.rows_scanned,
                engine=engine.name,
                engine_version=engine.version,
                definition_hash=plan.definition_hash,
                computed_at=(now or _utcnow)(),
            ),
        )
    finally:
        for name in views:
            engine.forget(name)
        engine.close()


Runner = Callable[["ir.Table"], list[dict[str, Any]]]


@dataclass
class _Run:
    """One run of a plan: its statements against this run's view and counts table."""

    engine: Engine
    plan: Plan
    view: str
    params: dict[str, Any] | None
    counts: str = field(default_factory=lambda: fresh_name("minute_counts"))

    def sql(self, name: str) -> str:
        return self.plan.sql(name, source=self.view, counts=self.counts)

    def query(self, name: str) -> list[dict[str, Any]]:
        return list(_execute(lambda: self.engine.query(self.sql(name), self.params)))

    def keep_counts(self) -> None:
        _execute(lambda: self.engine.create_table(self.counts, self.sql("counts"),
                                                  self.params))

    def drop_counts(self) -> None:
        self.engine.drop_table(self.counts)


@dataclass(frozen=True)
class _Scan:
    rows_scanned: int
    users: int
    transactions: int
    per_customer: tuple[CustomerImpact, ...]
    series: tuple[MinuteStat, ...]


def _scan(run: _Run, window: TimeWindow, scope: Scope, report: Progress,
          diagnose: Callable[[], tuple[RequestLog, Runner]]) -> _Scan:
    """The two scans and the small queries over the kept per-minute counts.

    The counts come first: when the window and scope hold no request, the reason is
    reported without paying for the second scan.
    """
    tracker = _Tracker(run.engine, report)
    with tracker.step(0.0, 0.5):
        run.keep_counts()
    try:
        rows_scanned = int(run.query("rows")[0]["n"] or 0)
        totals = run.query("totals")
        if not totals:
            log, runner = diagnose()
            raise _nothing_found(log, window, scope, rows_scanned, runner)
        with tracker.step(0.5, 0.95):
            reach = run.query("reach")[0]
        series = run.query("series")
        ranges = run.query("ranges")
    finally:
        run.drop_counts()
    return _Scan(rows_scanned=rows_scanned, users=int(reach["users"] or 0),
                 transactions=int(reach["transactions"] or 0),
                 per_customer=_per_customer(totals, ranges), series=_series(window, series))


def _run_elsewhere(expr: ir.Table) -> list[dict[str, Any]]:
    return list(expr.to_pyarrow().to_pylist())


def _execute(run: Callable[[], Any]) -> Any:
    """Run a query; the engine's complaints about the user's data become WarroomErrors."""
    try:
        return run()
    except WarroomError:
        raise
    except Exception as exc:
        if _is_engine_error(exc):
            raise UnreadableSource(
                f"the request log could not be read: {engine_message(exc)}") from None
        raise


def _is_engine_error(exc: BaseException) -> bool:
    module = type(exc).__module__ or ""
    return module.startswith(("duckdb", "_duckdb", "pyspark", "py4j", "psycopg"))


def _per_customer(totals: list[dict[str, Any]], ranges: list[dict[str, Any]],
                  ) -> tuple[CustomerImpact, ...]:
    runs: dict[str, list[tuple[int, int]]] = {}
    for row in ranges:
        runs.setdefault(str(row["customer_id"]), []).append((int(row["start"]), int(row["end"])))
    return tuple(
        CustomerImpact(customer_id=str(row["customer_id"]), requests=int(row["requests"]),
                       failed=int(row["failed"]),
                       down_minutes=MinuteSet(tuple(runs.get(str(row["customer_id"]), ()))))
        for row in totals)


def _series(window: TimeWindow, series: list[dict[str, Any]]) -> tuple[MinuteStat, ...]:
    seen = {int(row["minute"]): (int(row["requests"]), int(row["failed"])) for row in series}
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


def _nothing_found(log: RequestLog, window: TimeWindow, scope: Scope, rows_scanned: int,
                   run: Callable[[ir.Table], list[dict[str, Any]]]) -> WarroomError:
    """Why no customer's request is in the window and scope, as precisely as the log says."""
    t = log.table
    start, end = _z(window.start), _z(window.end)
    if rows_scanned:
        return _refusal(
            "customer_id", "no_customers",
            f"none of the {rows_scanned} requests between {start} and {end} has a "
            f"customer (column {log.columns['customer_id']!r} is empty)")
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
            "scope", "scope_matches_nothing",
            f"no request between {start} and {end} is in the incident's scope: "
            + "; ".join(found))
    span = run(t.aggregate(first=t.ts.min(), last=t.ts.max(), n=t.count()))[0]
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


# -- engines, sources, progress ---------------------------------------------------------------


def _engine(table_or_source: Any, backend: str, connection: Any, spark_master: str,
            ) -> Engine:
    if connection is not None:
        engine = as_engine(connection)
    elif _is_ibis_table(table_or_source) and _bound_backend(table_or_source) is not None:
        bound = _bound_backend(table_or_source)
        engine = as_engine(bound) if getattr(bound, "name", "") in ("duckdb", "pyspark") \
            else connect(backend, spark_master=spark_master)
    else:
        engine = connect(backend, spark_master=spark_master)
    if engine.name != backend:
        engine.close()
        raise EngineUnavailable(
            f"the connection or table given runs on {engine.name}, not on {backend}")
    return engine


def _open(table_or_source: Any, engine: Engine) -> OpenedLog:
    """The log as a view on the engine, or (PostgreSQL, Ibis expressions of other backends)
    a table elsewhere that `stage` brings over."""
    if not _is_ibis_table(table_or_source):
        spec = table_or_source if isinstance(table_or_source, Source) else parse_source(
            table_or_source)
        return open_source(spec, engine)
    import ibis.expr.operations as ops

    table: ir.Table = table_or_source
    bound = _bound_backend(table)
    name = fresh_name("requests")
    if bound is not None and getattr(bound, "name", "") == engine.name:
        engine.view(name, str(bound.compile(table)))
        return OpenedLog(view=name)
    node = table.op()
    if bound is None and isinstance(node, ops.InMemoryTable):  # in memory: hand it over
        engine.adopt(name, node.data.to_pyarrow(node.schema))
        return OpenedLog(view=name)
    return OpenedLog(elsewhere=table)


def _is_ibis_table(value: Any) -> bool:
    module = type(value).__module__ or ""
    return module.startswith("ibis.") and hasattr(value, "schema") and hasattr(value, "op")


def _bound_backend(table: Any) -> Any:
    try:
        backends, _ = table._find_backends()
    except Exception:
        return None
    return backends[0] if backends else None


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
