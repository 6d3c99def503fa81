"""The organisation's severity definitions file (WARROOM_SEVERITIES_FILE)."""

from __future__ import annotations

from pathlib import Path

from warroom.domain.errors import InvalidInput
from warroom.domain.severity import DEFAULT_SCALE, SeverityScale
from warroom.formats.documents import load_file


def read_severities(path: Path) -> SeverityScale:
    """{SEV-1: {label: Critical, description: ...}, ...}; levels left out keep their defaults."""
    doc = load_file(path, max_bytes=256 * 1024)
    if not isinstance(doc.data, dict):
        raise InvalidInput(
            [doc.problem((), "malformed", "expected a mapping of severity names to definitions")]
        )
    problems, definitions = [], {}
    for name, value in doc.data.items():
        if name not in DEFAULT_SCALE:
            problems.append(
                doc.problem(
                    (name,),
                    "bad_severity",
                    f"unknown severity {name!r}; expected one of {', '.join(DEFAULT_SCALE.names)}",
                )
            )
            continue
        if not isinstance(value, dict) or set(value) - {"label", "description"}:
            problems.append(
                doc.problem((name,), "malformed", "expected {label: ..., description: ...}")
            )
            continue
        definitions[name] = {k: str(v) for k, v in value.items() if v is not None}
    if problems:
        raise InvalidInput(problems)
    return DEFAULT_SCALE.with_definitions(definitions)
