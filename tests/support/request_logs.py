"""Request logs written by hand for the analytics tests: rows, then Parquet or CSV.

A minute is counted from T0 (2025-11-08 14:00Z); `Logs.row(3, status=503)` is one request
in minute 3. Files go to the test's tmp_path (the `logs` fixture in conftest.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from hypothesis import strategies as st

from support.outside import need
from warroom.domain.downtime import DowntimeRule
from warroom.domain.minutes import MinuteSet, epoch_minute
from warroom.domain.window import TimeWindow

T0 = datetime(2025, 11, 8, 14, 0, tzinfo=UTC)
M0 = epoch_minute(T0)

SCHEMA = pa.schema(
    [
        ("ts", pa.timestamp("us", tz="UTC")),
        ("customer_id", pa.string()),
        ("user_id", pa.string()),
        ("status", pa.int32()),
        ("region", pa.string()),
        ("service", pa.string()),
        ("txn_id", pa.string()),
    ]
)


def minutes(first: int, last: int) -> TimeWindow:
    """The window from minute `first` to minute `last` (exclusive) after T0."""
    return TimeWindow(T0 + timedelta(minutes=first), T0 + timedelta(minutes=last))


need_outside = need  # Java, PySpark: the suite's one rule for outside parts


@dataclass
class Logs:
    folder: Path

    @staticmethod
    def row(
        minute: float,
        customer: Any = "acme",
        status: int | None = 200,
        *,
        user: Any = "u1",
        txn: str | None = None,
        region: str = "eu-west-1",
        service: str = "api",
        second: float = 0,
    ) -> dict[str, Any]:
        at = T0 + timedelta(minutes=minute, seconds=second)
        return {
            "ts": at,
            "customer_id": customer,
            "user_id": user,
            "status": status,
            "region": region,
            "service": service,
            "txn_id": txn,
        }

    @staticmethod
    def table(
        rows: Iterable[Mapping[str, Any]],
        schema: pa.Schema = SCHEMA,
        rename: Mapping[str, str] | None = None,
        drop: Iterable[str] = (),
    ) -> pa.Table:
        rows = list(rows)
        dropped = set(drop)
        fields = [f for f in schema if f.name not in dropped]
        data = {f.name: pa.array([r.get(f.name) for r in rows], type=f.type) for f in fields}
        table = pa.table(data, schema=pa.schema(fields))
        if rename:
            table = table.rename_columns([rename.get(n, n) for n in table.column_names])
        return table

    def parquet(
        self, rows: Iterable[Mapping[str, Any]], name: str = "requests.parquet", **options: Any
    ) -> Path:
        path = self.folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(self.table(rows, **options), path)
        return path

    def csv(
        self, rows: Iterable[Mapping[str, Any]], name: str = "requests.csv", **options: Any
    ) -> Path:
        path = self.folder / name
        pacsv.write_csv(self.table(rows, **options), path)
        return path


# -- logs made of per-minute counts, for holding the SQL to the domain's down-minute rule ------

Cells = dict[tuple[str, int], tuple[int, int]]  # (customer, minute after T0) -> (requests, failed)


def minute_cells() -> st.SearchStrategy[Cells]:
    """A few customers' requests and failures in minutes 0-4 (minutes left out have none)."""
    counts = st.integers(1, 25).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n)))
    return st.dictionaries(
        st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(0, 4)),
        counts,
        min_size=1,
        max_size=12,
    )


def rows_of(cells: Cells) -> list[dict[str, Any]]:
    """One request per count: the first `failed` of a minute's requests fail (5xx or none)."""
    return [
        Logs.row(minute, customer, (503 if i % 2 else None) if i < failed else 200, second=i % 60)
        for (customer, minute), (requests, failed) in cells.items()
        for i in range(requests)
    ]


def rules(near: Cells | None = None) -> st.SearchStrategy[DowntimeRule]:
    """Down-minute rules; with `near`, thresholds also right at, just below and just above
    the error rates of those minutes (nine decimal places), where rounding would show."""
    thresholds = st.decimals(min_value=Decimal("0.000000001"), max_value=Decimal(1), places=9)
    if near:
        rates = {Decimal(failed) / Decimal(requests) for requests, failed in near.values()}
        edges = {
            rate.quantize(Decimal("1E-9"), rounding=rounding)
            for rate in rates
            for rounding in (ROUND_FLOOR, ROUND_CEILING)
        }
        edges = {e for e in edges if 0 < e <= 1}
        if edges:
            thresholds = st.one_of(st.sampled_from(sorted(edges)), thresholds)
    return st.builds(DowntimeRule, thresholds, st.integers(1, 4))


def down_minutes(cells: Cells, rule: DowntimeRule) -> dict[str, MinuteSet]:
    """Every customer's down minutes, by the domain's `DowntimeRule.is_down`."""
    return {
        customer: MinuteSet.from_minutes(
            [
                M0 + m
                for (c, m), (requests, failed) in cells.items()
                if c == customer and rule.is_down(failed, requests)
            ]
        )
        for customer in {c for c, _ in cells}
    }


SMALL_START = datetime(2025, 11, 8, 14, 2, tzinfo=UTC)


def write_small_log(path: Path) -> None:
    """The small log of the CLI and API impact tests (columns event_time and tenant: map
    ts and customer_id). Two customers over ten minutes from 14:02; a third outside.

    C1: 3 requests a minute; minutes 0-4 all fail (503 or timeout), 5-9 one 404 each.
    C2: 1 request a minute; minutes 0-1 fail (500), the rest succeed.
    C3: fails, but at 13:00, before the window.
    """
    rows = []
    for minute in range(10):
        at = SMALL_START + timedelta(minutes=minute, seconds=10)
        for n in range(3):
            status = (503 if n else 0) if minute < 5 else (404 if n == 0 else 200)
            rows.append((at, "C1", f"u1-{n}", status, f"t-{minute}" if n == 1 else None))
        rows.append((at, "C2", "u2-0", 500 if minute < 2 else 200, None))
    rows.append((SMALL_START - timedelta(hours=1), "C3", "u3-0", 503, "t-x"))
    pq.write_table(
        pa.table(
            {
                "event_time": pa.array([r[0] for r in rows], pa.timestamp("us", tz="UTC")),
                "tenant": [r[1] for r in rows],
                "user_id": [r[2] for r in rows],
                "status": pa.array([r[3] for r in rows], pa.int32()),
                "txn_id": [r[4] for r in rows],
            }
        ),
        path,
    )
