"""Loading YAML/JSON documents safely, remembering the line of every value for error messages.

Every file warroom reads (incident files, SLA policies, mapping files) goes through here:
size limit, no aliases (a few lines of anchors can expand to gigabytes), no custom tags,
no duplicate keys, bounded nesting, and a map from each value's path to its line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from warroom.domain.errors import InvalidInput, Problem

MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 32

Path_ = tuple[str | int, ...]


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves timestamps as text: warroom parses times itself, strictly."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass
class Document:
    """A parsed file: plain data plus the line (1-based) where each path's value starts."""

    data: Any
    source: str
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, path: Iterable[str | int]) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        key = tuple(path)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.lines.get(())

    def problem(self, path: Iterable[str | int], code: str, message: str) -> Problem:
        path = tuple(path)
        return Problem(
            field=format_path(path),
            code=code,
            message=message,
            source=self.source,
            line=self.line_of(path),
        )


def format_path(path: Iterable[str | int]) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def _fail(
    source: str, message: str, line: int | None = None, code: str = "malformed", path: Path_ = ()
) -> None:
    raise InvalidInput(
        [Problem(field=format_path(path), code=code, message=message, source=source, line=line)]
    )


def read_text(path: Path, *, max_bytes: int = MAX_BYTES) -> str:
    source = str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        _fail(source, f"cannot read the file: {exc.strerror or exc}", code="unreadable")
    if path.is_dir():
        _fail(source, "is a folder, expected a file", code="unreadable")
    if size > max_bytes:
        _fail(source, f"the file is {size:,} bytes; the limit is {max_bytes:,}", code="too_large")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        _fail(source, f"cannot read the file: {exc.strerror or exc}", code="unreadable")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        _fail(source, f"is not UTF-8 text (bad byte at offset {exc.start})", code="malformed")
    raise AssertionError("unreachable")


def load_file(path: Path, *, max_bytes: int = MAX_BYTES) -> Document:
    return load_text(
        read_text(path, max_bytes=max_bytes),
        source=str(path),
        json_only=path.suffix.lower() == ".json",
    )


def load_text(text: str, *, source: str, json_only: bool = False) -> Document:
    """Parse YAML, or JSON: JSON is parsed as JSON, and read again as YAML only to learn
    the line of each value (YAML is a superset; where it disagrees, lines are left out)."""
    if not json_only:
        return _load_yaml(text, source, "YAML")
    try:
        data = json.loads(text, object_pairs_hook=_refuse_duplicate_json_keys)
    except RecursionError:
        _fail(source, f"is nested more than {MAX_DEPTH} levels deep", code="too_deep")
    except json.JSONDecodeError as exc:
        _fail(source, f"is not valid JSON: {exc.msg} (column {exc.colno})", exc.lineno)
    except _DuplicateKey as exc:
        try:
            _load_yaml(text, source, "JSON")  # names the line of the second key
        except InvalidInput as located:
            if located.problems[0].code == "duplicate_key":
                raise
        _fail(source, f"the key {exc.key!r} appears twice in one object", code="duplicate_key")
    if data is None:
        _fail(source, "is empty; expected a document", code="empty")
    try:
        lines = _load_yaml(text, source, "JSON").lines
    except InvalidInput:
        lines = {}
    return Document(data=data, source=source, lines=lines)


def _load_yaml(text: str, source: str, kind: str) -> Document:
    loader: _Loader | None = None
    try:
        loader = _Loader(text)
        node = loader.get_single_node()
        if node is None:
            _fail(source, "is empty; expected a document", code="empty")
        assert node is not None  # _fail raised
        doc = Document(data=None, source=source)
        doc.data = _build(loader, node, (), doc, depth=0)
        return doc
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        _fail(
            source,
            f"is not valid {kind}: the character {exc.character!r} is not allowed "
            "(write it escaped in a double-quoted string)",
            line,
        )
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at_line: int | None = mark.line + 1 if mark else None
        what = exc.problem or str(exc)
        _fail(source, f"is not valid {kind}: {what}", at_line)
    except yaml.YAMLError as exc:
        _fail(source, f"is not valid {kind}: {exc}")
    except RecursionError:  # the parser recurses per level, before our depth check runs
        _fail(source, f"is nested more than {MAX_DEPTH} levels deep", code="too_deep")
    finally:
        if loader is not None:
            loader.dispose()
    raise AssertionError("unreachable")


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _refuse_duplicate_json_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


_STANDARD_TAGS = {
    "tag:yaml.org,2002:" + name for name in ("str", "int", "float", "bool", "null", "map", "seq")
}


def _build(loader: _Loader, node: yaml.Node, path: Path_, doc: Document, depth: int) -> Any:
    line = node.start_mark.line + 1
    doc.lines[path] = line
    if depth > MAX_DEPTH:
        _fail(doc.source, f"is nested more than {MAX_DEPTH} levels deep", line, "too_deep", path)
    if node.tag not in _STANDARD_TAGS:
        _fail(
            doc.source,
            f"uses the tag {node.tag!r}; only plain YAML values are allowed",
            line,
            "bad_tag",
            path,
        )
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                _fail(doc.source, "a key must be plain text", key_node.start_mark.line + 1)
            key = str(loader.construct_scalar(key_node))
            if key == "<<":
                _fail(
                    doc.source,
                    "merge keys (<<) are not allowed",
                    key_node.start_mark.line + 1,
                    "bad_tag",
                )
            if key in out:
                _fail(
                    doc.source,
                    f"the key {key!r} appears twice (again on line {key_node.start_mark.line + 1})",
                    doc.lines.get((*path, key)),
                    "duplicate_key",
                    (*path, key),
                )
            out[key] = _build(loader, value_node, (*path, key), doc, depth + 1)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(loader, item, (*path, i), doc, depth + 1) for i, item in enumerate(node.value)
        ]
    return loader.construct_object(node, deep=False)


def _compose_node_without_aliases(self: _Loader, parent: Any, index: Any) -> Any:
    if self.check_event(yaml.AliasEvent):
        event = self.peek_event()  # type: ignore[no-untyped-call]
        raise yaml.composer.ComposerError(
            None, None, "aliases (*name) are not allowed", event.start_mark
        )
    return yaml.composer.Composer.compose_node(self, parent, index)


_Loader.compose_node = _compose_node_without_aliases  # type: ignore[method-assign,assignment]


# -- pydantic errors as problems -------------------------------------------------------------

_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "is not a field warroom knows",
    "string_type": "expected text",
    "string_too_short": "must not be empty",
    "list_type": "expected a list",
    "dict_type": "expected a mapping of names to values",
    "model_type": "expected a mapping of names to values",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "decimal_parsing": "expected a number",
    "bool_type": "expected true or false",
}


def problems_from(
    exc: ValidationError, doc: Document, *, allowed: Mapping[Path_, Iterable[str]] | None = None
) -> list[Problem]:
    """Turn pydantic's errors into warroom problems with file, line and field."""
    problems = []
    for error in exc.errors(include_url=False):
        path: Path_ = tuple(p for p in error["loc"] if isinstance(p, str | int))
        kind = error["type"]
        message = _MESSAGES.get(kind) or error["msg"]
        if kind in ("enum", "literal_error"):
            expected = (error.get("ctx") or {}).get("expected", "")
            message = f"unknown value {_describe(error.get('input'))}; expected {expected}"
        elif kind == "extra_forbidden" and allowed is not None:
            known = allowed.get(_shape(path[:-1]))
            if known:
                message = f"unknown field {path[-1]!r}; expected one of {', '.join(known)}"
            if error.get("input") is None:
                message += (
                    " (if this is the end of the text before it, quote that text: "
                    "a comma inside {...} starts a new field)"
                )
        elif kind.endswith("_type") or kind.endswith("_parsing"):
            message = f"{message}, found {_describe(error.get('input'))}"
        problems.append(doc.problem(path, kind, message))
    return problems


def _shape(path: Path_) -> Path_:
    """A path with list positions removed, to look up a place in a schema."""
    return tuple(p for p in path if isinstance(p, str))


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
