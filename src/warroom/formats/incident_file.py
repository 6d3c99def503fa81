"""The incident file (YAML or JSON; docs/incident-file.md): reading, validated, and writing.

Reading validates everything and reports every problem with file, line and field before
anything is stored; writing produces a file that reads back to the same incident.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from warroom.domain.audience import Audience
from warroom.domain.errors import InvalidInput, Problem
from warroom.domain.incident import (
    ID_PATTERN,
    ActionStatus,
    Classification,
    CorrectiveAction,
    Incident,
    Role,
    text_problems,
    timeline_order_problems,
    timeline_problems,
)
from warroom.domain.lifecycle import Status
from warroom.domain.scope import Scope
from warroom.domain.severity import DEFAULT_SCALE, SeverityScale
from warroom.domain.timeline import EntryKind, TimelineEntry
from warroom.formats.documents import (
    Document,
    format_path,
    load_file,
    load_text,
    problems_from,
)
from warroom.formats.incident_document import to_document

MAX_ENTRIES = 10_000
MAX_TEXT = 20_000


def parse_utc(value: Any) -> datetime:
    """An ISO-8601 time with a UTC offset ("2025-11-08T14:02:00Z"); naive times are refused."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise PydanticCustomError(
                "bad_timestamp",
                "'{value}' is not a time; expected ISO-8601 with a UTC offset, "
                "e.g. 2025-11-08T14:02:00Z",
                {"value": value},
            ) from None
    else:
        raise PydanticCustomError(
            "bad_timestamp",
            "expected a time such as 2025-11-08T14:02:00Z, found '{value}'",
            {"value": value},
        )
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise PydanticCustomError(
            "naive_timestamp",
            "'{value}' has no UTC offset; warroom keeps times in UTC, write e.g. "
            "2025-11-08T14:02:00Z",
            {"value": str(value)},
        )
    return parsed.astimezone(UTC)


def parse_day(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise PydanticCustomError(
        "bad_date", "'{value}' is not a date; expected YYYY-MM-DD", {"value": value}
    )


UtcTime = Annotated[datetime, BeforeValidator(parse_utc)]
Day = Annotated[date, BeforeValidator(parse_day)]
Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
Name = Annotated[str, Field(min_length=1, max_length=200)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class EntryFile(_Strict):
    at: UtcTime
    kind: EntryKind
    text: Text
    author: Name | None = None
    audience: Audience = Audience.INTERNAL


class ActionFile(_Strict):
    title: Text
    owner: Name | None = None
    due: Day | None = None
    status: ActionStatus = ActionStatus.OPEN
    link: Annotated[str, Field(max_length=2000)] | None = None
    audience: Audience = Audience.INTERNAL


class ScopeFile(_Strict):
    regions: Literal["all"] | list[Name] = "all"
    services: Literal["all"] | list[Name] = "all"


class RolesFile(_Strict):
    scribe: Name | None = None
    communications: Name | None = None
    technical_lead: Name | None = None


class IncidentFile(_Strict):
    id: str | None = None
    title: Annotated[str, Field(min_length=1, max_length=500)]
    severity: str
    status: Status = Status.INVESTIGATING
    classification: Classification = Classification.INTERNAL
    commander: Name | None = None
    roles: RolesFile = Field(default_factory=RolesFile)
    scope: ScopeFile = Field(default_factory=ScopeFile)
    data_loss: Text | None = None
    summary: Text | None = None
    public_summary: Text | None = None
    timeline: Annotated[list[EntryFile], Field(max_length=MAX_ENTRIES)] = Field(
        default_factory=list
    )
    root_cause: Text | None = None
    public_root_cause: Text | None = None
    contributing_factors: Annotated[list[Text], Field(max_length=1000)] = Field(
        default_factory=list
    )
    actions: Annotated[list[ActionFile], Field(max_length=1000)] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _incident_id(cls, value: str | None) -> str | None:
        if value is not None and not ID_PATTERN.match(value):
            raise PydanticCustomError(
                "bad_id",
                "'{value}' is not an incident ID; expected INC-YYYY-MMDD-NNN, "
                "e.g. INC-2025-1108-001 (or leave id out to have one assigned)",
                {"value": value},
            )
        return value

    @field_validator("severity", mode="before")
    @classmethod
    def _known_severity(cls, value: Any, info: ValidationInfo) -> str:
        scale: SeverityScale = (info.context or {}).get("scale", DEFAULT_SCALE)
        try:
            return scale.parse(str(value))
        except InvalidInput:
            raise PydanticCustomError(
                "bad_severity",
                "unknown severity '{value}'; expected one of {names}",
                {"value": value, "names": ", ".join(scale.names)},
            ) from None


_ALLOWED_FIELDS: dict[tuple[str | int, ...], list[str]] = {
    (): list(IncidentFile.model_fields),
    ("timeline",): list(EntryFile.model_fields),
    ("actions",): list(ActionFile.model_fields),
    ("scope",): list(ScopeFile.model_fields),
    ("roles",): list(RolesFile.model_fields),
}


@dataclass
class ParsedIncident:
    """One incident read from a file; `incident.id` is "" when the file gave none."""

    incident: Incident
    document: Document
    path: tuple[str | int, ...]  # where this incident sits in the file

    @property
    def has_id(self) -> bool:
        return bool(self.incident.id)

    def problem(self, field: str, code: str, message: str) -> Problem:
        return self.document.problem((*self.path, field), code, message)


def read_incident_file(path: Path, *, scale: SeverityScale = DEFAULT_SCALE) -> list[ParsedIncident]:
    return parse_document(load_file(path), scale=scale)


def read_incident_text(
    text: str, *, source: str = "<input>", scale: SeverityScale = DEFAULT_SCALE
) -> list[ParsedIncident]:
    return parse_document(load_text(text, source=source), scale=scale)


def parse_document(doc: Document, *, scale: SeverityScale = DEFAULT_SCALE) -> list[ParsedIncident]:
    """A file holds one incident (a mapping), a list of them, or {incidents: [...]}."""
    data = doc.data
    base: tuple[str | int, ...] = ()
    if isinstance(data, dict) and set(data) == {"incidents"}:
        items, base = data["incidents"], ("incidents",)
    else:
        items = data
    located: list[tuple[tuple[str | int, ...], Any]]
    if isinstance(items, dict):
        located = [(base, items)]
    elif isinstance(items, list):
        located = [((*base, i), item) for i, item in enumerate(items)]
    else:
        raise InvalidInput(
            [doc.problem(base, "malformed", "expected an incident (a mapping) or a list of them")]
        )
    if not located:
        raise InvalidInput([doc.problem(base, "empty", "holds no incidents")])

    parsed, problems = [], []
    for path, item in located:
        try:
            model = IncidentFile.model_validate(item, context={"scale": scale})
        except ValidationError as exc:
            problems += [
                _prefixed(p, path, doc)
                for p in problems_from(exc, _sub(doc, path), allowed=_ALLOWED_FIELDS)
            ]
            continue
        incident, more = _to_domain(model, doc, path)
        problems += more
        if incident is not None:
            parsed.append(ParsedIncident(incident, doc, path))
    if problems:
        raise InvalidInput(sorted(problems, key=lambda p: p.line or 0))
    return parsed


def _sub(doc: Document, path: tuple[str | int, ...]) -> Document:
    """A view of `doc` rooted at `path`, so error paths are relative to one incident."""
    n = len(path)
    lines = {p[n:]: line for p, line in doc.lines.items() if p[:n] == path}
    return Document(data=None, source=doc.source, lines=lines)


def _prefixed(problem: Problem, path: tuple[str | int, ...], doc: Document) -> Problem:
    """Put a problem found inside one incident back at its place in the whole file."""
    if not path:
        return problem
    prefix = format_path(path)
    field = prefix + (
        ""
        if not problem.field
        else problem.field
        if problem.field.startswith("[")
        else "." + problem.field
    )
    return Problem(
        field=field,
        code=problem.code,
        message=problem.message,
        source=problem.source,
        line=problem.line,
    )


def _to_domain(
    model: IncidentFile,
    doc: Document,
    path: tuple[str | int, ...],
) -> tuple[Incident | None, list[Problem]]:
    problems: list[Problem] = []
    roles: dict[Role, str] = {}
    if model.commander:
        roles[Role.COMMANDER] = model.commander
    for role in (Role.SCRIBE, Role.COMMUNICATIONS, Role.TECHNICAL_LEAD):
        person = getattr(model.roles, role.value)
        if person:
            roles[role] = person
    timeline = [
        TimelineEntry(at=e.at, kind=e.kind, text=e.text, author=e.author, audience=e.audience)
        for e in model.timeline
    ]
    for index, code, message in timeline_order_problems(timeline):
        problems.append(doc.problem((*path, "timeline", index, "at"), code, message))
    for problem in timeline_problems(timeline, model.status):
        if problem.field == "status":
            problems.append(doc.problem((*path, "status"), problem.code, problem.message))
    incident = Incident(
        id=model.id or "",
        title=model.title,
        severity=model.severity,
        status=model.status,
        classification=model.classification,
        roles=roles,
        scope=Scope(
            regions=None if model.scope.regions == "all" else tuple(model.scope.regions),
            services=None if model.scope.services == "all" else tuple(model.scope.services),
        ),
        data_loss=model.data_loss,
        summary=model.summary,
        public_summary=model.public_summary,
        timeline=timeline,
        root_cause=model.root_cause,
        public_root_cause=model.public_root_cause,
        contributing_factors=list(model.contributing_factors),
        actions=[
            CorrectiveAction(
                number=i,
                title=a.title,
                owner=a.owner,
                due=a.due,
                status=a.status,
                link=a.link,
                audience=a.audience,
            )
            for i, a in enumerate(model.actions, start=1)
        ],
    )
    for problem in text_problems(incident):
        problems.append(
            doc.problem((*path, *_field_path(problem.field)), problem.code, problem.message)
        )
    return (None if problems else incident), problems


def _field_path(field: str) -> tuple[str | int, ...]:
    """ "timeline[3].text" as the document path ("timeline", 3, "text")."""
    parts: list[str | int] = []
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", field):
        parts.append(int(index) if index else name)
    return tuple(parts)


# -- writing ---------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Writes times and dates unquoted, as people write them (warroom reads them as text)."""


_Dumper.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeDumper.yaml_implicit_resolvers.items()
}


_PLAIN_SAFE = re.compile(r"^[\n\t\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*$")


def _str_presenter(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if not _PLAIN_SAFE.match(value) or "\u2028" in value or "\u2029" in value:
        # control characters, NEL and line separators survive only escaped
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_presenter)


def dump_yaml(data: Any) -> str:
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )


def write_incidents(incidents: list[Incident], *, fmt: str = "yaml") -> str:
    docs = [to_document(i) for i in incidents]
    data: Any = docs[0] if len(docs) == 1 else {"incidents": docs}
    if fmt == "json":
        import json

        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return dump_yaml(data)
