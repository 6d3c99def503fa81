"""The same definition on PySpark (local mode) gives exactly DuckDB's result on the same data."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.request_logs import (
    SCHEMA,
    T0,
    Logs,
    down_minutes,
    minute_cells,
    minutes,
    need_outside,
    rows_of,
    rules,
)
from warroom.analytics.impact import compute_impact
from warroom.domain.downtime import DowntimeRule
from warroom.domain.errors import InvalidInput
from warroom.domain.impact import ImpactResult
from warroom.domain.scope import Scope
from warroom.settings import plan_cache_dir

pytestmark = pytest.mark.spark
FIXED = datetime(2025, 11, 20, 9, 0, tzinfo=UTC)
SPARK = "local[1]"
row = Logs.row


@pytest.fixture(scope="session")
def spark() -> Iterator[None]:
    """One local Spark (one core) for every Spark test: starting it costs seconds, and each
    analysis on `SPARK` runs in a session of its own on it."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        need_outside("PySpark", "install it with pip install 'warroom[spark]'")
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        need_outside("Java", "PySpark needs a Java runtime (Debian: default-jre-headless)")
    from warroom.analytics.engines import connect_pyspark

    engine = connect_pyspark(SPARK)
    yield
    engine.session.sparkContext.stop()
    # py4j closes its connections at interpreter exit and says so at INFO, through a
    # handler whose stream pytest has closed by then ("--- Logging error ---")
    logging.getLogger("py4j").setLevel(logging.WARNING)


@pytest.fixture
def logs(tmp_path: Path) -> Logs:
    return Logs(tmp_path)


def on_spark(source: Path | str, *args: Any, **options: Any) -> ImpactResult:
    return compute_impact(
        str(source), *args, backend="pyspark", spark_master=SPARK, now=lambda: FIXED, **options
    )


def on_both(
    source: Path | str,
    *args: Any,
    **options: Any,
) -> tuple[ImpactResult, ImpactResult]:
    duck = compute_impact(
        str(source), *args, now=lambda: FIXED, plan_cache=plan_cache_dir(), **options
    )
    return duck, on_spark(source, *args, **options)


def assert_same(duck: ImpactResult, sparked: ImpactResult) -> None:
    assert sparked.provenance.engine == "pyspark"
    assert duck.provenance.engine == "duckdb"
    same_provenance = {"engine": "duckdb", "engine_version": duck.provenance.engine_version}
    spark_json = sparked.to_json()
    spark_json["provenance"].update(same_provenance)
    assert spark_json == duck.to_json()  # figures, rows scanned, columns, definition hash


def busy_log(rows: int, seed: int) -> list[dict[str, Any]]:
    """A few thousand requests over 20 minutes: 4 customers, a failure wave from minute 8."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(rows):
        minute = float(rng.uniform(-2, 22))
        wave = 8 <= minute < 15
        status = (
            int(rng.choice([500, 503, 0, -1, 200]))
            if wave and rng.random() < 0.4
            else int(rng.choice([200, 200, 200, 404, 500]))
        )
        out.append(
            row(
                minute,
                int(rng.integers(1, 5)),
                None if status == -1 else status,
                user=int(rng.integers(1, 60)),
                txn=f"t{i // 3}" if rng.random() < 0.3 else None,
                region=str(rng.choice(["eu-west-1", "us-east-1"])),
                service=str(rng.choice(["api", "checkout", "search"])),
            )
        )
    return out


def test_spark_and_duckdb_agree_on_a_busy_log_read_from_a_folder(
    spark: None,
    logs: Logs,
) -> None:
    ints = pa.schema(
        [
            pa.field(f.name, pa.int64()) if f.name in ("customer_id", "user_id") else f
            for f in SCHEMA
        ]
    )
    rows = busy_log(3000, seed=8)
    logs.parquet(rows[:1500], name="log/part-0.parquet", schema=ints)
    logs.parquet(rows[1500:], name="log/part-1.parquet", schema=ints)
    duck, sparked = on_both(
        logs.folder / "log", minutes(0, 20), Scope(services=("api", "checkout"))
    )
    assert duck.customers_affected == 4 and duck.requests_failed > 100
    assert any(c.down_minutes for c in duck.per_customer)
    assert_same(duck, sparked)


small_logs = st.lists(
    st.builds(
        lambda minute, second, customer, user, status, txn: row(
            minute, customer, status, user=user, txn=txn, second=second
        ),
        minute=st.integers(-1, 4),
        second=st.integers(0, 59),
        customer=st.sampled_from(["a", "b"]),
        user=st.sampled_from(["u1", "u2", "u3"]),
        status=st.one_of(st.none(), st.sampled_from([0, 200, 404, 500, 503])),
        txn=st.one_of(st.none(), st.sampled_from(["t1", "t2"])),
    ),
    min_size=1,
    max_size=30,
).filter(lambda rows: any(0 <= (r["ts"] - T0) / timedelta(minutes=1) < 3 for r in rows))


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=small_logs)
def test_spark_and_duckdb_agree_on_generated_logs(
    spark: None, logs: Logs, rows: list[dict[str, Any]]
) -> None:
    path = logs.parquet(rows, name="generated.parquet")
    assert_same(*on_both(path, minutes(0, 3), rule=DowntimeRule(min_failed_requests=2)))


@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_spark_down_minutes_are_the_domain_rules(
    spark: None, logs: Logs, data: st.DataObject
) -> None:
    cells = data.draw(minute_cells())
    rule = data.draw(rules(near=cells))
    result = on_spark(logs.parquet(rows_of(cells), name="cells.parquet"), minutes(0, 5), rule=rule)
    assert {c.customer_id: c.down_minutes for c in result.per_customer} == down_minutes(cells, rule)


def test_spark_refuses_naive_timestamps_too(spark: None, logs: Logs) -> None:
    naive = pa.schema([pa.field("ts", pa.timestamp("us")) if f.name == "ts" else f for f in SCHEMA])
    rows = [{**row(0, status=500), "ts": T0.replace(tzinfo=None)}]
    with pytest.raises(InvalidInput, match="holds timestamps without a time zone"):
        on_spark(logs.parquet(rows, schema=naive), minutes(0, 1))


def test_spark_reads_csv_times_as_duckdb_does_and_refuses_naive_ones(
    spark: None, logs: Logs
) -> None:
    ints = pa.schema(
        [
            pa.field(f.name, pa.int64()) if f.name in ("customer_id", "user_id") else f
            for f in SCHEMA
        ]
    )
    assert_same(*on_both(logs.csv(busy_log(300, seed=3), schema=ints), minutes(0, 20)))
    naive = logs.folder / "naive.csv"
    naive.write_text("ts,customer_id,user_id,status\n2025-11-08 14:00:01,acme,u1,500\n")
    with pytest.raises(InvalidInput, match="without a UTC offset"):
        on_spark(naive, minutes(0, 1))
