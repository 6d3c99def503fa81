"""Change events: deploys, configuration changes and maintenance read to exact changes, keyed
by the sender's id or by their content; and which changes may have set off an incident."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from ingest.strategies import json_values, mutations
from warroom.domain.alerts import (
    DEFAULT_LOOK_BACK,
    MAX_SUMMARY_LENGTH,
    ChangeIn,
    ChangeKind,
    is_possible_trigger,
)
from warroom.domain.errors import InvalidInput
from warroom.domain.scope import Scope
from warroom.ingest.change import EXAMPLE, ChangeEvent, parse_change

MAINTENANCE = datetime(2025, 11, 8, 13, 45, tzinfo=UTC)
DETECTED = datetime(2025, 11, 8, 14, 2, tzinfo=UTC)


def body(**changes: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": "deploy",
        "service": "checkout",
        "at": "2025-11-08T13:00:00Z",
        "summary": "checkout v2.14.0 rolled out",
    }
    out.update(changes)
    return {key: value for key, value in out.items() if value is not ...}


def refusal(value: object) -> list[tuple[str, str]]:
    with pytest.raises(InvalidInput) as caught:
        parse_change(value)
    return [(p.field, p.code) for p in caught.value.problems]


def test_it_reads_the_reference_maintenance_exactly() -> None:
    assert parse_change(dict(EXAMPLE)) == ChangeIn(
        key="maint-2025-11-08-db",
        kind=ChangeKind.MAINTENANCE_START,
        at=MAINTENANCE,
        summary="Scheduled maintenance begins on DB cluster",
        service="db",
        region="eu-west-1",
        source="change-calendar",
        url="https://change.example.com/CHG-1108",
        author="Sam Lee",
    )


def test_it_documents_the_body_with_the_example() -> None:
    schema = ChangeEvent.model_json_schema()
    assert schema["examples"] == [EXAMPLE]
    assert set(schema["required"]) == {"kind", "at", "summary"}


def test_it_writes_a_timeline_text() -> None:
    assert parse_change(dict(EXAMPLE)).timeline_text() == (
        "Maintenance started on db, eu-west-1: Scheduled maintenance begins on DB cluster "
        "(by Sam Lee)"
    )
    assert parse_change(body()).timeline_text() == "Deploy on checkout: checkout v2.14.0 rolled out"


# -- keys --------------------------------------------------------------------------------------


def test_it_keys_a_change_without_id_by_its_content() -> None:
    change = parse_change(body())
    assert change.key.startswith("sha256:") and len(change.key) == 47
    assert parse_change(body()).key == change.key


@pytest.mark.parametrize("at", ["2025-11-08T14:00:00+01:00", "2025-11-08T13:00:00.000Z"])
def test_it_keys_the_same_instant_written_differently_alike(at: str) -> None:
    assert parse_change(body(at=at)).key == parse_change(body()).key


@pytest.mark.parametrize(
    "change",
    [
        {"at": "2025-11-08T13:00:00.000000001Z"},
        {"summary": "checkout v2.14.1 rolled out"},
        {"kind": "config"},
        {"region": "eu-west-1"},
        {"author": "Sam"},
        {"url": "https://x"},
        {"source": "argo"},
    ],
)
def test_it_keys_any_other_content_differently(change: dict[str, str]) -> None:
    assert parse_change(body(**change)).key != parse_change(body()).key


def test_it_keys_a_change_with_an_id_by_the_id() -> None:
    assert parse_change(body(id="deploy-4711")).key == "deploy-4711"
    assert parse_change(body(id="deploy-4711", summary="other words")).key == "deploy-4711"


# -- what is read and refused ------------------------------------------------------------------


def test_it_takes_a_region_without_a_service() -> None:
    change = parse_change(body(service=..., region="us-east-1", kind="config"))
    assert (change.service, change.region, change.kind) == (None, "us-east-1", ChangeKind.CONFIG)


def test_it_takes_empty_names_as_absent() -> None:
    change = parse_change(body(region="", author=""))
    assert change.region is None and change.author is None


def test_it_needs_a_service_or_a_region() -> None:
    assert refusal(body(service=...)) == [("service", "required")]
    assert refusal(body(service=" ", region="")) == [("service", "required")]


def test_it_refuses_unknown_fields_by_name() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_change(body(regoin="eu-west-1"))
    [problem] = caught.value.problems
    assert (problem.field, problem.code) == ("regoin", "unknown_field")
    assert "expected one of id, kind, service, region, at" in problem.message


def test_it_names_every_problem_by_its_field() -> None:
    assert refusal(body(kind="rollout", at=3, summary=None)) == [
        ("kind", "unknown_value"),
        ("at", "wrong_type"),
        ("summary", "wrong_type"),
    ]
    assert refusal(body(at="yesterday", summary="  ", id="", url="http://x/\x00")) == [
        ("summary", "empty"),
        ("id", "empty"),
        ("url", "nul_character"),
        ("at", "bad_time"),
    ]


def test_it_requires_the_time() -> None:
    assert refusal(body(at=...)) == [("at", "required")]


@pytest.mark.parametrize("value", [None, [], "deploy", 1])
def test_it_refuses_a_body_that_is_not_an_object(value: object) -> None:
    assert refusal(value) == [("", "wrong_type")]


def test_it_cuts_a_long_summary_and_keeps_its_lines() -> None:
    change = parse_change(body(summary="first line\nsecond line"))
    assert change.summary == "first line\nsecond line"
    change = parse_change(body(summary="x" * 5000))
    assert len(change.summary) == MAX_SUMMARY_LENGTH


def test_it_refuses_over_long_service_names() -> None:
    assert refusal(body(service="s" * 300)) == [("service", "too_long")]


# -- possible triggers -------------------------------------------------------------------------


def change_at(at: datetime, *, service: str | None = "db", region: str | None = None) -> ChangeIn:
    return ChangeIn(
        key="c",
        kind=ChangeKind.MAINTENANCE_START,
        at=at,
        summary="maintenance",
        service=service,
        region=region,
    )


def test_it_takes_the_reference_maintenance_as_a_possible_trigger() -> None:
    assert is_possible_trigger(
        change_at(MAINTENANCE), detected_at=DETECTED, scope=Scope.everything()
    )


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (timedelta(0), True),
        (-DEFAULT_LOOK_BACK, True),
        (-DEFAULT_LOOK_BACK - timedelta(microseconds=1), False),
        (timedelta(seconds=1), False),  # after detection: a response, not a cause
    ],
)
def test_it_looks_back_two_hours_by_default(offset: timedelta, expected: bool) -> None:
    assert (
        is_possible_trigger(
            change_at(DETECTED + offset), detected_at=DETECTED, scope=Scope.everything()
        )
        is expected
    )


def test_it_takes_another_look_back() -> None:
    change = change_at(DETECTED - timedelta(hours=3))
    assert not is_possible_trigger(change, detected_at=DETECTED, scope=Scope.everything())
    assert is_possible_trigger(
        change, detected_at=DETECTED, scope=Scope.everything(), look_back=timedelta(hours=4)
    )


@pytest.mark.parametrize(
    ("scope", "service", "region", "expected"),
    [
        (Scope(services=("db",)), "db", None, True),
        (Scope(services=("db",)), "web", None, False),
        (Scope(regions=("eu",)), "web", "eu", True),
        (Scope(regions=("eu",)), "db", "us", False),
        (Scope(services=("checkout",), regions=("eu",)), "billing", "eu", True),  # same region
        (Scope(services=("checkout",), regions=("eu",)), "checkout", "us", True),  # same service
        (Scope(services=("checkout",), regions=("eu",)), "billing", "us", False),
        # "all regions" is no evidence when the incident names its services
        (Scope(services=("checkout",)), "billing", "eu", False),
        (Scope(regions=("eu",)), "db", None, False),
        (Scope.everything(), None, "ap-south", True),
    ],
)
def test_it_needs_the_same_service_or_region(
    scope: Scope, service: str | None, region: str | None, expected: bool
) -> None:
    change = change_at(MAINTENANCE, service=service, region=region)
    assert is_possible_trigger(change, detected_at=DETECTED, scope=scope) is expected


def test_it_refuses_naive_detection_times() -> None:
    with pytest.raises(ValueError):
        is_possible_trigger(
            change_at(MAINTENANCE),
            detected_at=datetime(2025, 11, 8, 14, 2),
            scope=Scope.everything(),
        )


# -- nothing else ever comes out ---------------------------------------------------------------


def _result_or_invalid(value: object) -> None:
    try:
        change = parse_change(value)
    except InvalidInput as exc:
        assert exc.problems
        return
    assert isinstance(change, ChangeIn)


@given(json_values)
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_it_turns_any_json_value_into_a_change_or_invalid_input(value: object) -> None:
    _result_or_invalid(value)


@given(mutations([dict(EXAMPLE), body()]))
@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
def test_it_turns_any_mutated_change_into_a_change_or_invalid_input(value: object) -> None:
    _result_or_invalid(value)
