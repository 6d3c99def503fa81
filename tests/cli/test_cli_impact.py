"""`warroom impact` as a user runs it: a small hand-made log with hand-computed numbers."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from support.cli_world import cli_with_reference_incident
from support.request_logs import SMALL_START as START
from support.request_logs import write_small_log as write_log


@pytest.fixture
def warroom(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    write_log(tmp_path / "requests.parquet")
    call = cli_with_reference_incident(tmp_path, monkeypatch, capsys)
    return call


def test_it_measures_and_stores_the_impact(warroom, tmp_path: Path) -> None:
    code, out, err = warroom(
        "impact",
        "INC-2025-1108-001",
        "--requests",
        tmp_path / "requests.parquet",
        "--map",
        "ts=event_time,customer_id=tenant",
        "--json",
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["window"] == {
        "start": "2025-11-08T14:02:00Z",
        "end": "2025-11-08T19:49:00Z",
        "minutes": 347,
    }
    assert data["customers_affected"] == 2
    assert data["users_affected"] == 4  # u1-0, u1-1, u1-2 (minutes 0-4) and u2-0
    assert data["transactions_affected"] == 5  # t-0 .. t-4
    assert (data["requests_total"], data["requests_failed"]) == (40, 17)
    assert data["per_customer"] == [
        {"customer_id": "C1", "requests": 30, "failed": 15, "down_minutes": 5},
        {"customer_id": "C2", "requests": 10, "failed": 2, "down_minutes": 2},
    ]
    assert data["provenance"]["columns"]["customer_id"] == "tenant"
    assert data["provenance"]["rows_scanned"] == 40
    code, again, _ = warroom("impact", "INC-2025-1108-001", "--json")
    assert code == 0 and json.loads(again) == data


def test_it_names_a_missing_column_and_stores_nothing(warroom, tmp_path: Path) -> None:
    code, _, err = warroom(
        "impact", "INC-2025-1108-001", "--requests", tmp_path / "requests.parquet"
    )
    assert code == 1
    assert "'ts'" in err and "event_time" in err and "--map" in err
    code, _, err = warroom("impact", "INC-2025-1108-001")
    assert code == 1 and "no impact analysis yet" in err


def test_it_refuses_an_empty_or_reversed_window(warroom, tmp_path: Path) -> None:
    code, _, err = warroom(
        "impact",
        "INC-2025-1108-001",
        "--requests",
        tmp_path / "requests.parquet",
        "--map",
        "ts=event_time,customer_id=tenant",
        "--window",
        "2025-11-08T15:00:00Z/2025-11-08T14:00:00Z",
    )
    assert code == 1 and "before it starts" in err
    code, _, err = warroom(
        "impact",
        "INC-2025-1108-001",
        "--requests",
        tmp_path / "requests.parquet",
        "--map",
        "ts=event_time,customer_id=tenant",
        "--window",
        "2025-11-08T15:00:00/2025-11-08T16:00:00Z",
    )
    assert code == 1 and "no UTC offset" in err


def test_it_refuses_a_window_longer_than_a_month_and_stores_nothing(warroom, tmp_path) -> None:
    code, _, err = warroom(
        "impact",
        "INC-2025-1108-001",
        "--requests",
        tmp_path / "requests.parquet",
        "--map",
        "ts=event_time,customer_id=tenant",
        "--window",
        "2025-01-01T00:00:00Z/2026-01-01T00:00:00Z",
    )
    assert code == 1 and "--window" in err and "at most 31 days" in err
    code, _, err = warroom("impact", "INC-2025-1108-001")
    assert code == 1 and "no impact analysis yet" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfets: event_time\n", "is not UTF-8"),
        (b"ts: " + b"[" * 3000 + b"]" * 3000 + b"\n", "nested more than"),
        (b"ts: event_time\nts: time\n", "appears twice"),
    ],
)
def test_a_broken_mapping_file_is_refused_by_name(
    warroom, tmp_path, content: bytes, message: str
) -> None:
    (tmp_path / "map.yaml").write_bytes(content)
    code, _, err = warroom(
        "impact",
        "INC-2025-1108-001",
        "--requests",
        tmp_path / "requests.parquet",
        "--map-file",
        tmp_path / "map.yaml",
    )
    assert code == 1 and "map.yaml" in err and message in err and "Traceback" not in err


def test_it_warns_about_customers_in_the_log_that_the_registry_lacks(warroom, tmp_path) -> None:
    (tmp_path / "customers.csv").write_text(
        "customer_id,name,tier,monthly_fee,currency,regions\n"
        "999,Nobody Ltd,enterprise,100.00,USD,\n"
    )
    code, _, err = warroom(
        "impact",
        "INC-2025-1108-001",
        "--requests",
        tmp_path / "requests.parquet",
        "--map",
        "ts=event_time,customer_id=tenant",
        "--customers",
        tmp_path / "customers.csv",
    )
    assert code == 0, err
    assert "Warning:" in err and "not in" in err and "customers.csv" in err


def test_it_warns_about_requests_without_a_customer(warroom, tmp_path) -> None:
    at = START + timedelta(minutes=1)
    pq.write_table(
        pa.table(
            {
                "ts": pa.array([at] * 3, pa.timestamp("us", tz="UTC")),
                "customer_id": ["C1", None, None],
                "user_id": ["u1", "u2", "u3"],
                "status": pa.array([200, 500, 503], pa.int32()),
            }
        ),
        tmp_path / "anonymous.parquet",
    )
    code, out, err = warroom(
        "impact", "INC-2025-1108-001", "--requests", tmp_path / "anonymous.parquet"
    )
    assert code == 0, err
    assert "Warning: 2 request(s) in the window have no customer id" in err
    assert "3 rows scanned" in out
