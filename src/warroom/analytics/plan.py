"""Compiled plans: the impact definition's SQL for one shape of log, kept between runs.

Importing Ibis and compiling the definition take longer than DuckDB's scans of a
10-million-row log. A plan is the SQL Ibis compiles for one *shape* of input (the log's
columns and types, the column mapping, whether the scope names regions and services);
the run's values (window, scope names, down-minute rule) are not in it: the SQL reads them
from DuckDB variables. Plans are kept as JSON files in the folder WARROOM_PLAN_CACHE names
(README.md, "Configuration"); a plan's key fingerprints its shape, the analytics code and
the Ibis and sqlglot versions, so any change to the definition or the compiler makes a new
plan. A missing, damaged or unwritable cache only costs the compile.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

PLAN_FORMAT = 2


@dataclass(frozen=True)
class Shape:
    """What a plan depends on: same shape, same SQL."""

    dialect: str
    columns: tuple[tuple[str, str], ...]  # the log as the engine describes it: (name, type)
    mapping: tuple[tuple[str, str], ...]  # contract column -> log column, as given
    regions: bool  # whether the scope names regions (else all)
    services: bool

    def key(self) -> str:
        text = json.dumps([PLAN_FORMAT, _code_fingerprint(), asdict(self)], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Plan:
    """Named SQL statements, with the facts a run needs without compiling anything.

    `statements`: ``sample`` (only when ts is text), ``counts``, ``rows``, ``totals``,
    ``reach``, ``series``, ``ranges``. `columns` maps contract to log columns.
    """

    definition_hash: str
    columns: Mapping[str, str]
    has_txn: bool
    statements: Mapping[str, str]


def load(folder: Path, key: str) -> Plan | None:
    """The kept plan for `key`, or None (missing or unreadable: it is compiled again)."""
    try:
        data = json.loads((folder / f"{key}.json").read_text("utf-8"))
        if data.pop("format") != PLAN_FORMAT:
            return None
        return Plan(
            definition_hash=str(data["definition_hash"]),
            columns={str(k): str(v) for k, v in data["columns"].items()},
            has_txn=bool(data["has_txn"]),
            statements={str(k): str(v) for k, v in data["statements"].items()},
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def store(folder: Path, key: str, plan: Plan) -> None:
    """Keep `plan` for the next run (written whole, then renamed: never half a plan)."""
    data: dict[str, Any] = {"format": PLAN_FORMAT, **asdict(plan)}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{key}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(data, indent=1), "utf-8")
        tmp.replace(folder / f"{key}.json")
    except OSError:
        pass  # a cache that cannot be written is simply not used


@lru_cache(maxsize=1)
def _code_fingerprint() -> str:
    """The analytics code and the compiler versions a plan was compiled with."""
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for name in ("impact.py", "mapping.py", "plan.py", "engines.py"):
        digest.update((here / name).read_bytes())
    for package in ("ibis-framework", "sqlglot"):
        try:
            digest.update(f"{package}={metadata.version(package)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{package}=?".encode())
    return digest.hexdigest()
