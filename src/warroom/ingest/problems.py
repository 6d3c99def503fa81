"""Reading a decoded JSON body: its problems as warroom `Problem`s with JSON paths.

Every adapter validates the shape with its Pydantic model (`validate`), then checks the
values field by field with a `Problems` collector, and raises every problem together.
Codes are warroom's own, not Pydantic's: an HTTP client reads them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from warroom.domain.alerts import MAX_LABEL_NAME_LENGTH, clean_key, clean_text, clean_url
from warroom.domain.errors import InvalidInput, Problem

M = TypeVar("M", bound=BaseModel)

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def json_path(parts: Iterable[str | int]) -> str:
    """("alerts", 1, "startsAt") → ``alerts[1].startsAt``; odd keys → ``labels["a b"]``."""
    text = ""
    for part in parts:
        text = child(text, part)
    return text


def child(field: str, name: str | int) -> str:
    """The path of `name` inside `field`."""
    if isinstance(name, int):
        return f"{field}[{name}]"
    if _IDENTIFIER.fullmatch(name):
        return f"{field}.{name}" if field else name
    return f"{field}[{_quote(name)}]"


def _quote(text: str) -> str:
    """JSON-quoted (control characters escaped), shortened when long."""
    return json.dumps(text if len(text) <= 40 else text[:37] + "...")


def describe(value: object) -> str:
    """A JSON value in a message: its JSON type, and the value itself when short."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) or (isinstance(value, int) and value.bit_length() < 64):
        return f"the number {value!r}"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, str):
        return f"the string {_quote(value)}"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


_TYPES = {
    "string_type": "a string",
    "int_type": "a whole number",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "list_type": "an array",
    "bool_type": "true or false",
}


def _problem(error: ErrorDetails, known: list[str]) -> Problem:
    field = json_path(error["loc"])
    kind = error["type"]
    given = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return Problem(field, "required", "is required")
    if kind in _TYPES:
        return Problem(field, "wrong_type", f"expected {_TYPES[kind]}, found {describe(given)}")
    if kind == "literal_error":
        return Problem(
            field, "unknown_value", f"expected {ctx.get('expected')}, found {describe(given)}"
        )
    if kind == "too_long":
        return Problem(field, "too_many", f"has more than {ctx.get('max_length')} entries")
    if kind == "string_too_long":
        return Problem(field, "too_long", f"is longer than {ctx.get('max_length')} characters")
    if kind == "greater_than_equal":
        return Problem(
            field, "out_of_range", f"must be at least {ctx.get('ge')}, found {describe(given)}"
        )
    if kind == "extra_forbidden":
        hint = f"; expected one of {', '.join(known)}" if len(error["loc"]) == 1 else ""
        return Problem(field, "unknown_field", f"is not a field of this body{hint}")
    return Problem(field, kind, error["msg"])


def validate(model: type[M], data: object) -> M:
    """`data` as `model`, or InvalidInput listing every shape problem with its path."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        known = [info.alias or name for name, info in model.model_fields.items()]
        problems = [_problem(error, known) for error in exc.errors(include_url=False)]
        raise InvalidInput(problems) from None
    except RecursionError:  # json.loads nests deeper than Pydantic will follow
        raise InvalidInput([Problem("", "too_deep", "is nested too deeply")]) from None


def require_object(body: object, what: str) -> dict[str, object]:
    if not isinstance(body, dict):
        raise InvalidInput(
            [Problem("", "wrong_type", f"{what} must be a JSON object, found {describe(body)}")]
        )
    return body


class Problems:
    """The problems of one body, collected field by field and raised together."""

    def __init__(self) -> None:
        self.found: list[Problem] = []

    def add(self, field: str, code: str, message: str) -> None:
        self.found.append(Problem(field=field, code=code, message=message))

    def raise_if_any(self) -> None:
        if self.found:
            raise InvalidInput(self.found)

    def text(
        self, value: str, field: str, *, limit: int, cut: bool = False, one_line: bool = False
    ) -> str:
        """`clean_text`, recording a refusal (the value is then returned unchanged)."""
        try:
            return clean_text(value, field=field, limit=limit, cut=cut, one_line=one_line)
        except InvalidInput as exc:
            self.found.extend(exc.problems)
            return value

    def key(self, value: str, field: str, *, limit: int) -> str:
        try:
            return clean_key(value, field=field, limit=limit)
        except InvalidInput as exc:
            self.found.extend(exc.problems)
            return value

    def url(self, value: str | None, field: str) -> str | None:
        """`clean_url`: a link, None when empty or too long, a NUL recorded as refused."""
        try:
            return clean_url(value, field=field)
        except InvalidInput as exc:
            self.found.extend(exc.problems)
            return None

    def mapping(
        self, values: Mapping[str, str], field: str, *, limit: int, count: int, cut: bool
    ) -> dict[str, str]:
        """Labels or annotations: at most `count` entries, names as identifiers (refused
        when odd), values as text of `limit` characters (cut or refused)."""
        if len(values) > count:
            self.add(field, "too_many", f"has {len(values):,} entries; the limit is {count:,}")
            return {}
        out: dict[str, str] = {}
        for name, value in values.items():
            path = child(field, name)
            self.key(name, path, limit=MAX_LABEL_NAME_LENGTH)
            out[name] = self.text(value, path, limit=limit, cut=cut)
        return out
