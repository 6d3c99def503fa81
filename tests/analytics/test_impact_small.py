"""Impact on hand-made logs of a few dozen requests, every expectation computed by hand."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.request_logs import (
    M0,
    SCHEMA,
    T0,
    Logs,
    down_minutes,
    minute_cells,
    minutes,
    rows_of,
    rules,
)
from warroom.analytics.impact import compute_impact, definition_hash, definition_sql
from warroom.analytics.mapping import ColumnMapping
from warroom.domain.downtime import DowntimeRule
from warroom.domain.errors import InvalidInput
from warroom.domain.impact import ImpactResult
from warroom.domain.minutes import MinuteSet, epoch_minute
from warroom.domain.scope import Scope
from warroom.domain.window import TimeWindow
from warroom.settings import plan_cache_dir

FIXED = datetime(2025, 11, 20, 9, 0, tzinfo=UTC)
row = Logs.row


@pytest.fixture
def logs(tmp_path: Path) -> Logs:
    return Logs(tmp_path)


def impact(
    path: Path | str, window: TimeWindow, scope: Scope | None = None, **options: Any
) -> ImpactResult:
    return compute_impact(
        str(path), window, scope, now=lambda: FIXED, plan_cache=plan_cache_dir(), **options
    )


def test_it_counts_5xx_timeouts_and_missing_status_as_failures(logs: Logs) -> None:
    path = logs.parquet([row(0, status=s) for s in (200, 500, 503, 599, 0, None, 201)])
    result = impact(path, minutes(0, 1))
    assert (result.requests_total, result.requests_failed) == (7, 5)
    assert result.customers_affected == 1


def test_it_does_not_count_client_errors_as_failures(logs: Logs) -> None:
    path = logs.parquet([row(0, status=s) for s in (400, 401, 404, 429, 499, 302)])
    result = impact(path, minutes(0, 1))
    acme = result.customer("acme")
    assert acme is not None
    assert (acme.requests, acme.failed, acme.down_minute_count) == (6, 0, 0)
    assert (result.customers_affected, result.customers_total) == (0, 1)
    assert result.users_affected == 0


def test_a_minute_at_exactly_the_threshold_is_down(logs: Logs) -> None:
    # minute 0: 1 failed of 20 = exactly 5 %; minute 1: 1 of 21 = 4.76 %
    rows = [row(0, status=500)] + [row(0)] * 19 + [row(1, status=500)] + [row(1)] * 20
    result = impact(logs.parquet(rows), minutes(0, 2))
    acme = result.customer("acme")
    assert acme is not None
    assert acme.down_minutes == MinuteSet.from_minutes([M0])


def test_a_higher_threshold_leaves_the_minute_up(logs: Logs) -> None:
    rows = [row(0, status=500)] + [row(0)] * 19
    result = impact(logs.parquet(rows), minutes(0, 1), rule=DowntimeRule(Decimal("0.051")))
    assert result.measured_down_minutes() == {}


def test_the_failed_floor_keeps_a_lone_error_from_making_a_minute_down(logs: Logs) -> None:
    # minute 0: 1 of 1 failed (100 %, but only one); minute 1: 2 of 10 failed
    rows = [row(0, status=503), row(1, status=503), row(1, status=0)] + [row(1)] * 8
    result = impact(logs.parquet(rows), minutes(0, 2), rule=DowntimeRule(min_failed_requests=2))
    assert result.measured_down_minutes() == {"acme": MinuteSet.from_minutes([M0 + 1])}
    assert impact(logs.parquet(rows), minutes(0, 2)).measured_down_minutes() == {
        "acme": MinuteSet.from_minutes([M0, M0 + 1])
    }


def test_minutes_without_requests_are_not_down(logs: Logs) -> None:
    rows = [row(0, status=500), row(2, status=500)]
    result = impact(logs.parquet(rows), minutes(0, 3))
    acme = result.customer("acme")
    assert acme is not None
    assert acme.down_minutes.ranges == ((M0, M0 + 1), (M0 + 2, M0 + 3))
    assert acme.down_minute_count == 2


def test_consecutive_down_minutes_come_back_as_one_range(logs: Logs) -> None:
    rows = [row(m, status=502) for m in range(1, 5)] + [row(7, status=502)]
    result = impact(logs.parquet(rows), minutes(0, 10))
    acme = result.customer("acme")
    assert acme is not None
    assert acme.down_minutes.ranges == ((M0 + 1, M0 + 5), (M0 + 7, M0 + 8))


def test_the_window_is_half_open(logs: Logs) -> None:
    rows = [
        row(0, status=500),  # at the start: in
        row(0, status=500, second=-0.000001),  # just before: out
        row(5, status=500, second=-0.000001),  # last microsecond: in
        row(5, status=500),
    ]  # at the end: out
    result = impact(logs.parquet(rows), minutes(0, 5))
    assert result.requests_total == 2
    assert result.measured_down_minutes() == {"acme": MinuteSet(((M0, M0 + 1), (M0 + 4, M0 + 5)))}


def test_minutes_are_utc_minutes_even_for_seconds_inside_them(logs: Logs) -> None:
    rows = [row(3, status=500, second=59.999999), row(3, second=0.5)]
    result = impact(logs.parquet(rows), minutes(0, 5))
    assert result.series[3].requests == 2
    assert result.measured_down_minutes() == {"acme": MinuteSet.from_minutes([M0 + 3])}


def test_the_series_has_every_minute_of_the_window_with_zeros(logs: Logs) -> None:
    rows = [row(1, status=500), row(1), row(1, "globex"), row(3, "globex", status=None)]
    result = impact(logs.parquet(rows), minutes(0, 5))
    assert [(s.minute - M0, s.requests, s.failed) for s in result.series] == [
        (0, 0, 0),
        (1, 3, 1),
        (2, 0, 0),
        (3, 1, 1),
        (4, 0, 0),
    ]
    assert result.series[1].error_rate == Decimal(1) / Decimal(3)


def test_per_customer_rows_are_sorted_and_complete(logs: Logs) -> None:
    rows = [row(0, "zeta"), row(0, "alpha", status=500), row(1, "alpha"), row(1, "mid")]
    result = impact(logs.parquet(rows), minutes(0, 2))
    assert [(c.customer_id, c.requests, c.failed) for c in result.per_customer] == [
        ("alpha", 2, 1),
        ("mid", 1, 0),
        ("zeta", 1, 0),
    ]
    assert (result.customers_total, result.customers_affected) == (3, 1)


def test_scope_keeps_only_the_regions_and_services_named(logs: Logs) -> None:
    rows = [
        row(0, "a", 500, region="eu-west-1", service="api"),
        row(0, "b", 500, region="us-east-1", service="api"),
        row(0, "c", 500, region="eu-west-1", service="search"),
        row(0, "d", 500, region="eu-west-1", service="checkout"),
        row(0, "d", 200, region="ap-south-1", service="checkout"),
    ]
    path = logs.parquet(rows)
    by_region = impact(path, minutes(0, 1), Scope(regions=("eu-west-1",)))
    assert [c.customer_id for c in by_region.per_customer] == ["a", "c", "d"]
    both = impact(path, minutes(0, 1), Scope(regions=("eu-west-1",), services=("api", "checkout")))
    assert [(c.customer_id, c.requests) for c in both.per_customer] == [("a", 1), ("d", 1)]
    by_service = impact(path, minutes(0, 1), Scope(services=("checkout",)))
    assert [(c.customer_id, c.requests, c.failed) for c in by_service.per_customer] == [("d", 2, 1)]


def test_affected_users_and_transactions_are_distinct_failed_ones(logs: Logs) -> None:
    rows = [
        row(0, status=500, user="u1", txn="t1"),
        row(1, status=503, user="u1", txn="t1"),  # same user, same txn again
        row(1, status=0, user="u2", txn=None),  # no transaction
        row(2, status=None, user="u3", txn="t2"),
        row(2, status=200, user="u4", txn="t3"),  # succeeded: not affected
        row(2, status=404, user="u5", txn="t4"),
    ]  # client error: not affected
    result = impact(logs.parquet(rows), minutes(0, 3))
    assert (result.users_affected, result.transactions_affected) == (3, 2)


def test_a_log_without_transactions_reports_them_as_unknown(logs: Logs) -> None:
    path = logs.parquet([row(0, status=500)], drop=["txn_id"])
    result = impact(path, minutes(0, 1))
    assert result.transactions_affected is None
    assert "txn_id" not in result.provenance.columns


def test_integer_customer_and_user_ids_come_back_as_text(logs: Logs) -> None:
    schema = pa.schema(
        [
            f if f.name not in ("customer_id", "user_id") else pa.field(f.name, pa.int64())
            for f in SCHEMA
        ]
    )
    rows = [row(0, 10, 500, user=7), row(0, 9, 200, user=7), row(1, 10, 500, user=8)]
    result = impact(logs.parquet(rows, schema=schema), minutes(0, 2))
    assert [(c.customer_id, c.requests, c.failed) for c in result.per_customer] == [
        ("10", 2, 2),
        ("9", 1, 0),
    ]
    assert result.users_affected == 2


def test_requests_without_a_customer_are_read_but_not_counted(logs: Logs) -> None:
    rows = [row(0, None, 500), row(0, "acme", 500)]
    result = impact(logs.parquet(rows), minutes(0, 1))
    assert (result.requests_total, result.provenance.rows_scanned) == (1, 2)
    assert result.users_affected == 1


def test_timestamps_in_another_zone_are_counted_in_utc_minutes(logs: Logs) -> None:
    paris = ZoneInfo("Europe/Paris")
    schema = pa.schema(
        [
            pa.field("ts", pa.timestamp("us", tz="Europe/Paris")),
            *[f for f in SCHEMA if f.name != "ts"],
        ]
    )
    rows = [{**row(1, status=500), "ts": (T0 + timedelta(minutes=1)).astimezone(paris)}]
    result = impact(logs.parquet(rows, schema=schema), minutes(0, 2))
    assert result.measured_down_minutes() == {"acme": MinuteSet.from_minutes([M0 + 1])}


def test_the_result_records_its_provenance(logs: Logs) -> None:
    path = logs.parquet([row(0, status=500)] * 3, rename={"ts": "event_time"})
    result = impact(path, minutes(0, 1), mapping=ColumnMapping({"ts": "event_time"}))
    prov = result.provenance
    assert prov.source == str(path)
    assert prov.columns["ts"] == "event_time"
    assert prov.columns["customer_id"] == "customer_id"
    assert (prov.rows_scanned, prov.engine, prov.computed_at) == (3, "duckdb", FIXED)
    assert prov.definition_hash == definition_hash()
    assert prov.engine_version


def test_the_definition_hash_is_stable_and_fingerprints_the_sql() -> None:
    first = definition_hash()
    assert len(first) == 64 and int(first, 16) >= 0
    definition_hash.cache_clear()
    definition_sql.cache_clear()
    assert definition_hash() == first
    sql = definition_sql()
    assert "EPOCH_US" in sql and "COUNT(DISTINCT" in sql
    assert "DATE_TRUNC" not in sql  # the integer minute key, not a zoned truncation
    assert "GETVARIABLE('warroom_start')" in sql and "0.05" not in sql  # values come apart


def test_the_result_survives_a_json_round_trip(logs: Logs) -> None:
    rows = [row(0, "a", 500, txn="t1"), row(2, "b", 0), row(2, "b", 200)]
    result = impact(logs.parquet(rows), minutes(0, 3), Scope(regions=("eu-west-1",)))
    data = json.loads(json.dumps(result.to_json()))
    assert ImpactResult.from_json(data) == result
    assert data["window"] == {
        "start": "2025-11-08T14:00:00Z",
        "end": "2025-11-08T14:03:00Z",
        "minutes": 3,
    }
    assert data["per_customer"][1] == {
        "customer_id": "b",
        "requests": 2,
        "failed": 1,
        "down_minutes": 1,
        "down_minute_ranges": [[M0 + 2, M0 + 3]],
    }
    assert data["series"][0] == {"minute": "2025-11-08T14:00:00Z", "requests": 1, "failed": 1}
    assert data["provenance"]["computed_at"] == "2025-11-20T09:00:00Z"
    assert (
        data["customers_affected"],
        data["customers_total"],
        data["requests_total"],
        data["requests_failed"],
        data["users_affected"],
        data["transactions_affected"],
    ) == (2, 2, 3, 2, 1, 1)


def test_progress_goes_from_zero_to_one(logs: Logs) -> None:
    seen: list[float] = []
    impact(logs.parquet([row(0, status=500)]), minutes(0, 1), progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0
    assert seen == sorted(seen)


def test_the_result_records_the_rule_it_was_measured_with(logs: Logs) -> None:
    rule = DowntimeRule(Decimal("0.25"), 3)
    result = impact(logs.parquet([row(0, status=500)] * 3 + [row(0)] * 9), minutes(0, 1), rule=rule)
    assert (result.threshold, result.min_failed) == (Decimal("0.25"), 3)
    assert result.measured_down_minutes() == {"acme": MinuteSet.from_minutes([M0])}  # 3 of 12


# -- against a plain-Python reading of docs/definitions.md and the domain's rule ------------


def reference(
    rows: list[dict[str, Any]],
    window: TimeWindow,
    rule: DowntimeRule,
) -> dict[str, Any]:
    """docs/definitions.md, row by row, with the domain's `is_down`, for comparison."""
    per_minute: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])
    users, txns = set(), set()
    for r in rows:
        if not window.contains(r["ts"]):
            continue
        bad = r["status"] is None or r["status"] == 0 or r["status"] >= 500
        cell = per_minute[(r["customer_id"], epoch_minute(r["ts"]))]
        cell[0] += 1
        cell[1] += bad
        if bad:
            users.add(r["user_id"])
            if r["txn_id"] is not None:
                txns.add(r["txn_id"])
    customers: dict[str, list[Any]] = {}
    for (customer, minute), (total, bad) in sorted(per_minute.items()):
        entry = customers.setdefault(customer, [0, 0, []])
        entry[0] += total
        entry[1] += bad
        if rule.is_down(bad, total):
            entry[2].append(minute)
    return {
        "users": len(users),
        "txns": len(txns),
        "customers": {c: (t, b, MinuteSet.from_minutes(m)) for c, (t, b, m) in customers.items()},
    }


small_logs = st.lists(
    st.builds(
        lambda minute, second, customer, user, status, txn: row(
            minute, customer, status, user=user, txn=txn, second=second
        ),
        minute=st.integers(-1, 6),
        second=st.integers(0, 59),
        customer=st.sampled_from(["a", "b", "c"]),
        user=st.sampled_from(["u1", "u2", "u3"]),
        status=st.one_of(st.none(), st.sampled_from([0, 200, 204, 404, 499, 500, 503])),
        txn=st.one_of(st.none(), st.sampled_from(["t1", "t2", "t3"])),
    ),
    min_size=1,
    max_size=40,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=small_logs, rule=rules())
def test_duckdb_agrees_with_a_plain_reading_of_the_definition(
    logs: Logs, rows: list[dict[str, Any]], rule: DowntimeRule
) -> None:
    window = minutes(0, 5)
    expected = reference(rows, window, rule)
    if not expected["customers"]:
        with pytest.raises(InvalidInput, match="no requests between"):
            impact(logs.parquet(rows), window, rule=rule)
        return
    result = impact(logs.parquet(rows), window, rule=rule)
    assert (result.users_affected, result.transactions_affected) == (
        expected["users"],
        expected["txns"],
    )
    assert {
        c.customer_id: (c.requests, c.failed, c.down_minutes) for c in result.per_customer
    } == expected["customers"]
    assert sum(s.requests for s in result.series) == result.requests_total


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_duckdb_down_minutes_are_the_domain_rules(logs: Logs, data: st.DataObject) -> None:
    cells = data.draw(minute_cells())
    rule = data.draw(rules(near=cells))
    result = impact(logs.parquet(rows_of(cells)), minutes(0, 5), rule=rule)
    assert {c.customer_id: c.down_minutes for c in result.per_customer} == down_minutes(cells, rule)
