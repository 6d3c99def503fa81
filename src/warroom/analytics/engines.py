"""The engines impact runs on: DuckDB in-process (default) or PySpark (an optional extra).

The definition is written once as Ibis expressions over *unbound* tables named after
engine-side views; an engine compiles them with Ibis for its SQL dialect and runs the SQL
on its own connection. Both engines thus run the very same expressions, and warroom keeps
control of what an Ibis backend would hide: one temporary table for the cached counts,
query progress, and start-up cost (no pandas, no Arrow round trip for small results).

Connections are made here, with the settings the definition relies on (UTC session time
zone), and nowhere else.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from itertools import count
from typing import TYPE_CHECKING, Any, Literal

from warroom.domain.errors import WarroomError

if TYPE_CHECKING:
    import ibis.expr.types as ir

EngineName = Literal["duckdb", "pyspark"]
ENGINES: tuple[EngineName, ...] = ("duckdb", "pyspark")
DEFAULT_SPARK_MASTER = "local[*]"
_names = count(1)


class EngineUnavailable(WarroomError):
    code = "engine_unavailable"


def check_engine(name: str) -> EngineName:
    if name == "duckdb":
        return "duckdb"
    if name == "pyspark":
        return "pyspark"
    raise EngineUnavailable(f"unknown backend {name!r}; choose one of: {', '.join(ENGINES)}")


def fresh_name(prefix: str) -> str:
    return f"warroom_{prefix}_{next(_names)}"


@dataclass
class DuckDBEngine:
    """An in-process DuckDB connection (``duckdb.DuckDBPyConnection``).

    Runs SQL with ``$name`` parameters bound (a plan's values), so that plans can be
    compiled once and kept.
    """

    con: Any
    owned: bool = True
    name: EngineName = field(default="duckdb", init=False)
    dialect: str = field(default="duckdb", init=False)
    parameters: bool = field(default=True, init=False)

    @property
    def version(self) -> str:
        import duckdb

        return str(duckdb.__version__)

    def describe(self, name: str) -> tuple[tuple[str, str], ...]:
        """(column, DuckDB type) of the view or table `name`."""
        return tuple((str(row[0]), str(row[1]))
                     for row in self.con.execute(f'DESCRIBE "{name}"').fetchall())

    def table(self, name: str) -> ir.Table:
        """An unbound Ibis table with the schema of the view or table `name`."""
        import ibis
        from ibis.backends.sql.datatypes import DuckDBType

        return ibis.table({column: DuckDBType.from_string(kind)
                           for column, kind in self.describe(name)}, name=name)

    def view(self, name: str, select: str) -> None:
        self.con.execute(f'CREATE OR REPLACE TEMP VIEW "{name}" AS {select}')
        # Nanosecond timestamps (what pandas and Arrow write by default) have no Ibis type:
        # read them at microseconds, which is all a minute count needs.
        recast = [f'CAST("{column}" AS {_MICROSECONDS[kind]}) AS "{column}"'
                  for column, kind in self.describe(name) if kind in _MICROSECONDS]
        if recast:
            self.con.execute(f'CREATE OR REPLACE TEMP VIEW "{name}" AS SELECT * REPLACE '
                             f'({", ".join(recast)}) FROM ({select})')

    def adopt(self, name: str, data: Any) -> None:
        """An Arrow table (already in memory) as the view `name`."""
        self.con.register(name, data)

    def query(self, sql: str, params: Mapping[str, Any] | None = None,
              ) -> list[dict[str, Any]]:
        cursor = self.con.execute(sql, _used(sql, params))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def create_table(self, name: str, sql: str, params: Mapping[str, Any] | None = None,
                     ) -> None:
        self.con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS {sql}',
                         _used(sql, params))

    def drop_table(self, name: str) -> None:
        with suppress(Exception):
            self.con.execute(f'DROP TABLE IF EXISTS "{name}"')

    def forget(self, name: str) -> None:
        """Drop a view, registered table or staged table this run made (needed on a
        caller's connection; closing an owned one forgets everything anyway)."""
        for statement in (f'DROP VIEW IF EXISTS "{name}"', f'DROP TABLE IF EXISTS "{name}"'):
            with suppress(Exception):
                self.con.execute(statement)
        with suppress(Exception):
            self.con.unregister(name)

    def sql(self, expr: ir.Table) -> str:
        import ibis

        return str(ibis.to_sql(expr, dialect=self.dialect))

    def rows(self, expr: ir.Table) -> list[dict[str, Any]]:
        """Compile `expr` (values written in) and run it."""
        return self.query(self.sql(expr))

    def progress(self) -> float | None:
        """Percent done of the running query, None when none runs (polled from a thread)."""
        try:
            percent = float(self.con.query_progress())
        except Exception:
            return None
        return percent if percent >= 0 else None

    def close(self) -> None:
        if self.owned:
            with suppress(Exception):
                self.con.close()


@dataclass
class SparkEngine:
    """A SparkSession (local or a cluster's). Plans for Spark carry their values written
    in (compiled per run: Spark's start-up dwarfs compiling)."""

    session: Any
    name: EngineName = field(default="pyspark", init=False)
    dialect: str = field(default="pyspark", init=False)
    parameters: bool = field(default=False, init=False)

    @property
    def version(self) -> str:
        return str(self.session.version)

    def describe(self, name: str) -> tuple[tuple[str, str], ...]:
        return tuple((f.name, f.dataType.simpleString())
                     for f in self.session.table(name).schema.fields)

    def table(self, name: str) -> ir.Table:
        """An unbound Ibis table for the temporary view `name`.

        Spark's TIMESTAMP is an instant (shown in the session zone, UTC here) and
        TIMESTAMP_NTZ a wall-clock time: they map to zoned and zoneless Ibis timestamps.
        """
        import ibis
        import ibis.expr.datatypes as dt
        from ibis.backends.pyspark.datatypes import PySparkType

        columns: dict[str, dt.DataType] = {}
        for spark_field in self.session.table(name).schema.fields:
            kind = spark_field.dataType.typeName()
            if kind == "timestamp":
                columns[spark_field.name] = dt.Timestamp(timezone="UTC")
            elif kind == "timestamp_ntz":
                columns[spark_field.name] = dt.Timestamp()
            else:
                columns[spark_field.name] = PySparkType.to_ibis(spark_field.dataType)
        return ibis.table(columns, name=name)

    def view(self, name: str, select: str) -> None:
        self.session.sql(select).createOrReplaceTempView(name)

    def register(self, name: str, frame: Any) -> None:
        frame.createOrReplaceTempView(name)

    def adopt(self, name: str, data: Any) -> None:
        """An Arrow table (already in memory) as the view `name`."""
        self.register(name, self.session.createDataFrame(data.to_pandas()))

    def query(self, sql: str, params: Mapping[str, Any] | None = None,
              ) -> list[dict[str, Any]]:
        _no_parameters(params)
        return [row.asDict() for row in self.session.sql(sql).collect()]

    def create_table(self, name: str, sql: str, params: Mapping[str, Any] | None = None,
                     ) -> None:
        _no_parameters(params)
        self.session.sql(f"CACHE TABLE `{name}` AS {sql}")

    def drop_table(self, name: str) -> None:
        with suppress(Exception):
            self.session.sql(f"UNCACHE TABLE IF EXISTS `{name}`")
            self.session.catalog.dropTempView(name)

    def forget(self, name: str) -> None:
        with suppress(Exception):
            self.session.catalog.dropTempView(name)

    def sql(self, expr: ir.Table) -> str:
        import ibis

        return str(ibis.to_sql(expr, dialect=self.dialect))

    def rows(self, expr: ir.Table) -> list[dict[str, Any]]:
        return self.query(self.sql(expr))

    def progress(self) -> float | None:
        return None  # reported at step boundaries

    def close(self) -> None:
        """A session outlives one analysis (starting one costs seconds)."""


_MICROSECONDS = {"TIMESTAMPTZ_NS": "TIMESTAMPTZ",
                 "TIMESTAMP_NS": "TIMESTAMP"}


def _used(sql: str, params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The parameters `sql` uses (DuckDB refuses values for absent ones)."""
    if not params:
        return None
    return {k: v for k, v in params.items() if re.search(rf"\${re.escape(k)}\b", sql)} or None


def _no_parameters(params: Mapping[str, Any] | None) -> None:
    if params:
        raise ValueError("Spark plans carry their values; parameters are not bound")


Engine = DuckDBEngine | SparkEngine


def connect(engine: str = "duckdb", *, spark_master: str = DEFAULT_SPARK_MASTER,
            threads: int | None = None) -> Engine:
    """An engine: DuckDB in this process, or Spark on `spark_master`."""
    if check_engine(engine) == "pyspark":
        return connect_pyspark(spark_master)
    return connect_duckdb(threads=threads)


def connect_duckdb(*, threads: int | None = None, memory_limit: str | None = None,
                   ) -> DuckDBEngine:
    """An in-memory DuckDB; query progress is tracked (for progress bars), never printed."""
    import duckdb

    config: dict[str, Any] = {}
    if threads is not None:
        config["threads"] = threads
    if memory_limit is not None:
        config["memory_limit"] = memory_limit
    con = duckdb.connect(config=config)
    con.execute("SET TimeZone = 'UTC'")  # the definition relies on it
    con.execute("SET preserve_insertion_order = false")  # no result here depends on it
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    return DuckDBEngine(con)


def connect_pyspark(master: str = DEFAULT_SPARK_MASTER, *, session: Any = None,
                    ) -> SparkEngine:
    """A SparkSession for `master` (``local[*]``, ``spark://host:7077``, ...).

    An existing `session` is reused. Either way its session time zone is set to UTC,
    which the definition relies on. Local masters get no web UI and few shuffle partitions.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineUnavailable("PySpark is not installed: pip install 'warroom[spark]'"
                                ) from None
    if session is None:
        builder = (SparkSession.builder.master(master).appName("warroom impact")
                   .config("spark.sql.session.timeZone", "UTC"))
        if master.startswith("local"):
            builder = (builder.config("spark.ui.enabled", "false")
                       .config("spark.sql.shuffle.partitions", "8"))
        try:
            session = builder.getOrCreate()
        except Exception as exc:  # Java missing, master unreachable: the user's to fix
            raise EngineUnavailable(
                f"Spark could not start on master {master!r} (is Java 17 installed and the "
                f"master reachable?): {_first_line(exc)}") from None
        session.sparkContext.setLogLevel("ERROR")
    session.conf.set("spark.sql.session.timeZone", "UTC")
    return SparkEngine(session)


def as_engine(connection: Any) -> Engine:
    """An Engine from what a caller holds: an Engine, an Ibis DuckDB or PySpark backend,
    a ``duckdb`` connection or a SparkSession (none of which is closed afterwards)."""
    if isinstance(connection, DuckDBEngine | SparkEngine):
        return connection
    backend = getattr(connection, "name", None)
    if backend == "duckdb" and hasattr(connection, "con"):
        connection.con.execute("SET TimeZone = 'UTC'")
        return DuckDBEngine(connection.con, owned=False)
    if backend == "pyspark" and hasattr(connection, "_session"):
        return connect_pyspark(session=connection._session)
    if type(connection).__module__.startswith(("duckdb", "_duckdb")):
        connection.execute("SET TimeZone = 'UTC'")
        return DuckDBEngine(connection, owned=False)
    if type(connection).__name__ == "SparkSession":
        return connect_pyspark(session=connection)
    raise EngineUnavailable(
        f"impact runs on DuckDB or PySpark, not on {type(connection).__name__}")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
