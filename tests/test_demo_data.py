"""The demo data generator (examples/generate_demo.py) reproduces the reference report.

Every number is recomputed here with plain DuckDB SQL over the written files and the
definitions of docs/definitions.md, independently of the generator's own bookkeeping and of
warroom's analytics.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from support.demo import DemoData, generator

ROOT = Path(__file__).resolve().parents[1]
WINDOW_START = "TIMESTAMPTZ '2025-11-08 14:02:00+00'"
WINDOW_END = "TIMESTAMPTZ '2025-11-08 19:49:00+00'"
FAILED = "(status IS NULL OR status = 0 OR status >= 500)"
MONTH_MINUTES = 43_200
FILES = ("incident.yaml", "customers.csv", "sla-policy.yaml", "requests.parquet")
BRACKETS = {
    "enterprise": (
        (Decimal("99.95"), Decimal(10)),
        (Decimal("99.0"), Decimal(25)),
        (Decimal("95.0"), Decimal(100)),
    ),
    "business": ((Decimal("99.9"), Decimal(5)), (Decimal("99.0"), Decimal(10))),
}


gen = generator()


@pytest.fixture(scope="module")
def demo(demo_data: DemoData) -> Path:
    return demo_data.folder


@pytest.fixture(scope="module")
def con(demo: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    log = demo / "requests.parquet"
    con.execute(f"CREATE VIEW requests AS SELECT * FROM read_parquet('{log}')")
    con.execute(f"""CREATE VIEW customers AS SELECT * FROM read_csv('{demo / "customers.csv"}',
                    header = true, all_varchar = true)""")
    con.execute(f"""CREATE VIEW window_requests AS SELECT * FROM requests
                    WHERE ts >= {WINDOW_START} AND ts < {WINDOW_END}""")
    yield con
    con.close()


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    row = con.execute(sql).fetchone()
    assert row is not None
    return row[0]


def test_four_files_are_written(demo: Path) -> None:
    assert sorted(p.name for p in demo.iterdir()) == sorted(FILES)


def test_customer_registry(con: duckdb.DuckDBPyConnection, demo: Path) -> None:
    assert _one(con, "SELECT count(*) FROM customers") == 847
    assert _one(con, "SELECT count(DISTINCT customer_id) FROM customers") == 847
    assert _one(con, "SELECT count(DISTINCT name) FROM customers") == 847
    tiers = dict(con.execute("SELECT tier, count(*) FROM customers GROUP BY tier").fetchall())
    assert set(tiers) == {"enterprise", "business"}
    assert _one(con, "SELECT count(*) FROM customers WHERE currency <> 'USD'") == 0
    with (demo / "customers.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == [
        "customer_id",
        "name",
        "tier",
        "monthly_fee",
        "currency",
        "regions",
        "contact_email",
    ]
    regions = {"us-east", "us-west", "eu-west", "eu-central", "ap-south"}
    for row in rows:
        fee = Decimal(row["monthly_fee"])
        assert fee.as_tuple().exponent == -2, row  # two decimal places
        low, high = (5000, 60000) if row["tier"] == "enterprise" else (500, 9000)
        assert low <= fee <= high, row
        assert not row["regions"] or set(row["regions"].split(";")) <= regions, row
    assert [r["customer_id"] for r in rows] == [f"C{i:04d}" for i in range(1, 848)]


def test_request_log_shape(demo: Path) -> None:
    file = pq.ParquetFile(demo / "requests.parquet")
    assert file.schema_arrow.names == [
        "ts",
        "customer_id",
        "user_id",
        "status",
        "region",
        "service",
        "txn_id",
    ]
    assert file.schema_arrow.field("ts").type == pa.timestamp("us", tz="UTC")
    assert file.schema_arrow.field("status").type in (pa.int16(), pa.int32())
    rows = file.metadata.num_rows
    assert 2_000_000 <= rows <= 5_000_000
    sizes = [file.metadata.row_group(i).num_rows for i in range(file.num_row_groups)]
    assert max(sizes) <= 1_000_000 and sum(sizes) == rows


def test_log_covers_the_whole_day(con: duckdb.DuckDBPyConnection) -> None:
    minutes, days = con.execute("""
        SELECT count(DISTINCT epoch_us(ts) // 60000000), count(DISTINCT epoch_us(ts) // 86400000000)
        FROM requests""").fetchone() or (0, 0)
    assert (minutes, days) == (1440, 1)
    first = _one(
        con,
        """SELECT epoch_us(min(ts)) - epoch_us(TIMESTAMPTZ '2025-11-08 00:00:00+00')
                         FROM requests""",
    )
    assert isinstance(first, int) and 0 <= first < 60_000_000


def test_ts_is_sorted(demo: Path) -> None:
    ts = pq.read_table(demo / "requests.parquet", columns=["ts"])["ts"]
    values = ts.cast(pa.int64()).to_numpy()
    assert (values[1:] >= values[:-1]).all()


def test_affected_counts(con: duckdb.DuckDBPyConnection) -> None:
    customers, users, txns = con.execute(f"""
        SELECT count(DISTINCT customer_id), count(DISTINCT user_id), count(DISTINCT txn_id)
        FROM window_requests WHERE {FAILED}""").fetchone() or (0, 0, 0)
    assert customers == 847
    assert 51_480 <= users <= 52_520  # ~52,000 within 1 %
    assert 12_276 <= txns <= 12_524  # ~12,400 within 1 %
    # user ids never repeat across customers
    assert (
        _one(
            con,
            """SELECT count(*) FROM (SELECT user_id FROM requests GROUP BY user_id
                        HAVING count(DISTINCT customer_id) > 1)""",
        )
        == 0
    )


def test_failures_start_and_stop_with_the_window(con: duckdb.DuckDBPyConnection) -> None:
    per_minute = f"""
        SELECT epoch_us(ts) // 60000000 AS minute, count(*) AS total,
               count(*) FILTER (WHERE {FAILED}) AS failed
        FROM requests GROUP BY minute"""
    outside_max, outside_rate = con.execute(f"""
        SELECT max(failed / total), sum(failed) / sum(total) FROM ({per_minute})
        WHERE minute < epoch_us({WINDOW_START}) // 60000000
           OR minute >= epoch_us({WINDOW_END}) // 60000000""").fetchone() or (1, 1)
    assert outside_max < 0.05 and outside_rate < 0.01
    inside_min = _one(
        con,
        f"""SELECT min(failed / total) FROM ({per_minute})
        WHERE minute >= epoch_us({WINDOW_START}) // 60000000
          AND minute < epoch_us({WINDOW_END}) // 60000000""",
    )
    assert isinstance(inside_min, float) and inside_min > 0.2
    # The minute before 14:02 and the one from 19:49 have only the normal error rate.
    for start in ("2025-11-08 14:01:00+00", "2025-11-08 19:49:00+00"):
        rate = _one(
            con,
            f"""SELECT avg(CASE WHEN {FAILED} THEN 1 ELSE 0 END) FROM requests
            WHERE ts >= TIMESTAMPTZ '{start}' AND ts < TIMESTAMPTZ '{start}' + INTERVAL 1 MINUTE""",
        )
        assert isinstance(rate, float) and rate < 0.02
    # The incident's failures (timeouts and nulls never happen outside it this often).
    first = _one(
        con,
        f"""SELECT epoch_us(min(ts)) - epoch_us({WINDOW_START})
                           FROM window_requests WHERE {FAILED}""",
    )
    assert isinstance(first, int) and 0 <= first < 1_000_000  # within 14:02:00's first second
    assert (
        _one(
            con,
            f"""SELECT count(*) FROM requests WHERE status IS NULL
                         AND (ts < {WINDOW_START} OR ts >= {WINDOW_END})""",
        )
        == 0
    )


def _credit_percent(tier: str, down: int) -> Decimal:
    uptime = 100 * (1 - Decimal(down) / MONTH_MINUTES)
    matching = [(below, percent) for below, percent in BRACKETS[tier] if uptime < below]
    return min(matching)[1] if matching else Decimal(0)  # the lowest matching bracket


def _credit(fee: Decimal, percent: Decimal) -> Decimal:
    return (fee * percent / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_liability_range(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(f"""
        WITH minutes AS (
            SELECT customer_id, epoch_us(ts) // 60000000 AS minute, count(*) AS total,
                   count(*) FILTER (WHERE {FAILED}) AS failed
            FROM window_requests GROUP BY ALL),
        down AS (
            SELECT customer_id, count(*) AS down_minutes FROM minutes
            WHERE failed >= 1 AND failed >= 0.05 * total GROUP BY customer_id)
        SELECT c.customer_id, c.tier, c.monthly_fee, coalesce(d.down_minutes, 0)
        FROM customers c LEFT JOIN down d USING (customer_id)
        ORDER BY c.customer_id""").fetchall()
    assert len(rows) == 847
    assert _credit_percent("enterprise", 347) == 10 and _credit_percent("business", 347) == 5
    assert _credit_percent("enterprise", 21) == 0 and _credit_percent("business", 43) == 0
    low = sum(
        (_credit(Decimal(fee), _credit_percent(tier, down)) for _, tier, fee, down in rows),
        Decimal(0),
    )
    high = sum(
        (_credit(Decimal(fee), _credit_percent(tier, 347)) for _, tier, fee, _ in rows), Decimal(0)
    )
    assert str(low) == "127000.00"
    assert str(high) == "185000.00"
    # The range comes from quiet customers (few minutes) vs. everyone else (most minutes).
    downs = sorted(down for *_, down in rows)
    quiet = [d for d in downs if d <= 15]
    assert quiet and all(d >= 150 for d in downs[len(quiet) :])


def test_quiet_customers_have_requests_in_few_minutes(con: duckdb.DuckDBPyConnection) -> None:
    active = [
        n
        for (n,) in con.execute("""
        SELECT count(DISTINCT epoch_us(ts) // 60000000) FROM window_requests
        GROUP BY customer_id""").fetchall()
    ]
    assert len(active) == 847
    quiet = [n for n in active if n <= 15]
    busy = [n for n in active if n > 15]
    assert quiet and busy and min(busy) >= 300


def test_files_read_with_warroom(demo: Path) -> None:
    from warroom.formats.customer_registry import read_registry_file
    from warroom.formats.incident_file import read_incident_file
    from warroom.formats.sla_policy import read_policy_file

    (parsed,) = read_incident_file(demo / "incident.yaml")
    incident = parsed.incident
    assert incident.id == "INC-2025-1108-001" and incident.severity == "SEV-1"
    assert len(incident.timeline) == 10 and len(incident.actions) == 5
    policy = read_policy_file(demo / "sla-policy.yaml")
    # the maintenance window is a record (`make run`), not a date typed into the policy
    assert policy.notice_hours == 48 and policy.maintenance_windows == ()
    assert len(read_registry_file(demo / "customers.csv", policy=policy)) == 847


def test_incident_file_keys_in_order(demo: Path) -> None:
    keys = [
        line.split(":")[0]
        for line in (demo / "incident.yaml").read_text().splitlines()
        if line and not line.startswith(" ")
    ]
    # the order `warroom incident export` writes
    assert keys == [
        "id",
        "title",
        "severity",
        "status",
        "classification",
        "commander",
        "roles",
        "scope",
        "data_loss",
        "summary",
        "public_summary",
        "timeline",
        "root_cause",
        "public_root_cause",
        "contributing_factors",
        "actions",
    ]


def test_same_seed_same_bytes(demo: Path, tmp_path: Path) -> None:
    gen.generate_demo(tmp_path)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (demo / name).read_bytes(), name


def test_generate_requests_small(demo: Path, tmp_path: Path) -> None:
    path = tmp_path / "small.parquet"
    summary = gen.generate_requests(path, rows=20_000, seed=7, chunk_rows=6_000)
    file = pq.ParquetFile(path)
    assert file.schema_arrow == pq.ParquetFile(demo / "requests.parquet").schema_arrow
    assert file.metadata.num_rows == 20_000 == summary["rows"]
    assert max(file.metadata.row_group(i).num_rows for i in range(file.num_row_groups)) <= 6_000
    ts = pq.read_table(path, columns=["ts"])["ts"].cast(pa.int64()).to_numpy()
    assert (ts[1:] >= ts[:-1]).all()
    assert summary["affected_customers"] == 847
