"""Request logs written by hand for the analytics tests: rows, then Parquet or CSV.

A minute is counted from T0 (2025-11-08 14:00Z); `Logs.row(3, status=503)` is one request
in minute 3. Files go to the test's tmp_path (the `logs` fixture in conftest.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from support.outside import need
from warroom.domain.minutes import epoch_minute
from warroom.domain.window import TimeWindow

T0 = datetime(2025, 11, 8, 14, 0, tzinfo=UTC)
M0 = epoch_minute(T0)
IN_CI = os.environ.get("CI", "").lower() == "true"

SCHEMA = pa.schema([
    ("ts", pa.timestamp("us", tz="UTC")),
    ("customer_id", pa.string()),
    ("user_id", pa.string()),
    ("status", pa.int32()),
    ("region", pa.string()),
    ("service", pa.string()),
    ("txn_id", pa.string()),
])


def minutes(first: int, last: int) -> TimeWindow:
    """The window from minute `first` to minute `last` (exclusive) after T0."""
    return TimeWindow(T0 + timedelta(minutes=first), T0 + timedelta(minutes=last))


need_outside = need  # Java, PySpark: the suite's one rule for outside parts


@dataclass
class Logs:
    folder: Path

    @staticmethod
    def row(minute: float, customer: Any = "acme", status: int | None = 200, *,
            user: Any = "u1", txn: str | None = None, region: str = "eu-west-1",
            service: str = "api", second: float = 0) -> dict[str, Any]:
        at = T0 + timedelta(minutes=minute, seconds=second)
        return {"ts": at, "customer_id": customer, "user_id": user, "status": status,
                "region": region, "service": service, "txn_id": txn}

    @staticmethod
    def table(rows: Iterable[Mapping[str, Any]], schema: pa.Schema = SCHEMA,
              rename: Mapping[str, str] | None = None,
              drop: Iterable[str] = ()) -> pa.Table:
        rows = list(rows)
        dropped = set(drop)
        fields = [f for f in schema if f.name not in dropped]
        data = {f.name: pa.array([r.get(f.name) for r in rows], type=f.type) for f in fields}
        table = pa.table(data, schema=pa.schema(fields))
        if rename:
            table = table.rename_columns([rename.get(n, n) for n in table.column_names])
        return table

    def parquet(self, rows: Iterable[Mapping[str, Any]], name: str = "requests.parquet",
                **options: Any) -> Path:
        path = self.folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(self.table(rows, **options), path)
        return path

    def csv(self, rows: Iterable[Mapping[str, Any]], name: str = "requests.csv",
            **options: Any) -> Path:
        path = self.folder / name
        pacsv.write_csv(self.table(rows, **options), path)
        return path
