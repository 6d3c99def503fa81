"""Column mapping: how a user's request log names the contract's columns, and its checks.

The request-log contract (docs/impact.md) names seven columns; users' logs never match, so
``--map ts=event_time,customer_id=tenant`` (or a YAML/JSON mapping file
``{ts: event_time, customer_id: tenant}``) says which log column plays which part.
Unmapped contract columns are looked for under their own names.

Accepted column types:

- ``ts``: a timestamp with a time zone (any zone: instants are converted to UTC), or text
  in ISO-8601 *with* an offset (``2025-11-08T14:02:00Z``, ``...+01:00``). Timestamps
  without a zone are refused: warroom counts UTC minutes and will not guess the zone.
- ``status``: an integer (a floating column of whole numbers, as pandas writes integers
  with gaps, is accepted); ``customer_id``, ``user_id``, ``txn_id``: text or integers
  (normalised to text); ``region``, ``service``: text.
"""

# Ibis ships without type information: its types are Any to mypy.
from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from warroom.domain.errors import InvalidInput, Problem

if TYPE_CHECKING:
    import ibis.expr.datatypes as dt
    import ibis.expr.types as ir

CONTRACT: Mapping[str, str] = {
    "ts": "request time, a timestamp with time zone",
    "customer_id": "the customer, or tenant",
    "user_id": "the end user",
    "status": "HTTP status; 0 or empty = timeout",
    "region": "region, for scoping",
    "service": "service, for scoping",
    "txn_id": "business transaction id, optional",
}
REQUIRED = ("ts", "customer_id", "user_id", "status")
OPTIONAL = ("region", "service", "txn_id")

# names seen in real logs, tried after the contract name itself when suggesting a --map
_SYNONYMS: Mapping[str, tuple[str, ...]] = {
    "ts": (
        "timestamp",
        "time",
        "event_time",
        "request_time",
        "created_at",
        "datetime",
        "at",
        "date",
        "@timestamp",
        "logged_at",
        "start_time",
    ),
    "customer_id": (
        "customer",
        "tenant",
        "tenant_id",
        "account",
        "account_id",
        "org",
        "org_id",
        "organization_id",
        "client_id",
        "client",
        "cust_id",
    ),
    "user_id": ("user", "uid", "username", "member_id", "principal", "end_user"),
    "status": (
        "status_code",
        "http_status",
        "code",
        "response_code",
        "http_code",
        "response_status",
        "sc_status",
    ),
    "region": ("location", "zone", "az", "datacenter", "dc"),
    "service": ("svc", "app", "application", "component", "endpoint_group"),
    "txn_id": ("transaction_id", "txn", "transaction", "order_id", "trace_id", "request_id"),
}

_OFFSET = re.compile(r"(Z|z|[+-]\d\d(:?\d\d)?)$")
# the same rule for the engines (RE2 in DuckDB, Java regex in Spark)
_OFFSET_SQL = r"(Z|z|[+-][0-9][0-9](:?[0-9][0-9])?)$"


@dataclass(frozen=True)
class ColumnMapping:
    """contract column → log column, for the columns the user mapped explicitly."""

    columns: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "columns", dict(self.columns))

    def column_for(self, name: str) -> str:
        return self.columns.get(name, name)

    def merged(self, override: ColumnMapping) -> ColumnMapping:
        """This mapping with `override`'s entries on top (the command line beats the file)."""
        return ColumnMapping({**self.columns, **override.columns})

    def __bool__(self) -> bool:
        return bool(self.columns)


def parse_map(text: str, *, source: str | None = None) -> ColumnMapping:
    """``ts=event_time,customer_id=tenant`` → a mapping; refuses unknown contract names."""
    problems: list[Problem] = []
    pairs: dict[str, str] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, sep, column = (x.strip() for x in item.partition("="))
        if not sep or not name or not column:
            problems.append(
                Problem(
                    "--map",
                    "bad_mapping",
                    f"{item!r} is not NAME=COLUMN (e.g. ts=event_time)",
                    source=source,
                )
            )
            continue
        pairs[name] = column
    problems += _name_problems(pairs, source=source, where="--map")
    if problems:
        raise InvalidInput(problems)
    return ColumnMapping(pairs)


def load_map_file(path: str | Path) -> ColumnMapping:
    """A YAML or JSON file ``{ts: event_time, customer_id: tenant}`` (YAML reads both)."""
    from warroom.formats.documents import load_file

    where = str(path)
    # the safe loader: size limit, UTF-8 check, no aliases or tags, duplicate keys refused
    data = load_file(Path(path)).data
    if not isinstance(data, dict) or not all(isinstance(v, str) and v for v in data.values()):
        raise InvalidInput(
            [
                Problem(
                    "",
                    "bad_mapping",
                    "expected a mapping of contract column to log column, "
                    "e.g. {ts: event_time, customer_id: tenant}",
                    source=where,
                )
            ]
        )
    pairs = {str(k): str(v) for k, v in data.items()}
    problems = _name_problems(pairs, source=where, where="")
    if problems:
        raise InvalidInput(problems)
    return ColumnMapping(pairs)


def _name_problems(
    pairs: Mapping[str, str],
    *,
    source: str | None,
    where: str,
) -> list[Problem]:
    problems = []
    for name in pairs:
        if name not in CONTRACT:
            close = difflib.get_close_matches(name, list(CONTRACT), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            problems.append(
                Problem(
                    where or name,
                    "unknown_column",
                    f"{name!r} is not a request-log column; the columns are "
                    f"{', '.join(CONTRACT)}{hint}",
                    source=source,
                )
            )
    return problems


# -- binding a log to the contract ------------------------------------------------------------


@dataclass(frozen=True)
class RequestLog:
    """A request log renamed to the contract, with the types the definition needs.

    `table` has columns ts (timestamp with time zone), customer_id, user_id, status (an
    integer), and region / service / txn_id when present. customer_id and user_id keep the
    log's type (text or integer) so the scan does no conversions; results are text.
    `columns` records which log column each contract column came from (provenance).
    When ts is text, `time_sample` selects the first time without a UTC offset (column
    ``t``; no row when every time has one): run it and pass the values to
    `check_time_sample` before trusting the casts.
    """

    table: ir.Table
    columns: Mapping[str, str]
    time_sample: ir.Table | None = None

    def has(self, name: str) -> bool:
        return name in self.columns


def bind(
    table: ir.Table,
    mapping: ColumnMapping | None = None,
    *,
    need: Mapping[str, str] | None = None,
    source: str | None = None,
) -> RequestLog:
    """Check `table` against the contract through `mapping`; every problem is reported at once.

    `need` adds optional columns that must be present (region/service for a scoped
    incident), each with the reason it is needed. Raises InvalidInput naming each missing
    column, the columns found, and the ``--map`` that would fix it. Only the schema is
    read: nothing runs.
    """
    mapping = mapping or ColumnMapping()
    reasons = need or {}
    bad_names = _name_problems(mapping.columns, source=source, where="--map")
    if bad_names:
        raise InvalidInput(bad_names)
    schema = table.schema()
    found = list(schema.names)
    wanted = list(REQUIRED) + [n for n in OPTIONAL if n in reasons]
    missing = [name for name in wanted if mapping.column_for(name) not in schema]
    if missing:
        raise _missing_columns(missing, mapping, found, schema, source, reasons)

    columns = {
        name: mapping.column_for(name) for name in CONTRACT if mapping.column_for(name) in schema
    }
    problems: list[Problem] = []
    selected: dict[str, ir.Value] = {}
    for name, column in columns.items():
        value, problem = _typed(name, column, table[column], schema[column], source)
        if problem is not None:
            problems.append(problem)
        elif value is not None:
            selected[name] = value
    if problems:
        raise InvalidInput(problems)
    sample = None
    if schema[columns["ts"]].is_string():
        # every row is checked: the first text time without an offset, if there is one
        col = table[columns["ts"]]
        text = col.strip()
        sample = (
            table.filter(col.notnull(), text != "", ~text.re_search(_OFFSET_SQL))
            .select(t=col)
            .limit(1)
        )
    return RequestLog(table.select(**selected), columns, sample)


def check_time_sample(column: str, values: Iterable[Any], *, source: str | None = None) -> None:
    """Refuse text times (of the log's `column`) without a UTC offset, among the values
    `RequestLog.time_sample` reads (the first such time of the whole log)."""
    for value in values:
        stripped = str(value).strip()
        if stripped and not _OFFSET.search(stripped):
            label = f"column {column!r}" + (" (mapped to ts)" if column != "ts" else "")
            raise InvalidInput(
                [
                    Problem(
                        "ts",
                        "wrong_type",
                        f"{label} holds times without a UTC offset (e.g. {stripped!r}); warroom "
                        "needs UTC: write them as ISO-8601 with an offset, such as "
                        "2025-11-08T14:02:00Z",
                        source=source,
                    )
                ]
            )


def _missing_columns(
    missing: list[str],
    mapping: ColumnMapping,
    found: list[str],
    schema: Any,
    source: str | None,
    reasons: Mapping[str, str],
) -> InvalidInput:
    taken = {
        mapping.column_for(n)
        for n in CONTRACT
        if n not in missing and mapping.column_for(n) in schema
    }
    fixes = {name: _suggest(name, found, schema, taken=taken) for name in missing}
    kept = {n: c for n, c in mapping.columns.items() if n not in missing}
    fix = ",".join(
        [f"{n}={c}" for n, c in kept.items()]
        + [f"{name}={fixes[name] or '<column>'}" for name in missing]
    )
    listing = ", ".join(found) or "none"
    problems = []
    for name in missing:
        if name in mapping.columns:
            what = (
                f"--map {name}={mapping.columns[name]}: the request log has no column "
                f"{mapping.columns[name]!r}"
            )
        else:
            what = f"the request log has no column {name!r} ({CONTRACT[name]})"
        if name in reasons:
            what += f", needed because {reasons[name]}"
        problems.append(
            Problem(
                name,
                "missing_column",
                f"{what}; columns found: {listing}; map it with --map {fix}",
                source=source,
            )
        )
    if len(missing) == 1:
        return InvalidInput(problems, summary=problems[0].message)
    names = ", ".join(mapping.column_for(n) if n in mapping.columns else n for n in missing)
    summary = (
        f"the request log has no columns {names}; columns found: {listing}; "
        f"map them with --map {fix}"
    )
    return InvalidInput(problems, summary=summary)


def _suggest(name: str, found: list[str], schema: Any, *, taken: set[str]) -> str | None:
    """The log column most likely meant for `name`: synonyms, then similar names, then
    (for ts) the only timestamp column."""
    free = [c for c in found if c not in taken]
    lowered = {c.lower(): c for c in free}
    for candidate in (name, *_SYNONYMS.get(name, ())):
        if candidate in lowered:
            return lowered[candidate]
    for candidate in (name, *_SYNONYMS.get(name, ())):
        close = difflib.get_close_matches(candidate, list(lowered), n=1, cutoff=0.75)
        if close:
            return lowered[close[0]]
    if name == "ts":
        stamps = [c for c in free if schema[c].is_timestamp()]
        if len(stamps) == 1:
            return stamps[0]
    return None


def _typed(
    name: str, column: str, value: ir.Value, dtype: dt.DataType, source: str | None
) -> tuple[ir.Value | None, Problem | None]:
    import ibis.expr.datatypes as dt

    label = f"column {column!r}" + (f" (mapped to {name})" if column != name else "")

    def refuse(message: str) -> tuple[None, Problem]:
        return None, Problem(name, "wrong_type", f"{label} {message}", source=source)

    if name == "ts":
        if dtype.is_timestamp():
            if getattr(dtype, "timezone", None) is None:
                return refuse(
                    "holds timestamps without a time zone; warroom counts UTC minutes and "
                    "will not guess the zone. Store the column as a timestamp with time zone "
                    "(Parquet: timestamp with tz='UTC'; SQL: TIMESTAMP WITH TIME ZONE), or as "
                    "ISO-8601 text with an offset such as 2025-11-08T14:02:00Z"
                )
            return value, None
        if dtype.is_string():  # every row's offset is checked first (check_time_sample)
            return value.cast(dt.Timestamp(timezone="UTC")), None
        return refuse(f"is {dtype}, not a timestamp with time zone")
    if name == "status":
        if dtype.is_integer():  # compared as it is: a cast would stop filter pushdown
            return value, None
        if dtype.is_floating():
            return value.cast("int64"), None
        return refuse(f"is {dtype}, not an integer HTTP status")
    if name in ("customer_id", "user_id", "txn_id"):
        if dtype.is_string() or dtype.is_integer():
            return value, None
        return refuse(f"is {dtype}; expected text or integers")
    if dtype.is_string():
        return value, None
    return refuse(f"is {dtype}; expected text")
