"""Hypothesis strategies for intake bodies: any JSON value, and mutations of real bodies."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

FIXTURES = Path(__file__).parent.parent / "fixtures" / "alertmanager"


def fixture(name: str) -> Any:
    """A reference body, decoded afresh (tests may change it)."""
    return json.loads((FIXTURES / name).read_text())


# Values a real body holds, so that mutations stay close to what parsers branch on.
_INTERESTING = [
    "",
    "4",
    "3",
    "firing",
    "resolved",
    "trigger",
    "acknowledge",
    "resolve",
    "critical",
    "info",
    "deploy",
    "maintenance_start",
    "0001-01-01T00:00:00Z",
    "2026-11-26T19:23:18.441250922Z",
    "2026-11-26T19:23:18+0100",
    "9999-12-31T23:59:59-23:59",
    "0001-01-01T00:00:00+01:00",
    "2026-02-30T00:00:00Z",
    "69c2e62f0b0aec37",
    "team\\.ops",
    "a\x00b",
    "\ud800",
    "\x1b[31m",
    "x" * 3000,
    "SEV-1",
    " ",
    "\n\t",
    "\u2028",
]
_KEYS = [
    "version",
    "alerts",
    "status",
    "labels",
    "annotations",
    "startsAt",
    "endsAt",
    "fingerprint",
    "groupKey",
    "receiver",
    "truncatedAlerts",
    "generatorURL",
    "externalURL",
    "routing_key",
    "event_action",
    "dedup_key",
    "payload",
    "summary",
    "source",
    "severity",
    "timestamp",
    "class",
    "custom_details",
    "links",
    "href",
    "event_type",
    "id",
    "kind",
    "service",
    "region",
    "at",
    "url",
    "author",
]

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(-(2**70), 2**70)
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(_INTERESTING)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=10) | st.sampled_from(_KEYS), children, max_size=5)
    ),
    max_leaves=25,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def _parent(document: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        document = document[part]
    return document


@st.composite
def mutations(draw: st.DrawFn, documents: Sequence[Any]) -> Any:
    """A real body with one to three changes: a value replaced, a key dropped or added."""
    document = copy.deepcopy(draw(st.sampled_from(list(documents))))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(_paths(document))))
        action = draw(st.sampled_from(["replace", "drop", "add"]))
        if not path:
            if action == "replace":
                document = draw(json_values)
            continue
        parent = _parent(document, path)
        if action == "replace":
            parent[path[-1]] = draw(json_values)
        elif action == "drop":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(_KEYS) | st.text(max_size=8))] = draw(json_values)
        else:
            parent.append(draw(json_values))
    return document
