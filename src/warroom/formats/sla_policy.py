"""The SLA policy file (YAML or JSON): strict reading into `SlaPolicy`, and writing it back.

Reading checks the shape (unknown keys, wrong types) here and the rules (brackets,
ranges, currency) with the domain's `policy_problems`; every problem carries the file,
line and field, and all of them are reported together.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationError

from warroom.domain.downtime import (
    DEFAULT_ERROR_RATE_THRESHOLD,
    DEFAULT_MIN_FAILED_REQUESTS,
    DowntimeRule,
)
from warroom.domain.errors import InvalidInput, Problem
from warroom.domain.sla import (
    Bracket,
    MaintenanceWindow,
    SlaPolicy,
    Tier,
    policy_problems,
)
from warroom.domain.window import iso_z
from warroom.formats.documents import Document, load_text, problems_from, read_text
from warroom.formats.incident_file import UtcTime

MAX_POLICY_BYTES = 1024 * 1024  # a policy is a page of YAML; anything bigger is a mistake
MAX_TIERS = 100
MAX_BRACKETS = 50
MAX_WINDOWS = 10_000

WholeNumber = Annotated[int, Strict()]  # `true` is not 1, `1.5` is not a count
Number = Decimal  # pydantic reads 99.95 and "99.95" alike, refuses true and nan
TierName = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class DowntimeFile(_Strict):
    error_rate_threshold: Number = DEFAULT_ERROR_RATE_THRESHOLD
    min_failed_requests: WholeNumber = DEFAULT_MIN_FAILED_REQUESTS


class WindowFile(_Strict):
    start: UtcTime
    end: UtcTime
    announced_at: UtcTime | None = None
    description: Annotated[str, Field(max_length=2000)] | None = None


class ExclusionsFile(_Strict):
    notice_hours: WholeNumber | None = None
    maintenance_windows: Annotated[list[WindowFile], Field(max_length=MAX_WINDOWS)] = Field(
        default_factory=list
    )


class ClaimsFile(_Strict):
    deadline_days: WholeNumber | None = None
    minimum_credit: Number = Decimal(0)


class BracketFile(_Strict):
    below: Number
    percent: Number


class TierFile(_Strict):
    uptime_target: Number
    cap_percent: Number | None = None
    credits: Annotated[list[BracketFile], Field(max_length=MAX_BRACKETS)]


class PolicyFile(_Strict):
    currency: Annotated[str, Field(min_length=1, max_length=10)] | None = None
    downtime: DowntimeFile | None = None
    exclusions: ExclusionsFile | None = None
    claims: ClaimsFile | None = None
    tiers: Annotated[dict[TierName, TierFile], Field(max_length=MAX_TIERS)]


def _fields(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def _allowed(data: Any) -> dict[tuple[str | int, ...], list[str]]:
    """The known keys at each place of the file, for "unknown field" messages."""
    allowed: dict[tuple[str | int, ...], list[str]] = {
        (): _fields(PolicyFile),
        ("downtime",): _fields(DowntimeFile),
        ("exclusions",): _fields(ExclusionsFile),
        ("exclusions", "maintenance_windows"): _fields(WindowFile),
        ("claims",): _fields(ClaimsFile),
    }
    tiers = data.get("tiers") if isinstance(data, dict) else None
    for name in tiers if isinstance(tiers, dict) else ():
        allowed[("tiers", name)] = _fields(TierFile)
        allowed[("tiers", name, "credits")] = _fields(BracketFile)
    return allowed


# -- reading ----------------------------------------------------------------------------------


def read_policy_file(path: Path) -> SlaPolicy:
    """Read and validate an SLA policy file; InvalidInput lists every problem found."""
    text = read_text(path, max_bytes=MAX_POLICY_BYTES)
    return read_policy_text(text, source=str(path))


def read_policy_text(text: str, *, source: str = "<input>") -> SlaPolicy:
    size = len(text.encode("utf-8"))
    if size > MAX_POLICY_BYTES:
        raise InvalidInput(
            [
                Problem(
                    field="",
                    code="too_large",
                    source=source,
                    message=f"the policy is {size:,} bytes; the limit is {MAX_POLICY_BYTES:,}",
                )
            ]
        )
    doc = load_text(text, source=source)
    doc.data = _exact_numbers(yaml.compose(text, Loader=yaml.SafeLoader), doc.data)
    return parse_policy_document(doc)


def _exact_numbers(node: yaml.Node | None, value: Any) -> Any:
    """Swap the floats PyYAML made for Decimals of the digits as written (99.95 stays exact).

    `load_text` has already refused aliases and duplicate keys, so node and value line up.
    """
    if isinstance(node, yaml.MappingNode) and isinstance(value, dict):
        return {
            key: _exact_numbers(value_node, value[key])
            for key_node, value_node in node.value
            if (key := str(key_node.value)) in value
        }
    if isinstance(node, yaml.SequenceNode) and isinstance(value, list):
        return [
            _exact_numbers(item, element) for item, element in zip(node.value, value, strict=True)
        ]
    if isinstance(node, yaml.ScalarNode) and isinstance(value, float):
        try:
            return Decimal(node.value.replace("_", ""))
        except InvalidOperation:
            return value  # .inf and .nan: the schema refuses them with a clear message
    return value


def parse_policy_document(doc: Document) -> SlaPolicy:
    """Validate an already loaded document (so JSON bodies of the API share the rules)."""
    try:
        model = PolicyFile.model_validate(doc.data)
    except ValidationError as exc:
        raise InvalidInput(problems_from(exc, doc, allowed=_allowed(doc.data))) from None
    problems: list[Problem] = []
    windows: list[MaintenanceWindow] = []
    exclusions = model.exclusions or ExclusionsFile()
    for i, window in enumerate(exclusions.maintenance_windows):
        if window.end <= window.start:
            problems.append(
                doc.problem(
                    ("exclusions", "maintenance_windows", i, "end"),
                    "out_of_range",
                    f"the window ends ({iso_z(window.end)}) before it starts "
                    f"({iso_z(window.start)})",
                )
            )
            continue
        windows.append(
            MaintenanceWindow(
                start=window.start,
                end=window.end,
                announced_at=window.announced_at,
                description=window.description,
            )
        )
    downtime = model.downtime or DowntimeFile()
    try:  # the domain's checks of the rule, reported with the others
        rule = DowntimeRule(
            error_rate_threshold=downtime.error_rate_threshold,
            min_failed_requests=downtime.min_failed_requests,
        )
    except InvalidInput as exc:
        problems += [doc.problem(_parse_path(p.field), p.code, p.message) for p in exc.problems]
        rule = DowntimeRule()  # a stand-in: the problems refuse the policy below
    claims = model.claims or ClaimsFile()
    policy = SlaPolicy(
        tiers=tuple(
            Tier(
                name=name,
                uptime_target=tier.uptime_target,
                brackets=tuple(Bracket(below=b.below, percent=b.percent) for b in tier.credits),
                cap_percent=tier.cap_percent,
            )
            for name, tier in model.tiers.items()
        ),
        currency=model.currency,
        downtime=rule,
        notice_hours=exclusions.notice_hours,
        maintenance_windows=tuple(windows),
        deadline_days=claims.deadline_days,
        minimum_credit=claims.minimum_credit,
    )
    for problem in policy_problems(policy):
        path = _parse_path(problem.field)
        problems.append(doc.problem(path, problem.code, problem.message))
    if problems:
        raise InvalidInput(problems)
    return policy


_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _parse_path(text: str) -> tuple[str | int, ...]:
    """``tiers.gold.credits[1].below`` → ("tiers", "gold", "credits", 1, "below")."""
    return tuple(int(index) if index else name for name, index in _PATH_PART.findall(text))


# -- writing ----------------------------------------------------------------------------------


def policy_to_dict(policy: SlaPolicy) -> dict[str, Any]:
    """The policy in the file's layout, JSON-ready: numbers as decimal strings, times in Z."""
    data: dict[str, Any] = _jsonable(_layout(policy))
    return data


def dump_policy(policy: SlaPolicy) -> str:
    """The policy as YAML that reads back to an equal policy (numbers written plainly)."""
    return yaml.dump(_layout(policy), Dumper=_Dumper, sort_keys=False, allow_unicode=True)


def _layout(policy: SlaPolicy) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if policy.currency is not None:
        out["currency"] = policy.currency
    out["downtime"] = {
        "error_rate_threshold": policy.downtime.error_rate_threshold,
        "min_failed_requests": policy.downtime.min_failed_requests,
    }
    exclusions: dict[str, Any] = {}
    if policy.notice_hours is not None:
        exclusions["notice_hours"] = policy.notice_hours
    exclusions["maintenance_windows"] = [_window(window) for window in policy.maintenance_windows]
    out["exclusions"] = exclusions
    claims: dict[str, Any] = {}
    if policy.deadline_days is not None:
        claims["deadline_days"] = policy.deadline_days
    claims["minimum_credit"] = policy.minimum_credit
    out["claims"] = claims
    tiers: dict[str, Any] = {}
    for tier in policy.tiers:
        entry: dict[str, Any] = {"uptime_target": tier.uptime_target}
        if tier.cap_percent is not None:
            entry["cap_percent"] = tier.cap_percent
        entry["credits"] = [{"below": b.below, "percent": b.percent} for b in tier.brackets]
        tiers[tier.name] = entry
    out["tiers"] = tiers
    return out


def _window(window: MaintenanceWindow) -> dict[str, Any]:
    out: dict[str, Any] = {"start": window.start, "end": window.end}
    if window.announced_at is not None:
        out["announced_at"] = window.announced_at
    if window.description is not None:
        out["description"] = window.description
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _plain(value)
    if isinstance(value, datetime):
        return iso_z(value)
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    return value


def _plain(value: Decimal) -> str:
    """99.95 → "99.95", 1E+2 → "100": never exponent notation."""
    return format(value, "f")


class _Dumper(yaml.SafeDumper):
    """Writes Decimals as plain YAML numbers and times as ISO-8601 UTC with Z."""

    def ignore_aliases(self, data: Any) -> bool:
        return True  # the reader refuses aliases, so the writer never makes any


def _decimal_presenter(dumper: yaml.SafeDumper, value: Decimal) -> yaml.ScalarNode:
    text = _plain(value)
    tag = "tag:yaml.org,2002:float" if "." in text else "tag:yaml.org,2002:int"
    return dumper.represent_scalar(tag, text)


def _time_presenter(dumper: yaml.SafeDumper, value: datetime) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:timestamp", iso_z(value))


_Dumper.add_representer(Decimal, _decimal_presenter)
_Dumper.add_representer(datetime, _time_presenter)
