"""Compiled plans: kept between runs, reused without Ibis, rebuilt when anything changes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.request_logs import M0, Logs, minutes
from warroom.analytics.impact import compute_impact, definition_hash
from warroom.analytics.plan import PlanError, cache_dir, parametrize
from warroom.domain.minutes import MinuteSet
from warroom.domain.scope import Scope

row = Logs.row
ROWS = [row(0, "a", 500, region="eu"), row(1, "a", 200, region="eu"),
        row(1, "b", 503, region="us"), row(4, "b", 0, region="eu")]

RUN = """
import json, sys
from warroom.analytics.impact import compute_impact
from warroom.domain.window import TimeWindow
from datetime import datetime, UTC
start = datetime(2025, 11, 8, 14, 0, tzinfo=UTC)
window = TimeWindow(start, start.replace(minute=5))
result = compute_impact(sys.argv[1], window)
print(json.dumps({"ibis": "ibis" in sys.modules, "failed": result.requests_failed,
                  "hash": result.provenance.definition_hash}))
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return cache_dir()


@pytest.fixture
def logs(tmp_path: Path) -> Logs:
    return Logs(tmp_path)


def plans(cache: Path) -> list[Path]:
    return sorted(cache.glob("*.json")) if cache.exists() else []


def test_a_second_run_reuses_the_plan_without_importing_ibis(logs: Logs, cache: Path) -> None:
    path = logs.parquet(ROWS)
    env = {**os.environ, "XDG_CACHE_HOME": str(cache.parent.parent)}
    runs = [json.loads(subprocess.run([sys.executable, "-c", RUN, str(path)], env=env,
                                      check=True, capture_output=True, text=True).stdout)
            for _ in range(2)]
    assert [r["ibis"] for r in runs] == [True, False]
    assert runs[0]["failed"] == runs[1]["failed"] == 3
    assert runs[0]["hash"] == runs[1]["hash"] == definition_hash()
    assert len(plans(cache)) == 1


def test_a_kept_plan_binds_each_runs_values(logs: Logs, cache: Path) -> None:
    path = logs.parquet(ROWS)
    first = compute_impact(path, minutes(0, 2), Scope(regions=("eu",)))
    second = compute_impact(path, minutes(1, 5), Scope(regions=("us",)))
    assert len(plans(cache)) == 1  # same shape: one plan
    assert [(c.customer_id, c.requests) for c in first.per_customer] == [("a", 2)]
    assert [(c.customer_id, c.requests) for c in second.per_customer] == [("b", 1)]
    strict = compute_impact(path, minutes(0, 2), Scope(regions=("eu",)), min_failed=2)
    assert strict.measured_down_minutes() == {}
    assert first.measured_down_minutes() == {"a": MinuteSet.from_minutes([M0])}


def test_another_shape_gets_another_plan(logs: Logs, cache: Path) -> None:
    path = logs.parquet(ROWS)
    compute_impact(path, minutes(0, 5))
    compute_impact(path, minutes(0, 5), Scope(regions=("eu",)))
    compute_impact(path, minutes(0, 5), Scope(regions=("eu", "us")))
    compute_impact(logs.parquet(ROWS, drop=["txn_id"], name="no-txn.parquet"), minutes(0, 5))
    assert len(plans(cache)) == 4


def test_a_damaged_plan_is_rebuilt(logs: Logs, cache: Path) -> None:
    path = logs.parquet(ROWS)
    expected = compute_impact(path, minutes(0, 5)).requests_failed
    (only,) = plans(cache)
    only.write_text("{not json")
    assert compute_impact(path, minutes(0, 5)).requests_failed == expected
    assert json.loads(only.read_text())["statements"]["counts"]


def test_an_unwritable_cache_only_costs_time(logs: Logs, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert compute_impact(logs.parquet(ROWS), minutes(0, 5)).requests_failed == 3


def test_a_plan_with_a_sentinel_the_compiler_wrote_otherwise_is_refused() -> None:
    assert parametrize("x >= 7340033 AND y", {"$num": "7340033"}) == "x >= $num AND y"
    with pytest.raises(PlanError, match=r"\$start"):
        parametrize("x >= MAKE_TIMESTAMPTZ(1971, 2, 3)", {"$start": "TIMESTAMP '1971'"})
