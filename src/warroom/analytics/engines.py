"""The engines impact runs on: DuckDB in-process (default) or PySpark (an optional extra).

Both are Ibis backends; the analytics definition is written once against Ibis and runs
on either. Connections are made here, with the settings warroom's definition relies on
(UTC session time zone), and nowhere else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from warroom.domain.errors import WarroomError

if TYPE_CHECKING:
    from ibis.backends import BaseBackend

Engine = Literal["duckdb", "pyspark"]
ENGINES: tuple[Engine, ...] = ("duckdb", "pyspark")
DEFAULT_SPARK_MASTER = "local[*]"


class EngineUnavailable(WarroomError):
    code = "engine_unavailable"


def check_engine(name: str) -> Engine:
    if name == "duckdb":
        return "duckdb"
    if name == "pyspark":
        return "pyspark"
    raise EngineUnavailable(
        f"unknown backend {name!r}; choose one of: {', '.join(ENGINES)}")


def connect(engine: str = "duckdb", *, spark_master: str = DEFAULT_SPARK_MASTER,
            threads: int | None = None) -> BaseBackend:
    """A connection to `engine`: DuckDB in this process, or a SparkSession on `spark_master`."""
    if check_engine(engine) == "pyspark":
        return connect_pyspark(spark_master)
    return connect_duckdb(threads=threads)


def connect_duckdb(*, threads: int | None = None, memory_limit: str | None = None,
                   ) -> BaseBackend:
    """An in-memory DuckDB; query progress is tracked (for progress bars) but never printed."""
    import ibis

    config: dict[str, Any] = {}
    if threads is not None:
        config["threads"] = threads
    if memory_limit is not None:
        config["memory_limit"] = memory_limit
    con = ibis.duckdb.connect(**config)
    con.raw_sql("SET TimeZone = 'UTC'")  # Ibis does this too; the definition relies on it
    con.raw_sql("SET enable_progress_bar = true")
    con.raw_sql("SET enable_progress_bar_print = false")
    return con


def connect_pyspark(master: str = DEFAULT_SPARK_MASTER, *, session: Any = None,
                    ) -> BaseBackend:
    """Ibis on a SparkSession for `master` (``local[*]``, ``spark://host:7077``, ...).

    An existing `session` is reused (its session time zone is set to UTC, which the
    definition relies on). Local masters get no web UI and few shuffle partitions.
    """
    try:
        import ibis
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineUnavailable(
            "PySpark is not installed: pip install 'warroom[spark]'") from None
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
    return ibis.pyspark.connect(session)


def engine_name(con: BaseBackend) -> Engine:
    name = str(getattr(con, "name", ""))
    if name not in ENGINES:
        raise EngineUnavailable(
            f"impact runs on DuckDB or PySpark, not on the {name or 'unknown'} backend")
    return check_engine(name)


def engine_version(con: BaseBackend) -> str:
    try:
        return str(con.version)
    except Exception:  # a version is informative only
        return ""


def duckdb_connection(con: BaseBackend) -> Any:
    """The raw `duckdb.DuckDBPyConnection` behind an Ibis DuckDB backend."""
    return con.con


def spark_session(con: BaseBackend) -> Any:
    """The SparkSession behind an Ibis PySpark backend."""
    return con._session


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
