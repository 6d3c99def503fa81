"""Compiled plans: kept in the plan cache, reused without Ibis, one per shape of log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from support.request_logs import M0, Logs, minutes
from warroom.analytics.impact import compute_impact, definition_hash
from warroom.domain.downtime import DowntimeRule
from warroom.domain.impact import ImpactResult
from warroom.domain.minutes import MinuteSet
from warroom.domain.scope import Scope
from warroom.domain.window import TimeWindow

row = Logs.row
ROWS = [
    row(0, "a", 500, region="eu"),
    row(1, "a", 200, region="eu"),
    row(1, "b", 503, region="us"),
    row(4, "b", 0, region="eu"),
]

RUN = """
import json, sys
from pathlib import Path
from warroom.analytics.impact import compute_impact
from warroom.domain.window import TimeWindow
from datetime import datetime, UTC
start = datetime(2025, 11, 8, 14, 0, tzinfo=UTC)
window = TimeWindow(start, start.replace(minute=5))
result = compute_impact(sys.argv[1], window, plan_cache=Path(sys.argv[2]))
print(json.dumps({"ibis": "ibis" in sys.modules, "failed": result.requests_failed,
                  "hash": result.provenance.definition_hash}))
"""


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "plans"


@pytest.fixture
def logs(tmp_path: Path) -> Logs:
    return Logs(tmp_path)


def plans(cache: Path) -> list[Path]:
    return sorted(cache.glob("*.json")) if cache.exists() else []


def impact(
    path: Path,
    window: TimeWindow,
    cache: Path | None,
    scope: Scope | None = None,
    rule: DowntimeRule = DowntimeRule(),
) -> ImpactResult:
    return compute_impact(str(path), window, scope, rule=rule, plan_cache=cache)


def test_a_second_run_reuses_the_plan_without_importing_ibis(logs: Logs, cache: Path) -> None:
    path = logs.parquet(ROWS)
    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", RUN, str(path), str(cache)],
                env=os.environ,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
        for _ in range(2)
    ]
    assert [r["ibis"] for r in runs] == [True, False]
    assert runs[0]["failed"] == runs[1]["failed"] == 3
    assert runs[0]["hash"] == runs[1]["hash"] == definition_hash()
    assert len(plans(cache)) == 1


def test_a_kept_plan_holds_no_values_and_binds_each_runs(logs: Logs, cache: Path) -> None:
    path = logs.parquet(ROWS)
    first = impact(path, minutes(0, 2), cache, Scope(regions=("eu",)))
    second = impact(path, minutes(1, 5), cache, Scope(regions=("us", "ap")))
    (kept,) = plans(cache)  # same shape: one plan, whatever the values
    assert "2025" not in kept.read_text() and "'eu'" not in kept.read_text()
    assert [(c.customer_id, c.requests) for c in first.per_customer] == [("a", 2)]
    assert [(c.customer_id, c.requests) for c in second.per_customer] == [("b", 1)]
    strict = impact(
        path, minutes(0, 2), cache, Scope(regions=("eu",)), DowntimeRule(Decimal("0.75"))
    )  # a's minute 0: 1 of 1; minute 1: 0 of 1
    assert (
        strict.measured_down_minutes()
        == first.measured_down_minutes()
        == {"a": MinuteSet.from_minutes([M0])}
    )
    floor = impact(path, minutes(0, 2), cache, Scope(regions=("eu",)), DowntimeRule(Decimal(1), 2))
    assert floor.measured_down_minutes() == {}


def test_another_shape_gets_another_plan(logs: Logs, cache: Path) -> None:
    path = logs.parquet(ROWS)
    impact(path, minutes(0, 5), cache)
    impact(path, minutes(0, 5), cache, Scope(regions=("eu",)))
    impact(path, minutes(0, 5), cache, Scope(regions=("eu", "us")))  # as the one before
    impact(path, minutes(0, 5), cache, Scope(services=("api",)))
    impact(logs.parquet(ROWS, drop=["txn_id"], name="no-txn.parquet"), minutes(0, 5), cache)
    assert len(plans(cache)) == 4


def test_a_damaged_plan_is_compiled_again(logs: Logs, cache: Path) -> None:
    path = logs.parquet(ROWS)
    expected = impact(path, minutes(0, 5), cache).requests_failed
    (only,) = plans(cache)
    only.write_text("{not json")
    assert impact(path, minutes(0, 5), cache).requests_failed == expected
    assert json.loads(only.read_text())["statements"]["counts"]


def test_an_unwritable_cache_only_costs_time(logs: Logs, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    assert impact(logs.parquet(ROWS), minutes(0, 5), blocker / "plans").requests_failed == 3


def test_without_a_cache_nothing_is_kept(logs: Logs, tmp_path: Path) -> None:
    path = logs.parquet(ROWS)
    before = set(tmp_path.rglob("*"))
    assert impact(path, minutes(0, 5), None).requests_failed == 3
    assert set(tmp_path.rglob("*")) - before == set()
