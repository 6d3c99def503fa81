"""Compiled plans: the impact definition's SQL for one shape of log, kept between runs.

Compiling the definition needs Ibis, whose import alone takes longer than DuckDB's scans
of a 10-million-row log. A plan is the SQL Ibis compiles for one *shape* of input (the
log's columns and types, the column mapping, how many regions and services the scope
names) with the *values* (window, scope names, down-minute rule) left as parameters
(``$start``, ``$region_0``, ...). For DuckDB, plans are cached on disk, in
``$XDG_CACHE_HOME/warroom/plans`` (default ``~/.cache/warroom/plans``); a plan's key
fingerprints its shape, the analytics code and the Ibis and sqlglot versions, so any
change to the definition or to the compiler builds a new plan. Spark plans are compiled
for each run with the values written in (Spark's start-up dwarfs Ibis's).

How the values become parameters: the definition is compiled with sentinel values
(a window in 1971, region names like ``warroom_plan_region_0``, numbers like 7340033),
and each sentinel's rendering in the SQL is replaced by its parameter. A sentinel that
is not found as expected fails the build loudly (never a wrong plan).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

PLAN_FORMAT = 1
SOURCE = "warroom_plan_source"  # the log's view, renamed per run
COUNTS = "warroom_plan_counts"  # the kept per-minute counts, renamed per run


@dataclass(frozen=True)
class Shape:
    """What a plan depends on besides values: same shape, same SQL."""

    dialect: str
    columns: tuple[tuple[str, str], ...]  # the log as the engine describes it: (name, type)
    mapping: tuple[tuple[str, str], ...]  # contract column -> log column, as given
    regions: int | None  # how many regions the scope names (None = all)
    services: int | None

    def key(self) -> str:
        text = json.dumps([PLAN_FORMAT, _code_fingerprint(), asdict(self)], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Plan:
    """Named SQL statements, with the facts a run needs without compiling anything.

    `statements`: ``sample`` (only when ts is text), ``counts``, ``rows``, ``totals``,
    ``reach``, ``series``, ``ranges``. `columns` maps contract to log columns.
    """

    key: str
    definition_hash: str
    columns: Mapping[str, str]
    has_txn: bool
    statements: Mapping[str, str] = field(default_factory=dict)

    def sql(self, name: str, *, source: str, counts: str) -> str:
        """Statement `name` reading the view `source` and the counts table `counts`."""
        return self.statements[name].replace(SOURCE, source).replace(COUNTS, counts)

    def to_json(self) -> dict[str, Any]:
        return {"format": PLAN_FORMAT, "key": self.key, "definition_hash": self.definition_hash,
                "columns": dict(self.columns), "has_txn": self.has_txn,
                "statements": dict(self.statements)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Plan:
        if data.get("format") != PLAN_FORMAT:
            raise ValueError("plan of another format")
        return cls(key=str(data["key"]), definition_hash=str(data["definition_hash"]),
                   columns={str(k): str(v) for k, v in dict(data["columns"]).items()},
                   has_txn=bool(data["has_txn"]),
                   statements={str(k): str(v) for k, v in dict(data["statements"]).items()})


def parametrize(sql: str, renderings: Mapping[str, str]) -> str:
    """Replace each sentinel's rendering (value) by its parameter (key, e.g. ``$start``).

    Every sentinel must occur; a leftover or missing one means the compiler rendered a
    value in an unexpected way, and the plan is refused rather than run wrong.
    """
    for parameter, rendering in renderings.items():
        if rendering not in sql:
            raise PlanError(f"sentinel for {parameter} not found in the compiled SQL")
        sql = sql.replace(rendering, parameter)
    return sql


class PlanError(RuntimeError):
    """A plan could not be parametrized (a bug or an unexpected compiler, not user input)."""


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "warroom" / "plans"


def load(key: str) -> Plan | None:
    """The cached plan for `key`, or None (missing, unreadable or stale: it is rebuilt)."""
    try:
        plan = Plan.from_json(json.loads((cache_dir() / f"{key}.json").read_text("utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return plan if plan.key == key else None


def store(plan: Plan) -> None:
    """Keep `plan` for the next run; a cache that cannot be written is simply not used."""
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{plan.key}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(plan.to_json(), indent=1), "utf-8")
        tmp.replace(folder / f"{plan.key}.json")
    except OSError:
        pass


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
