"""Routing rules: the service, region, severity and incident an alert belongs to.

An ordered list of routes, each matching alerts by label matchers (Alertmanager's syntax:
``service="db"``, ``env!="dev"``, ``instance=~"db-.*"``, ``team!~"web|mobile"``) and by
source and receiver. Routes are tried in order; each matching route sets the settings it
names, the first route to set a setting wins, and matching stops at the first matching
route without ``continue``. What no matching route set comes from the defaults, so an
empty rule set (`DEFAULT_RULES`, no routing file) already does the sensible thing:

- service from label `service`, region from label `region` (none when absent);
- severity from the source's severity: critical→SEV-1, error→SEV-2, warning→SEV-3,
  info→SEV-4, a warroom name (``SEV-2``, ``sev2``) as itself, anything else SEV-3;
- one incident per source group (Alertmanager's `groupKey`) while it is open;
- SEV-1 and SEV-2 declared automatically (others are stored but open nothing);
- alert resolution never resolves the incident: people do.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Literal, TypeVar

from warroom.domain.alerts import (
    ELLIPSIS,
    MAX_KEY_LENGTH,
    MAX_TITLE_LENGTH,
    AlertIn,
    AlertSource,
)
from warroom.domain.errors import InvalidInput
from warroom.domain.scope import Scope
from warroom.domain.severity import DEFAULT_SCALE

# -- matchers ----------------------------------------------------------------------------------


class MatchOp(StrEnum):
    EQUAL = "="
    NOT_EQUAL = "!="
    REGEX = "=~"
    NOT_REGEX = "!~"


LABEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MATCHER = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*", re.DOTALL)


@dataclass(frozen=True)
class Matcher:
    """One label condition. A missing label reads as "" (as in Alertmanager: ``team=""``
    matches alerts without `team`); regular expressions match the whole value."""

    name: str
    op: MatchOp
    value: str
    _regex: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.op in (MatchOp.REGEX, MatchOp.NOT_REGEX):
            try:
                object.__setattr__(self, "_regex", re.compile(self.value))
            except re.error as exc:
                raise ValueError(f"{self.value!r} is not a regular expression: {exc}") from None

    def matches(self, labels: Mapping[str, str]) -> bool:
        value = labels.get(self.name, "")
        if self._regex is not None:
            found = self._regex.fullmatch(value) is not None
            return found if self.op is MatchOp.REGEX else not found
        return (value == self.value) == (self.op is MatchOp.EQUAL)

    def __str__(self) -> str:
        return f"{self.name}{self.op.value}{json.dumps(self.value, ensure_ascii=False)}"


def parse_matcher(text: str) -> Matcher:
    """``name="value"`` (or unquoted: ``name=value``) with =, !=, =~ or !~; ValueError
    with a message for people when it is not one."""
    match = _MATCHER.fullmatch(text)
    if match is None:
        raise ValueError(f'{text!r} is not a matcher; expected label="value" (or !=, =~, !~)')
    name, op, raw = match.groups()
    if raw.startswith('"'):
        try:
            value = json.loads(raw)
        except ValueError:
            value = None
        if not isinstance(value, str):
            raise ValueError(
                f"{text!r}: the value {raw} is not one quoted text; write "
                'one matcher per entry and escape quotes inside as \\"'
            )
    elif '"' in raw or "," in raw:
        raise ValueError(f"{text!r}: quote the value, and write one matcher per entry")
    else:
        value = raw
    return Matcher(name=name, op=MatchOp(op), value=value)


# -- settings ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LabelChoice:
    """A value read from the first of `labels` present and not empty, else `default`."""

    labels: tuple[str, ...] = ()
    default: str | None = None

    def pick(self, labels: Mapping[str, str]) -> str | None:
        for name in self.labels:
            if labels.get(name):
                return labels[name]
        return self.default


DEFAULT_SEVERITY_MAP: Mapping[str, str] = MappingProxyType(
    {
        "critical": "SEV-1",
        "error": "SEV-2",
        "warning": "SEV-3",
        "info": "SEV-4",
    }
)


@dataclass(frozen=True)
class SeverityRule:
    """How an alert's severity becomes SEV-n.

    `fixed` wins when set. Otherwise the text is the label `label`, or the source's own
    severity when `label` is None; it is looked up in `map` (case-insensitively), then
    read as a warroom severity name (SEV-2, sev2, 2), and `default` covers the rest.
    """

    map: Mapping[str, str] = field(default_factory=lambda: DEFAULT_SEVERITY_MAP)
    default: str = "SEV-3"
    label: str | None = None
    fixed: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "map",
            MappingProxyType({key.strip().lower(): value for key, value in self.map.items()}),
        )

    def __hash__(self) -> int:
        return hash((tuple(sorted(self.map.items())), self.default, self.label, self.fixed))

    def severity_of(self, alert: AlertIn) -> str:
        if self.fixed is not None:
            return self.fixed
        text = alert.labels.get(self.label) if self.label is not None else alert.severity
        if not text:
            return self.default
        mapped = self.map.get(text.strip().lower())
        if mapped is not None:
            return mapped
        try:
            return DEFAULT_SCALE.parse(text)
        except InvalidInput:
            return self.default


GroupBy = Literal["group_key", "alert"] | tuple[str, ...]
"""``group_key``: the source's group (Alertmanager groupKey, PagerDuty dedup_key);
``alert``: every alert its own incident; a tuple of label names: alerts with equal values
of those labels (through the same route) share an incident."""

DeclareRule = bool | frozenset[str]
"""True: always; False: never; a set of severities: when the alert's severity is in it."""


_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
PLACEHOLDERS = ("name", "summary", "service", "region", "severity", "source")


@dataclass(frozen=True)
class TitleTemplate:
    """An incident title with placeholders: {name}, {summary}, {service}, {region},
    {severity} (SEV-n), {source}, {labels.NAME}, {annotations.NAME}; ``{{`` and ``}}``
    are braces. Missing values are empty; white space is folded."""

    text: str

    def __post_init__(self) -> None:
        for match in _PLACEHOLDER.finditer(self.text):
            token = match.group(0)
            if token in ("{{", "}}"):
                continue
            if match.group(1) is None:
                raise ValueError(f"a lone {token!r}; write {token * 2!r} for a brace")
            name = match.group(1).strip()
            prefix, _, rest = name.partition(".")
            if name in PLACEHOLDERS or (prefix in ("labels", "annotations") and rest):
                continue
            raise ValueError(
                f"unknown placeholder {{{name}}}; expected one of "
                f"{', '.join('{' + p + '}' for p in PLACEHOLDERS)}, "
                "{labels.NAME} or {annotations.NAME}"
            )

    def render(self, alert: AlertIn, values: Mapping[str, str | None]) -> str:
        def substitute(match: re.Match[str]) -> str:
            token = match.group(0)
            if token in ("{{", "}}"):
                return token[0]
            name = (match.group(1) or "").strip()
            prefix, _, rest = name.partition(".")
            if prefix == "labels" and rest:
                return alert.labels.get(rest, "")
            if prefix == "annotations" and rest:
                return alert.annotations.get(rest, "")
            return values.get(name) or ""

        return _PLACEHOLDER.sub(substitute, self.text)


@dataclass(frozen=True)
class RouteSettings:
    """What a route decides; None leaves it to the next matching route or the defaults."""

    service: LabelChoice | None = None
    region: LabelChoice | None = None
    severity: SeverityRule | None = None
    group_by: GroupBy | None = None
    declare: DeclareRule | None = None
    resolve_incident: bool | None = None  # alert resolution resolves the incident
    title: TitleTemplate | None = None


@dataclass(frozen=True)
class Route:
    """Matches an alert when every matcher holds, its source is among `sources` and its
    receiver among `receivers` (None: any)."""

    name: str
    settings: RouteSettings = field(default_factory=RouteSettings)
    matchers: tuple[Matcher, ...] = ()
    sources: frozenset[AlertSource] | None = None
    receivers: frozenset[str] | None = None
    continue_matching: bool = False  # `continue` in the file

    def matches(self, alert: AlertIn) -> bool:
        if self.sources is not None and alert.source not in self.sources:
            return False
        if self.receivers is not None and alert.receiver not in self.receivers:
            return False
        return all(matcher.matches(alert.labels) for matcher in self.matchers)


@dataclass(frozen=True)
class Defaults:
    """The settings of alerts no matching route decided."""

    service: LabelChoice = LabelChoice(labels=("service",))
    region: LabelChoice = LabelChoice(labels=("region",))
    severity: SeverityRule = SeverityRule()
    group_by: GroupBy = "group_key"
    declare: DeclareRule = frozenset({"SEV-1", "SEV-2"})
    resolve_incident: bool = False
    title: TitleTemplate | None = None  # None: "{name} - {summary}", or the name alone


@dataclass(frozen=True)
class RoutingRules:
    defaults: Defaults = field(default_factory=Defaults)
    routes: tuple[Route, ...] = ()


DEFAULT_RULES = RoutingRules()
T = TypeVar("T")
DEFAULTS_NAME = "defaults"  # the "route" that decided what no route set


@dataclass(frozen=True)
class RouteDecision:
    """What the rules decided for one alert.

    `routes` names the matching routes in order (empty: the defaults decided everything).
    `group_key` is the incident grouping: a firing alert joins the open incident of the
    same group key, or opens one when `declare` is true. Keys longer than MAX_KEY_LENGTH
    are replaced by their SHA-256 ("sha256:..."), so any key fits a column.
    """

    routes: tuple[str, ...]
    service: str | None
    region: str | None
    severity: str
    group_key: str
    declare: bool
    resolve_incident: bool
    title: str

    @property
    def scope(self) -> Scope:
        """The scope of an incident opened for this alert (unnamed means all)."""
        return Scope(
            regions=(self.region,) if self.region else None,
            services=(self.service,) if self.service else None,
        )


def route(alert: AlertIn, rules: RoutingRules = DEFAULT_RULES) -> RouteDecision:
    """Decide service, region, severity, grouping, declaration and title for `alert`."""
    matched: list[Route] = []
    for candidate in rules.routes:
        if candidate.matches(alert):
            matched.append(candidate)
            if not candidate.continue_matching:
                break

    defaults = rules.defaults
    service = _setting(matched, lambda s: s.service, defaults.service).pick(alert.labels)
    region = _setting(matched, lambda s: s.region, defaults.region).pick(alert.labels)
    severity = _setting(matched, lambda s: s.severity, defaults.severity).severity_of(alert)
    group_by = _setting(matched, lambda s: s.group_by, defaults.group_by)
    group_route = next(
        (each.name for each in matched if each.settings.group_by is not None), DEFAULTS_NAME
    )
    declare = _setting(matched, lambda s: s.declare, defaults.declare)
    resolve = _setting(matched, lambda s: s.resolve_incident, defaults.resolve_incident)
    title = _setting(matched, lambda s: s.title, defaults.title)
    values = {
        "name": alert.name,
        "summary": alert.summary,
        "service": service,
        "region": region,
        "severity": severity,
        "source": alert.source.value,
    }
    return RouteDecision(
        routes=tuple(each.name for each in matched),
        service=service,
        region=region,
        severity=severity,
        group_key=_group_key(alert, group_by, group_route),
        declare=declare if isinstance(declare, bool) else severity in declare,
        resolve_incident=resolve,
        title=_title(alert, title, values),
    )


def _setting(matched: Sequence[Route], pick: Callable[[RouteSettings], T | None], default: T) -> T:
    """The setting of the first matching route that sets it, else the default."""
    for each in matched:
        value = pick(each.settings)
        if value is not None:
            return value
    return default


def _group_key(alert: AlertIn, group_by: GroupBy, route_name: str) -> str:
    if group_by == "group_key":
        key = f"{alert.source.value}:{alert.group_key}"
    elif group_by == "alert":
        key = f"{alert.source.value}:alert:{alert.fingerprint}"
    else:
        # Scoped by route, as Alertmanager scopes its groups; any source may join.
        values = [[name, alert.labels.get(name, "")] for name in sorted(group_by)]
        key = f"labels:{route_name}:" + json.dumps(
            values, ensure_ascii=False, separators=(",", ":")
        )
    if len(key) > MAX_KEY_LENGTH:
        key = "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    return key


def _title(alert: AlertIn, template: TitleTemplate | None, values: Mapping[str, str | None]) -> str:
    text = template.render(alert, values) if template is not None else ""
    text = " ".join(text.split())
    if not text:  # no template, or one that came out empty for this alert
        text = f"{alert.name} - {alert.summary}" if alert.summary else alert.name
        text = " ".join(text.split())
    if len(text) > MAX_TITLE_LENGTH:
        text = text[: MAX_TITLE_LENGTH - 1].rstrip() + ELLIPSIS
    return text
