"""Request logs from every kind of source, column mapping, and every bad input's message."""

from __future__ import annotations

import re
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from support.request_logs import SCHEMA, T0, Logs, minutes
from warroom.analytics.engines import EngineUnavailable, connect_pyspark
from warroom.analytics.impact import compute_impact
from warroom.analytics.mapping import ColumnMapping, load_map_file, parse_map
from warroom.analytics.sources import UnreadableSource, parse_source
from warroom.domain.errors import InvalidInput, WarroomError
from warroom.domain.impact import ImpactResult
from warroom.domain.scope import Scope
from warroom.domain.window import TimeWindow
from warroom.settings import plan_cache_dir

row = Logs.row
WINDOW = minutes(0, 3)
ROWS = [
    row(0, "acme", 500, user="u1", txn="t1"),
    row(0, "acme", 200, user="u2"),
    row(1, "globex", 0, user="u3", region="us-east-1"),
    row(2, "globex", 200, user="u3"),
    row(2, "initech", 404, user="u4", service="search"),
]


@pytest.fixture
def logs(tmp_path: Path) -> Logs:
    return Logs(tmp_path)


def impact(
    source: Path | str, window: TimeWindow, scope: Scope | None = None, **options: Any
) -> ImpactResult:
    return compute_impact(str(source), window, scope, plan_cache=plan_cache_dir(), **options)


def figures(result: ImpactResult) -> dict[str, Any]:
    """Everything but provenance, which names the source."""
    data = result.to_json()
    data.pop("provenance")
    return data


@pytest.fixture
def expected(logs: Logs) -> dict[str, Any]:
    return figures(impact(logs.parquet(ROWS, name="reference.parquet"), WINDOW))


# -- sources ----------------------------------------------------------------------------------


def test_it_reads_a_parquet_file(logs: Logs) -> None:
    result = impact(logs.parquet(ROWS), WINDOW)
    assert (result.customers_total, result.customers_affected) == (3, 2)
    assert (result.users_affected, result.transactions_affected) == (2, 1)
    assert result.provenance.rows_scanned == 5


def test_it_reads_every_file_a_glob_matches(logs: Logs, expected: dict[str, Any]) -> None:
    logs.parquet(ROWS[:2], name="part-1.parquet")
    logs.parquet(ROWS[2:], name="part-2.parquet")
    result = impact(str(logs.folder / "part-*.parquet"), WINDOW)
    assert figures(result) == expected


def test_it_reads_every_parquet_file_under_a_folder(
    logs: Logs,
    expected: dict[str, Any],
) -> None:
    logs.parquet(ROWS[:3], name="logs/day=08/a.parquet")
    logs.parquet(ROWS[3:], name="logs/day=09/b.parquet")
    assert figures(impact(logs.folder / "logs", WINDOW)) == expected


def test_it_reads_csv_with_iso_times(logs: Logs, expected: dict[str, Any]) -> None:
    path = logs.csv(ROWS)
    assert "Z" in path.read_text().splitlines()[1]  # times carry their offset
    assert figures(impact(path, WINDOW)) == expected


def test_it_reads_text_times_with_offsets(logs: Logs, expected: dict[str, Any]) -> None:
    path = logs.folder / "offsets.csv"
    lines = ["ts,customer_id,user_id,status,region,service,txn_id"]
    for r in ROWS:
        local = r["ts"].astimezone(datetime.now().astimezone().tzinfo)
        stamp = r["ts"].isoformat() if r["customer_id"] == "acme" else local.isoformat()
        lines.append(
            ",".join(
                [
                    f'"{stamp} "' if r["customer_id"] == "x" else stamp,
                    r["customer_id"],
                    r["user_id"],
                    "" if r["status"] is None else str(r["status"]),
                    r["region"],
                    r["service"],
                    r["txn_id"] or "",
                ]
            )
        )
    path.write_text("\n".join(lines) + "\n")
    assert figures(impact(f"csv:{path}", WINDOW)) == expected


def test_it_reads_a_duckdb_table(logs: Logs, expected: dict[str, Any]) -> None:
    db = logs.folder / "logs.duckdb"
    with duckdb.connect(str(db)) as con:
        arrow = Logs.table(ROWS)  # noqa: F841 (read by DuckDB by name)
        con.execute("CREATE SCHEMA ops")
        con.execute("CREATE TABLE ops.requests AS SELECT * FROM arrow")
    result = impact(f"duckdb://{db}#ops.requests", WINDOW)
    assert figures(result) == expected
    assert result.provenance.source == f"duckdb://{db}#ops.requests"


def test_it_names_the_tables_of_a_duckdb_file_when_the_table_is_wrong(logs: Logs) -> None:
    db = logs.folder / "logs.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE requests (x INT)")
        con.execute("CREATE TABLE audit (x INT)")
    with pytest.raises(UnreadableSource, match=r"no table 'reqs'.*audit, requests"):
        impact(f"duckdb://{db}#reqs", WINDOW)


@pytest.mark.postgres
def test_it_reads_a_postgresql_table(pg_server: Any, expected: dict[str, Any]) -> None:
    import psycopg

    url = pg_server.url("postgres").replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as con:
        con.execute("DROP DATABASE IF EXISTS warroom_analytics")
        con.execute("CREATE DATABASE warroom_analytics")
    db_url = url.rsplit("/", 1)[0] + "/warroom_analytics"
    with psycopg.connect(db_url, autocommit=True) as con:
        con.execute("CREATE SCHEMA ops")
        con.execute(
            "CREATE TABLE ops.access_log (event_time timestamptz, tenant bigint, "
            "user_id text, status smallint, region text, service text, txn_id text)"
        )
        tenants = {"acme": 1, "globex": 2, "initech": 3}
        with con.cursor().copy("COPY ops.access_log FROM STDIN") as copy:
            for r in ROWS:
                copy.write_row(
                    [
                        r["ts"],
                        tenants[r["customer_id"]],
                        r["user_id"],
                        r["status"],
                        r["region"],
                        r["service"],
                        r["txn_id"],
                    ]
                )
    # a password in the URL (ignored by the test server) never reaches the provenance
    with_password = re.sub(r"^postgresql://([^:@/]+)@", r"postgresql://\1:hunter2@", db_url)
    assert "hunter2" in with_password
    result = impact(
        f"{with_password}?sslpassword=zz9#ops.access_log",
        WINDOW,
        mapping=parse_map("ts=event_time,customer_id=tenant"),
    )
    assert "hunter2" not in result.provenance.source and "zz9" not in result.provenance.source
    renamed = {"acme": "1", "globex": "2", "initech": "3"}
    want = {
        **expected,
        "per_customer": [
            {**c, "customer_id": renamed[c["customer_id"]]} for c in expected["per_customer"]
        ],
    }
    assert figures(result) == want
    assert result.provenance.columns["customer_id"] == "tenant"
    scoped = impact(
        f"{db_url}#ops.access_log",
        WINDOW,
        Scope(regions=("us-east-1",)),
        mapping=parse_map("ts=event_time,customer_id=tenant"),
    )
    assert [(c.customer_id, c.requests, c.failed) for c in scoped.per_customer] == [("2", 1, 1)]


def test_a_postgresql_password_is_never_echoed() -> None:
    source = parse_source("postgresql://ops:s3cret@db.internal:5432/logs#requests")
    assert "s3cret" not in source.text
    assert source.text == "postgresql://ops:***@db.internal:5432/logs#requests"
    assert source.table == "requests"


def test_secret_url_parameters_are_never_echoed() -> None:
    source = parse_source("postgresql://ops@db/logs?password=s3cret&sslmode=require#requests")
    assert "s3cret" not in source.text and "sslmode=require" in source.text


def test_a_set_of_files_whose_columns_differ_is_refused_naming_the_odd_file(logs: Logs) -> None:
    logs.parquet(ROWS, name="day/part1.parquet")
    logs.parquet(ROWS, name="day/part2.parquet", rename={"ts": "timestamp"})
    with pytest.raises(UnreadableSource, match=r"part2\.parquet lacks ts, has timestamp"):
        impact(str(logs.folder / "day" / "*.parquet"), WINDOW)


def test_a_file_with_naive_times_among_zoned_ones_is_refused(logs: Logs) -> None:
    logs.parquet(ROWS, name="day/part1.parquet")
    naive = pa.schema([pa.field("ts", pa.timestamp("us")) if f.name == "ts" else f for f in SCHEMA])
    logs.parquet(
        [{**r, "ts": r["ts"].replace(tzinfo=None)} for r in ROWS],
        name="day/part2.parquet",
        schema=naive,
    )
    with pytest.raises(UnreadableSource, match="holds ts without time zone"):
        impact(str(logs.folder / "day" / "*.parquet"), WINDOW)


def test_nanosecond_timestamps_as_pandas_writes_them_are_read(
    logs: Logs, expected: dict[str, Any]
) -> None:
    nanos = pa.schema(
        [pa.field("ts", pa.timestamp("ns", tz="UTC")) if f.name == "ts" else f for f in SCHEMA]
    )
    assert figures(impact(logs.parquet(ROWS, schema=nanos), WINDOW)) == expected


def test_an_empty_transaction_id_is_no_transaction(logs: Logs) -> None:
    rows = [row(0, "acme", 500, user="u1", txn=""), row(1, "acme", 503, user="u2", txn="t9")]
    assert impact(logs.parquet(rows), WINDOW).transactions_affected == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("postgresql://nobody@[::1/x#t", "URL is malformed"),
        ("postgresql://db.internal/logs", "which table"),
        ("mysql://db.internal/logs#requests", "unsupported source scheme 'mysql'"),
        ("", "no request log given"),
    ],
)
def test_a_source_url_without_what_it_needs_is_refused(text: str, message: str) -> None:
    with pytest.raises(UnreadableSource, match=message):
        parse_source(text)


def test_a_duckdb_url_needs_a_table(logs: Logs) -> None:
    db = logs.folder / "logs.duckdb"
    duckdb.connect(str(db)).close()
    with pytest.raises(UnreadableSource, match=r"which table\? add it after '#'"):
        parse_source(f"duckdb://{db}")
    assert parse_source(f"duckdb://{db}?table=requests").table == "requests"


# -- unreadable sources -----------------------------------------------------------------------


def test_a_missing_file_is_named(logs: Logs) -> None:
    with pytest.raises(UnreadableSource, match=r"nowhere\.parquet: no such file or folder"):
        impact(logs.folder / "nowhere.parquet", WINDOW)


def test_a_corrupt_parquet_file_is_unreadable(logs: Logs) -> None:
    path = logs.folder / "broken.parquet"
    path.write_bytes(b"PAR1 this is not really parquet")
    with pytest.raises(UnreadableSource, match=r"broken\.parquet: cannot be read as PARQUET"):
        impact(path, WINDOW)


def test_a_glob_that_matches_nothing_is_named(logs: Logs) -> None:
    with pytest.raises(UnreadableSource, match="no file matches this pattern"):
        impact(str(logs.folder / "*.parquet"), WINDOW)


def test_a_folder_without_logs_is_named(logs: Logs) -> None:
    (logs.folder / "empty").mkdir()
    (logs.folder / "empty" / "notes.md").write_text("hi")
    with pytest.raises(UnreadableSource, match="holds no Parquet or CSV files"):
        impact(logs.folder / "empty", WINDOW)


def test_a_file_of_unknown_format_is_refused(logs: Logs) -> None:
    path = logs.folder / "requests.log"
    path.write_text("hello")
    with pytest.raises(UnreadableSource, match="unknown format"):
        impact(path, WINDOW)


def test_a_duckdb_file_given_as_a_path_asks_for_its_table(logs: Logs) -> None:
    db = logs.folder / "logs.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE requests (x INT)")
    with pytest.raises(UnreadableSource, match=r"name the table: duckdb://.*#TABLE"):
        impact(db, WINDOW)


# -- mapping ----------------------------------------------------------------------------------


def test_a_map_renames_contract_columns() -> None:
    mapping = parse_map(" ts=event_time , customer_id=tenant,")
    assert mapping == ColumnMapping({"ts": "event_time", "customer_id": "tenant"})
    assert mapping.column_for("status") == "status"


def test_a_map_names_unknown_contract_columns_and_suggests_one() -> None:
    with pytest.raises(
        InvalidInput,
        match=r"'customer' is not a request-log column.*"
        r"did you mean customer_id\?",
    ):
        parse_map("customer=tenant")


def test_a_map_item_without_equals_is_refused() -> None:
    with pytest.raises(InvalidInput, match="'tenant' is not NAME=COLUMN"):
        parse_map("ts=event_time,tenant")


@pytest.mark.parametrize("name", ["map.yaml", "map.json"])
def test_a_mapping_file_reads_yaml_and_json(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text('{"ts": "event_time", "customer_id": "tenant"}')
    assert load_map_file(path).columns == {"ts": "event_time", "customer_id": "tenant"}


def test_a_malformed_mapping_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "map.yaml"
    path.write_text("ts: [event_time\n")
    with pytest.raises(InvalidInput) as caught:
        load_map_file(path)
    assert caught.value.problems[0].source == str(path)


def test_the_command_line_map_wins_over_the_file() -> None:
    merged = ColumnMapping({"ts": "a", "status": "code"}).merged(parse_map("ts=b"))
    assert merged.columns == {"ts": "b", "status": "code"}


def test_a_mapped_log_gives_the_same_impact(logs: Logs, expected: dict[str, Any]) -> None:
    path = logs.parquet(
        ROWS, rename={"ts": "event_time", "customer_id": "tenant", "status": "http_status"}
    )
    mapping = parse_map("ts=event_time,customer_id=tenant,status=http_status")
    result = impact(path, WINDOW, mapping=mapping)
    assert figures(result) == expected
    assert result.provenance.columns == {
        "ts": "event_time",
        "customer_id": "tenant",
        "user_id": "user_id",
        "status": "http_status",
        "region": "region",
        "service": "service",
        "txn_id": "txn_id",
    }


# -- bad input: columns and types ----------------------------------------------------------


def test_a_missing_column_is_named_with_the_columns_found_and_the_map_that_fixes_it(
    logs: Logs,
) -> None:
    path = logs.parquet(ROWS, rename={"ts": "event_time", "customer_id": "tenant"})
    with pytest.raises(InvalidInput) as caught:
        impact(path, WINDOW)
    message = str(caught.value)
    assert "no columns ts, customer_id" in message
    assert "columns found: event_time, tenant, user_id, status, region, service, txn_id" in message
    assert "--map ts=event_time,customer_id=tenant" in message
    assert [p.field for p in caught.value.problems] == ["ts", "customer_id"]
    assert all(p.code == "missing_column" for p in caught.value.problems)


def test_a_missing_column_without_a_likely_match_shows_a_placeholder(logs: Logs) -> None:
    path = logs.parquet(ROWS, rename={"user_id": "visitor"})
    with pytest.raises(
        InvalidInput,
        match=r"no column 'user_id' \(the end user\);.*"
        r"--map user_id=<column>$",
    ):
        impact(path, WINDOW)


def test_a_mapped_column_that_is_not_there_is_named(logs: Logs) -> None:
    path = logs.parquet(ROWS, rename={"ts": "event_time"})
    with pytest.raises(
        InvalidInput,
        match=r"--map ts=evt_time: the request log has no "
        r"column 'evt_time';.*--map ts=event_time$",
    ):
        impact(path, WINDOW, mapping=parse_map("ts=evt_time"))


def test_the_fix_keeps_the_rest_of_the_users_map(logs: Logs) -> None:
    path = logs.parquet(ROWS, rename={"ts": "timestamp", "user_id": "uid"})
    with pytest.raises(InvalidInput, match=r"--map user_id=uid,ts=timestamp"):
        impact(path, WINDOW, mapping=parse_map("user_id=uid"))


def test_naive_timestamps_are_refused_because_warroom_needs_utc(logs: Logs) -> None:
    schema = pa.schema([pa.field("ts", pa.timestamp("us")), *[f for f in SCHEMA if f.name != "ts"]])
    rows = [{**r, "ts": r["ts"].replace(tzinfo=None)} for r in ROWS]
    with pytest.raises(
        InvalidInput,
        match=r"column 'ts' holds timestamps without a time "
        r"zone; warroom counts UTC minutes",
    ):
        impact(logs.parquet(rows, schema=schema), WINDOW)


def test_naive_csv_times_are_refused(logs: Logs) -> None:
    path = logs.folder / "naive.csv"
    path.write_text("ts,customer_id,user_id,status\n2025-11-08 14:00:01,acme,u1,500\n")
    with pytest.raises(
        InvalidInput,
        match=r"holds times without a UTC offset \(e\.g\. "
        r"'2025-11-08 14:00:01'\); warroom needs UTC",
    ):
        impact(path, WINDOW)


def test_text_times_without_an_offset_are_refused(logs: Logs) -> None:
    path = logs.folder / "mixed.csv"
    path.write_text(
        "ts,customer_id,user_id,status\n2025-11-08T14:00:01Z,acme,u1,500\n"
        "2025-11-08 14:00:02,acme,u1,500\n"
    )
    with pytest.raises(
        InvalidInput,
        match=r"without a UTC offset \(e\.g\. '2025-11-08 "
        r"14:00:02'\); warroom needs UTC",
    ):
        impact(path, WINDOW)


def test_every_text_time_is_checked_not_just_the_first_rows(logs: Logs) -> None:
    path = logs.folder / "late.csv"
    good = "".join(f"2025-11-08T14:00:{i % 60:02d}Z,acme,u{i},200\n" for i in range(3000))
    path.write_text("ts,customer_id,user_id,status\n" + good + "2025-11-08 14:01:30,acme,u1,500\n")
    with pytest.raises(InvalidInput, match=r"'2025-11-08 14:01:30'"):
        impact(path, WINDOW)


def test_a_text_status_is_refused_with_its_type(logs: Logs) -> None:
    schema = pa.schema(
        [pa.field("status", pa.string()) if f.name == "status" else f for f in SCHEMA]
    )
    rows = [{**r, "status": None if r["status"] is None else str(r["status"])} for r in ROWS]
    with pytest.raises(InvalidInput, match=r"column 'status' is string, not an integer"):
        impact(logs.parquet(rows, schema=schema), WINDOW)


def test_a_floating_status_written_by_pandas_is_accepted(
    logs: Logs, expected: dict[str, Any]
) -> None:
    schema = pa.schema(
        [pa.field("status", pa.float64()) if f.name == "status" else f for f in SCHEMA]
    )
    assert figures(impact(logs.parquet(ROWS, schema=schema), WINDOW)) == expected


def test_every_problem_is_reported_at_once(logs: Logs) -> None:
    schema = pa.schema(
        [
            pa.field("ts", pa.timestamp("us"))
            if f.name == "ts"
            else pa.field("status", pa.string())
            if f.name == "status"
            else f
            for f in SCHEMA
        ]
    )
    rows = [{**r, "ts": r["ts"].replace(tzinfo=None), "status": "500"} for r in ROWS]
    with pytest.raises(InvalidInput) as caught:
        impact(logs.parquet(rows, schema=schema), WINDOW)
    assert [p.field for p in caught.value.problems] == ["ts", "status"]


# -- bad input: windows and scopes ------------------------------------------------------------


def test_an_empty_window_says_what_the_log_covers(logs: Logs) -> None:
    later = minutes(60, 120)
    with pytest.raises(InvalidInput) as caught:
        impact(logs.parquet(ROWS), later)
    assert str(caught.value) == (
        "the request log has no requests between 2025-11-08T15:00:00Z and "
        "2025-11-08T16:00:00Z; the log covers 2025-11-08T14:00:00Z to 2025-11-08T14:02:00Z"
    )
    assert caught.value.problems[0].code == "empty_window"


def test_a_scope_that_matches_nothing_lists_what_the_log_has(logs: Logs) -> None:
    with pytest.raises(InvalidInput) as caught:
        impact(logs.parquet(ROWS), WINDOW, Scope(regions=("ap-south-1",)))
    assert str(caught.value) == (
        "no request between 2025-11-08T14:00:00Z and 2025-11-08T14:03:00Z is in the "
        "incident's scope: regions ap-south-1 (the log has eu-west-1, us-east-1)"
    )
    assert caught.value.problems[0].code == "scope_matches_nothing"


def test_a_scoped_incident_needs_the_scope_column(logs: Logs) -> None:
    path = logs.parquet(ROWS, drop=["region", "service"])
    with pytest.raises(
        InvalidInput,
        match=r"no column 'service' \(service, for scoping\), "
        r"needed because the incident is scoped to "
        r"services api",
    ):
        impact(path, WINDOW, Scope(services=("api",)))
    everything = impact(path, WINDOW, Scope.everything())
    assert everything.customers_total == 3


def test_nothing_is_left_attached_after_an_error(logs: Logs) -> None:
    with pytest.raises(WarroomError):
        impact(logs.parquet(ROWS), minutes(60, 61))
    # the same source computes fine afterwards (no stale state)
    assert impact(logs.parquet(ROWS), WINDOW).customers_total == 3


# -- engines ----------------------------------------------------------------------------------


def test_an_unknown_backend_is_named() -> None:
    with pytest.raises(EngineUnavailable, match=r"unknown backend 'polars'.*duckdb, pyspark"):
        impact("x.parquet", WINDOW, backend="polars")


def test_spark_without_pyspark_installed_says_how_to_get_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(
        EngineUnavailable, match=r"PySpark is not installed: pip install 'warroom\[spark\]'"
    ):
        connect_pyspark("local[1]")


def test_database_sources_refuse_the_spark_backend() -> None:
    with pytest.raises(UnreadableSource, match="read with the DuckDB backend"):
        from warroom.analytics.sources import open_source

        class FakeSpark:
            name = "pyspark"

        open_source(parse_source("postgresql://db/logs#requests"), FakeSpark())  # type: ignore[arg-type]


def test_a_timeout_log_written_with_pyarrow_is_read_with_row_groups(logs: Logs) -> None:
    # a time-sorted file of many row groups: the window filter skips the others
    rows = [row(m, status=500 if m % 2 else 200) for m in range(0, 60)]
    path = logs.folder / "grouped.parquet"
    pq.write_table(Logs.table(rows), path, row_group_size=10)
    result = impact(path, minutes(20, 30))
    assert result.requests_total == 10
    assert result.provenance.rows_scanned == 10
    assert result.window.start == T0 + timedelta(minutes=20)
