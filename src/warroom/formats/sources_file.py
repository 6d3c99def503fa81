"""The sources file (WARROOM_SOURCES_FILE): named request logs, customer registries and SLA
policies that API requests may refer to by name, so a request never names a server path.

```yaml
request_logs:
  demo:
    location: requests.parquet        # anything `warroom impact --requests` takes
    map: {customer_id: tenant}        # optional column mapping (contract -> log column)
    backend: duckdb                   # optional: duckdb (default) or pyspark
customers:
  default: customers.csv              # a customer registry: anything `sla assess --customers`
  crm: 'postgresql://crm/billing#customers'   # takes (CSV, Parquet, a DuckDB or PostgreSQL table)
policies:
  default: sla-policy.yaml            # an SLA policy
```

Relative file paths are read from the sources file's own folder. Reading is strict
(`formats.documents`): unknown keys, wrong types and bad names are reported with line
numbers, all at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from warroom.analytics.mapping import CONTRACT, ColumnMapping
from warroom.domain.errors import InvalidInput, Problem
from warroom.formats.documents import Document, load_text, problems_from, read_text

T = TypeVar("T")

MAX_SOURCES_BYTES = 1024 * 1024
MAX_ENTRIES = 1000
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"

Name = Annotated[str, Field(pattern=NAME_PATTERN)]
Text = Annotated[str, Field(min_length=1, max_length=4096)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LogFile(_Strict):
    location: Text
    map: dict[str, Annotated[str, Field(min_length=1, max_length=200)]] | None = None
    backend: Literal["duckdb", "pyspark"] = "duckdb"


class SourcesFile(_Strict):
    request_logs: Annotated[dict[Name, LogFile], Field(max_length=MAX_ENTRIES)] = Field(
        default_factory=dict
    )
    customers: Annotated[dict[Name, Text], Field(max_length=MAX_ENTRIES)] = Field(
        default_factory=dict
    )
    policies: Annotated[dict[Name, Text], Field(max_length=MAX_ENTRIES)] = Field(
        default_factory=dict
    )


@dataclass(frozen=True)
class RequestLogSource:
    name: str
    location: str  # a path made absolute, or a database URL, as `analytics.sources` reads
    mapping: ColumnMapping
    backend: str


@dataclass(frozen=True)
class Sources:
    """What the server may read, by name."""

    source: str  # the sources file itself, for messages
    request_logs: dict[str, RequestLogSource] = field(default_factory=dict)
    customers: dict[str, str] = field(default_factory=dict)  # locations, as logs' are
    policies: dict[str, Path] = field(default_factory=dict)

    def request_log(self, name: str, where: str = "source") -> RequestLogSource:
        return _pick(self.request_logs, name, where, "request log", self.source)

    def customers_location(self, name: str, where: str = "customers") -> str:
        """Where the registry named `name` is kept (`formats.customer_registry.open_registry`)."""
        return _pick(self.customers, name, where, "customer registry", self.source)

    def policy_file(self, name: str, where: str = "policy") -> Path:
        return _pick(self.policies, name, where, "SLA policy", self.source)


NO_SOURCES = Sources(source="(no WARROOM_SOURCES_FILE)")


def _pick(found: dict[str, T], name: str, where: str, what: str, source: str) -> T:
    if name in found:
        return found[name]
    known = ", ".join(sorted(found)) or "none are configured"
    raise InvalidInput(
        [Problem(where, "unknown_name", f"no {what} named {name!r} in {source}; known: {known}")]
    )


def read_sources_file(path: Path) -> Sources:
    text = read_text(path, max_bytes=MAX_SOURCES_BYTES)
    return parse_sources(load_text(text, source=str(path)), base=path.parent)


def parse_sources(doc: Document, *, base: Path) -> Sources:
    if not isinstance(doc.data, dict):
        raise InvalidInput(
            [
                doc.problem(
                    (), "bad_shape", "expected a mapping with request_logs, customers and policies"
                )
            ]
        )
    try:
        model = SourcesFile.model_validate(doc.data)
    except ValidationError as exc:
        raise InvalidInput(
            problems_from(
                exc,
                doc,
                allowed={
                    (): list(SourcesFile.model_fields),
                    **{
                        ("request_logs", n): list(LogFile.model_fields)
                        for n in (doc.data.get("request_logs") or {})
                        if isinstance(doc.data.get("request_logs"), dict)
                    },
                },
            )
        ) from None
    problems: list[Problem] = []
    logs: dict[str, RequestLogSource] = {}
    for name, log in model.request_logs.items():
        for column in log.map or {}:
            if column not in CONTRACT:
                problems.append(
                    doc.problem(
                        ("request_logs", name, "map", column),
                        "unknown_column",
                        f"{column!r} is not a request-log column; the columns are "
                        f"{', '.join(CONTRACT)}",
                    )
                )
        logs[name] = RequestLogSource(
            name=name,
            location=_located(log.location, base),
            mapping=ColumnMapping(log.map or {}),
            backend=log.backend,
        )
    if problems:
        raise InvalidInput(problems)
    return Sources(
        source=doc.source,
        request_logs=logs,
        customers={n: _located(p, base) for n, p in model.customers.items()},
        policies={n: _path(p, base) for n, p in model.policies.items()},
    )


def _path(text: str, base: Path) -> Path:
    path = Path(text).expanduser()
    return path if path.is_absolute() else base / path


def _located(text: str, base: Path) -> str:
    """A log's (or registry's) location with a relative file path made absolute; URLs and
    forced formats (``parquet:PATH``) keep their form."""
    if "://" in text:
        return text
    prefix, sep, rest = text.partition(":")
    if sep and prefix in ("parquet", "csv"):
        return f"{prefix}:{_path(rest, base)}"
    return str(_path(text, base))
