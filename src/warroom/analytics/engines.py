"""The engines impact runs on: DuckDB in-process (default) or PySpark (an optional extra).

The definition is written once as Ibis expressions over unbound tables named after the
engine's views (`SOURCE`, `COUNTS`); Ibis compiles them to the engine's SQL dialect and
the engine runs that SQL on its own connection, so warroom keeps control of what an Ibis
backend would hide: one temporary table for the kept counts, query progress, and start-up
cost (no pandas, no Arrow round trip for small results).

Every analysis gets a connection of its own (a fresh in-memory DuckDB, a new Spark session
sharing the cluster's context), so the view names are fixed and nothing outlives the run.
Connections are made here, with the settings the definition relies on (UTC session time
zone), and nowhere else.
"""

# Ibis ships without type information: its types are Any to mypy.
from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from warroom.domain.errors import WarroomError
from warroom.settings import DEFAULT_SPARK_MASTER

if TYPE_CHECKING:
    import ibis.expr.schema as sch
    import ibis.expr.types as ir

EngineName = Literal["duckdb", "pyspark"]
ENGINES: tuple[EngineName, ...] = ("duckdb", "pyspark")
SOURCE = "warroom_requests"  # the request log, as a view (or a staged table)
COUNTS = "warroom_minute_counts"  # the kept per-(customer, minute) counts


class EngineUnavailable(WarroomError):
    code = "engine_unavailable"


def check_engine(name: str) -> EngineName:
    if name == "duckdb":
        return "duckdb"
    if name == "pyspark":
        return "pyspark"
    raise EngineUnavailable(f"unknown backend {name!r}; choose one of: {', '.join(ENGINES)}")


@dataclass
class DuckDBEngine:
    """An in-memory DuckDB connection (``duckdb.DuckDBPyConnection``) owned by one analysis.

    Besides SQL with its values written in, it runs SQL that reads its values from DuckDB
    variables (``getvariable('warroom_start')``), so that a plan compiled once serves later
    runs (`warroom.analytics.plan`).
    """

    con: Any
    name: EngineName = field(default="duckdb", init=False)
    dialect: str = field(default="duckdb", init=False)

    @property
    def version(self) -> str:
        import duckdb

        return str(duckdb.__version__)

    def describe(self, name: str) -> tuple[tuple[str, str], ...]:
        """(column, DuckDB type) of the view or table `name`: cheap, and needs no Ibis."""
        return tuple(
            (str(row[0]), str(row[1])) for row in self.con.execute(f'DESCRIBE "{name}"').fetchall()
        )

    def schema(self, name: str) -> sch.Schema:
        """The Ibis schema of the view or table `name` (through its Arrow schema)."""
        import ibis

        return ibis.Schema.from_pyarrow(self.con.table(name).limit(0).to_arrow_table().schema)

    def view(self, name: str, select: str) -> None:
        self.con.execute(f'CREATE OR REPLACE TEMP VIEW "{name}" AS {select}')
        # Nanosecond timestamps (what pandas and Arrow write by default): read them at
        # microseconds, which is all a minute count needs, and what the definition expects.
        recast = [
            f'CAST("{column}" AS {_MICROSECONDS[kind]}) AS "{column}"'
            for column, kind in self.describe(name)
            if kind in _MICROSECONDS
        ]
        if recast:
            self.con.execute(
                f'CREATE OR REPLACE TEMP VIEW "{name}" AS SELECT * REPLACE '
                f"({', '.join(recast)}) FROM ({select})"
            )

    def set_variables(self, values: Mapping[str, tuple[str, Any]]) -> None:
        """Set DuckDB variables: name -> (SQL type, value), the value bound as a parameter."""
        for name, (kind, value) in values.items():
            self.con.execute(f"SET VARIABLE {name} = CAST($value AS {kind})", {"value": value})

    def query(self, sql: str) -> list[dict[str, Any]]:
        cursor = self.con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def keep(self, name: str, sql: str) -> None:
        """The result of `sql` as the temporary table `name`."""
        self.con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS {sql}')

    def rows(self, expr: ir.Table) -> list[dict[str, Any]]:
        """Compile `expr` (values written in) and run it."""
        import ibis

        return self.query(str(ibis.to_sql(expr, dialect=self.dialect)))

    def progress(self) -> float | None:
        """Percent done of the running query, None when none runs (polled from a thread)."""
        try:
            percent = float(self.con.query_progress())
        except Exception:
            return None
        return percent if percent >= 0 else None

    def close(self) -> None:
        with suppress(Exception):
            self.con.close()


@dataclass
class SparkEngine:
    """A Spark session of its own (temporary views, settings) on a shared SparkContext.

    Its plans carry their values written in: they are compiled for each run, since Spark's
    start-up and per-job cost dwarf compiling.
    """

    session: Any
    name: EngineName = field(default="pyspark", init=False)
    dialect: str = field(default="pyspark", init=False)

    @property
    def version(self) -> str:
        return str(self.session.version)

    def schema(self, name: str) -> sch.Schema:
        """The Ibis schema of the view `name`. Through Arrow, Spark's TIMESTAMP (an instant)
        is zoned (UTC, the session's zone) and TIMESTAMP_NTZ (a wall-clock time) is not."""
        import ibis

        return ibis.Schema.from_pyarrow(self.session.table(name).limit(0).toArrow().schema)

    def register(self, name: str, frame: Any) -> None:
        frame.createOrReplaceTempView(name)

    def query(self, sql: str) -> list[dict[str, Any]]:
        return [row.asDict() for row in self.session.sql(sql).collect()]

    def keep(self, name: str, sql: str) -> None:
        self.session.sql(f"CACHE TABLE `{name}` AS {sql}")

    def rows(self, expr: ir.Table) -> list[dict[str, Any]]:
        import ibis

        return self.query(str(ibis.to_sql(expr, dialect=self.dialect)))

    def progress(self) -> float | None:
        return None  # reported at step boundaries

    def close(self) -> None:
        """Free the kept counts; the SparkContext outlives one analysis (it costs seconds)."""
        with suppress(Exception):
            self.session.sql(f"UNCACHE TABLE IF EXISTS `{COUNTS}`")


_MICROSECONDS = {"TIMESTAMPTZ_NS": "TIMESTAMPTZ", "TIMESTAMP_NS": "TIMESTAMP"}

Engine = DuckDBEngine | SparkEngine


def connect(engine: str = "duckdb", *, spark_master: str = DEFAULT_SPARK_MASTER) -> Engine:
    """An engine for one analysis: DuckDB in this process, or Spark on `spark_master`."""
    if check_engine(engine) == "pyspark":
        return connect_pyspark(spark_master)
    return connect_duckdb()


def connect_duckdb() -> DuckDBEngine:
    """An in-memory DuckDB; query progress is tracked (for progress bars), never printed."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")  # the definition relies on it
    con.execute("SET preserve_insertion_order = false")  # no result here depends on it
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    return DuckDBEngine(con)


def connect_pyspark(master: str = DEFAULT_SPARK_MASTER) -> SparkEngine:
    """A new session on the Spark of `master` (``local[*]``, ``spark://host:7077``, ...),
    started if this process has none yet.

    Its time zone is UTC, which the definition relies on. Local masters get no web UI and
    few shuffle partitions.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineUnavailable("PySpark is not installed: pip install 'warroom[spark]'") from None
    builder = SparkSession.builder.master(master).appName("warroom impact")
    if master.startswith("local"):
        builder = builder.config("spark.ui.enabled", "false")
    try:
        started = builder.getOrCreate()
    except Exception as exc:  # Java missing, master unreachable: the user's to fix
        raise EngineUnavailable(
            f"Spark could not start on master {master!r} (is Java 17 installed and the "
            f"master reachable?): {_first_line(exc)}"
        ) from None
    started.sparkContext.setLogLevel("ERROR")
    session = started.newSession()
    session.conf.set("spark.sql.session.timeZone", "UTC")
    if master.startswith("local"):
        session.conf.set("spark.sql.shuffle.partitions", "8")
    return SparkEngine(session)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
