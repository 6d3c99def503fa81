"""The routing rules file (WARROOM_ROUTING_FILE, YAML or JSON): strict reading into
`RoutingRules`, every problem reported with its file, line and field.

No file means the domain's `DEFAULT_RULES`. The format (see examples/routing.yaml)::

    defaults:                       # every key optional; these are the built-in values
      service: {label: service}     # a label (or a list: the first present wins), a
                                    # `default` for alerts without it, or a fixed name:
                                    # `service: checkout`
      region: {label: region}
      severity:                     # a fixed SEV-n (`severity: SEV-1`), or a mapping of
        label: null                 #   the source's severity (null), or of this label,
        map: {critical: SEV-1, error: SEV-2, warning: SEV-3, info: SEV-4}
        default: SEV-3              #   to SEV-n; map entries add to the built-in ones
      declare: [SEV-1, SEV-2]       # true, false, or the severities declared automatically
      group_by: group_key           # group_key (the source's group) | alert | [label, ...]
      resolve_incident: false       # whether alert resolution resolves the incident
      title: "{name} - {summary}"   # {name} {summary} {service} {region} {severity}
                                    # {source} {labels.X} {annotations.X}
    routes:                         # tried in order
      - name: database              # names matter: label grouping keys contain them
        matchers: ['service=~"db|postgres"', 'env="prod"']   # Alertmanager syntax, all hold
        source: alertmanager        # optional: alertmanager | pagerduty, or a list
        receiver: team.ops          # optional: Alertmanager receiver name(s), unescaped
        severity: SEV-1             # any setting of `defaults`
        continue: false             # true: later matching routes may set what this one
                                    # leaves unset; false (default): matching stops here

A route's `service`, `region` and `severity` mappings fill what they leave out from
`defaults`; for any other setting the first matching route that names it wins.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    InstanceOf,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from warroom.domain.alerts import AlertSource
from warroom.domain.errors import InvalidInput, Problem
from warroom.domain.routing import (
    DEFAULT_RULES,
    DEFAULTS_NAME,
    DeclareRule,
    Defaults,
    GroupBy,
    LabelChoice,
    Matcher,
    Route,
    RouteSettings,
    RoutingRules,
    SeverityRule,
    TitleTemplate,
    parse_matcher,
)
from warroom.domain.severity import DEFAULT_SCALE
from warroom.formats.documents import Document, load_text, problems_from, read_text

MAX_ROUTING_BYTES = 1024 * 1024
MAX_ROUTES = 1_000
MAX_MATCHERS = 50
MAX_LABEL_NAMES = 20


def _severity(value: str) -> str:
    try:
        return DEFAULT_SCALE.parse(value)
    except InvalidInput as exc:
        raise PydanticCustomError("bad_severity", exc.problems[0].message) from None


def _matcher(value: Any) -> Matcher:
    if not isinstance(value, str):
        raise PydanticCustomError("bad_matcher", 'expected a text such as service="db"')
    try:
        return parse_matcher(value)
    except ValueError as exc:
        raise PydanticCustomError("bad_matcher", str(exc)) from None


def _title(value: Any) -> TitleTemplate:
    if not isinstance(value, str):
        raise PydanticCustomError("bad_template", "expected a text such as {name} - {summary}")
    try:
        return TitleTemplate(value)
    except ValueError as exc:
        raise PydanticCustomError("bad_template", str(exc)) from None


def _listed(value: Any) -> Any:
    """A single name is a list of one."""
    return [value] if isinstance(value, str) else value


def _choice(value: Any) -> Any:
    if isinstance(value, str):
        return {"label": [], "default": value}  # a fixed name
    if value is not None and not isinstance(value, dict):
        raise PydanticCustomError("bad_choice", "expected a name, or {label: ..., default: ...}")
    return value


def _severity_spec(value: Any) -> Any:
    if isinstance(value, str):
        return {"fixed": _severity(value)}  # checked here, so the error names `severity`
    if value is not None and not isinstance(value, dict):
        raise PydanticCustomError(
            "bad_severity", "expected a severity such as SEV-2, or {label, map, default}"
        )
    return value


def _declare(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise PydanticCustomError("bad_declare", "expected true, false or a list of severities")
    return frozenset(
        _severity(item) if isinstance(item, str) else _not_text(item) for item in value
    )


def _not_text(item: Any) -> str:
    raise PydanticCustomError(
        "bad_severity", "expected a severity such as SEV-2, found {item}", {"item": repr(item)}
    )


def _group_by(value: Any) -> Any:
    if value in ("group_key", "alert") or value is None:
        return value
    if isinstance(value, str):  # one label name
        value = [value]
    if (
        not isinstance(value, list)
        or not value
        or len(value) > MAX_LABEL_NAMES
        or not all(isinstance(item, str) and item.strip() for item in value)
    ):
        raise PydanticCustomError(
            "bad_group_by",
            "expected group_key, alert, or a list of 1 to {limit} label names",
            {"limit": MAX_LABEL_NAMES},
        )
    return tuple(item.strip() for item in value)


LabelName = Annotated[str, Field(min_length=1, max_length=200)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Severity = Annotated[str, AfterValidator(_severity)]
LabelNames = Annotated[list[LabelName], BeforeValidator(_listed), Field(max_length=MAX_LABEL_NAMES)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ChoiceFile(_Strict):
    label: LabelNames | None = None
    default: Name | None = None


class SeverityFile(_Strict):
    fixed: Severity | None = None  # from the short form `severity: SEV-1`
    label: LabelName | None = None
    map: Annotated[dict[str, Severity], Field(max_length=1000)] = Field(default_factory=dict)
    default: Severity | None = None


class SettingsFile(_Strict):
    service: Annotated[ChoiceFile | None, BeforeValidator(_choice)] = None
    region: Annotated[ChoiceFile | None, BeforeValidator(_choice)] = None
    severity: Annotated[SeverityFile | None, BeforeValidator(_severity_spec)] = None
    declare: Annotated[Any, AfterValidator(_declare)] = None
    group_by: Annotated[Any, AfterValidator(_group_by)] = None
    resolve_incident: bool | None = None
    title: Annotated[InstanceOf[TitleTemplate], BeforeValidator(_title)] | None = None


class RouteFile(SettingsFile):
    name: Name | None = None
    matchers: Annotated[
        list[Annotated[InstanceOf[Matcher], BeforeValidator(_matcher)]],
        Field(max_length=MAX_MATCHERS),
    ] = Field(default_factory=list)
    source: Annotated[
        list[Literal["alertmanager", "pagerduty"]] | None, BeforeValidator(_listed)
    ] = None
    receiver: Annotated[list[Name] | None, BeforeValidator(_listed)] = None
    continue_: bool = Field(default=False, alias="continue")


class RoutingFile(_Strict):
    defaults: SettingsFile | None = None
    routes: Annotated[list[RouteFile], Field(max_length=MAX_ROUTES)] = Field(default_factory=list)


def _fields(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items() if name != "fixed"]


_ALLOWED: dict[tuple[str | int, ...], list[str]] = {
    (): _fields(RoutingFile),
    ("defaults",): _fields(SettingsFile),
    ("routes",): _fields(RouteFile),
    **{
        (*where, key): _fields(ChoiceFile)
        for where in (("defaults",), ("routes",))
        for key in ("service", "region")
    },
    ("defaults", "severity"): _fields(SeverityFile),
    ("routes", "severity"): _fields(SeverityFile),
}


# -- reading ----------------------------------------------------------------------------------


def load_routing(path: Path | None) -> RoutingRules:
    """The rules of the routing file at `path`, or the defaults when there is none."""
    return DEFAULT_RULES if path is None else read_routing_file(path)


def read_routing_file(path: Path) -> RoutingRules:
    """Read and validate a routing file; InvalidInput lists every problem found."""
    return read_routing_text(
        read_text(path, max_bytes=MAX_ROUTING_BYTES),
        source=str(path),
        json_only=path.suffix.lower() == ".json",
    )


def read_routing_text(
    text: str, *, source: str = "<input>", json_only: bool = False
) -> RoutingRules:
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_ROUTING_BYTES:
        raise InvalidInput(
            [
                Problem(
                    field="",
                    code="too_large",
                    source=source,
                    message=(
                        f"the routing file is {size:,} bytes; the limit is {MAX_ROUTING_BYTES:,}"
                    ),
                )
            ]
        )
    return parse_routing_document(load_text(text, source=source, json_only=json_only))


def parse_routing_document(doc: Document) -> RoutingRules:
    """Validate an already loaded document (the API may take the same rules as JSON)."""
    if not isinstance(doc.data, dict):
        raise InvalidInput(
            [doc.problem((), "malformed", "expected a mapping with `defaults` and `routes`")]
        )
    try:
        model = RoutingFile.model_validate(doc.data)
    except ValidationError as exc:
        found = problems_from(exc, doc, allowed=_ALLOWED)
        raise InvalidInput(sorted(found, key=lambda p: p.line or 0)) from None  # file order
    defaults = _defaults(model.defaults or SettingsFile())
    routes: list[Route] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(model.routes):
        name = entry.name or f"routes[{index}]"
        if name == DEFAULTS_NAME:
            problems.append(
                doc.problem(
                    ("routes", index, "name"),
                    "reserved_name",
                    (f"{DEFAULTS_NAME!r} names the defaults' own grouping; choose another name"),
                )
            )
        elif name in seen:
            problems.append(
                doc.problem(
                    ("routes", index, "name"),
                    "duplicate_name",
                    (
                        f"the route name {name!r} is taken by routes[{seen[name]}]; names must be "
                        "unique (they are part of grouping keys)"
                    ),
                )
            )
        seen.setdefault(name, index)
        routes.append(
            Route(
                name=name,
                settings=_settings(entry, defaults),
                matchers=tuple(entry.matchers),
                sources=frozenset(AlertSource(s) for s in entry.source) if entry.source else None,
                receivers=frozenset(entry.receiver) if entry.receiver else None,
                continue_matching=entry.continue_,
            )
        )
    if problems:
        raise InvalidInput(problems)
    return RoutingRules(defaults=defaults, routes=tuple(routes))


def _defaults(entry: SettingsFile) -> Defaults:
    built_in = Defaults()
    declare: DeclareRule = entry.declare if entry.declare is not None else built_in.declare
    group_by: GroupBy = entry.group_by if entry.group_by is not None else built_in.group_by
    return Defaults(
        service=_label_choice(entry.service, built_in.service),
        region=_label_choice(entry.region, built_in.region),
        severity=_severity_rule(entry.severity, built_in.severity),
        declare=declare,
        group_by=group_by,
        resolve_incident=(
            entry.resolve_incident
            if entry.resolve_incident is not None
            else built_in.resolve_incident
        ),
        title=entry.title or built_in.title,
    )


def _settings(entry: RouteFile, defaults: Defaults) -> RouteSettings:
    return RouteSettings(
        service=_label_choice(entry.service, defaults.service) if entry.service else None,
        region=_label_choice(entry.region, defaults.region) if entry.region else None,
        severity=_severity_rule(entry.severity, defaults.severity) if entry.severity else None,
        group_by=entry.group_by,
        declare=entry.declare,
        resolve_incident=entry.resolve_incident,
        title=entry.title,
    )


def _label_choice(entry: ChoiceFile | None, base: LabelChoice) -> LabelChoice:
    if entry is None:
        return base
    labels = tuple(entry.label) if entry.label is not None else base.labels
    default = entry.default if "default" in entry.model_fields_set else base.default
    return LabelChoice(labels=labels, default=default)


def _severity_rule(entry: SeverityFile | None, base: SeverityRule) -> SeverityRule:
    if entry is None:
        return base
    if entry.fixed is not None:
        return SeverityRule(fixed=entry.fixed)
    return SeverityRule(
        map={**base.map, **{key.strip().lower(): value for key, value in entry.map.items()}},
        default=entry.default or base.default,
        label=entry.label if "label" in entry.model_fields_set else base.label,
    )
