"""PagerDuty Events API v2 bodies: the real events Alertmanager sends read to exact alerts,
a trigger without a dedup_key gets one, and invalid events are answered as PagerDuty does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from ingest.strategies import fixture, json_values, mutations
from warroom.domain.alerts import (
    MAX_LABELS,
    MAX_SUMMARY_LENGTH,
    AlertIn,
    AlertSource,
    AlertStatus,
)
from warroom.domain.errors import InvalidInput
from warroom.ingest import parse_alerts, request_model
from warroom.ingest.pagerduty import (
    PagerDutyEvent,
    accepted,
    invalid_event,
    parse_event,
    read_routing_key,
)

TRIGGER = "alertmanager-0.25-pagerduty-v2-trigger.json"
RESOLVE = "alertmanager-0.25-pagerduty-v2-resolve.json"
DEDUP = "93fbcf22398cb745dc6939f25e682599b0236d530f14bc9170aa44a5e1ee48c9"
RECEIVED = datetime(2026, 11, 26, 19, 30, 5, tzinfo=UTC)


class Keys:
    """A key factory that counts its calls."""

    def __init__(self) -> None:
        self.made: list[str] = []

    def __call__(self) -> str:
        self.made.append(f"wr-{len(self.made) + 1}")
        return self.made[-1]


def parse(body: object, keys: Keys | None = None) -> AlertIn:
    return parse_event(body, received_at=RECEIVED, new_dedup_key=keys or _never)


def _never() -> str:
    raise AssertionError("no key should be generated")


def refusal(body: object) -> list[tuple[str, str]]:
    with pytest.raises(InvalidInput) as caught:
        parse(body, Keys())
    return [(p.field, p.code) for p in caught.value.problems]


def trigger(**changes: Any) -> dict[str, Any]:
    body = fixture(TRIGGER)
    body.update(changes)
    return body


def with_payload(**changes: Any) -> dict[str, Any]:
    body = fixture(TRIGGER)
    body["payload"].update(changes)
    return body


# -- the real events ---------------------------------------------------------------------------


def test_it_reads_alertmanagers_trigger_exactly() -> None:
    assert parse(fixture(TRIGGER)) == AlertIn(
        source=AlertSource.PAGERDUTY,
        key=DEDUP,
        fingerprint=DEDUP,
        status=AlertStatus.FIRING,
        name="HighLatency",
        at=RECEIVED,
        starts_at=RECEIVED,
        ends_at=None,
        group_key=DEDUP,
        summary="[FIRING:1] HighLatency search (warning)",
        severity="warning",
        labels={"source": "search", "severity": "warning", "class": "HighLatency"},
        annotations={
            "firing": "Labels:\n - alertname = HighLatency\n - service = search\n"
            " - severity = warning\nAnnotations:\n - summary = p99 > 2s\nSource: \n",
            "num_firing": "1",
            "num_resolved": "0",
            "resolved": "",
        },
        generator_url=None,
        sender_url="http://127.0.0.1:19093",
        receiver=None,
    )


def test_it_reads_the_resolve_under_the_triggers_key() -> None:
    resolved = parse(fixture(RESOLVE))
    assert resolved.key == resolved.group_key == DEDUP
    assert resolved.status is AlertStatus.RESOLVED
    assert resolved.ends_at == resolved.at == RECEIVED
    assert resolved.summary == "[RESOLVED] HighLatency search (warning)"


def test_it_acknowledges_with_nothing_but_the_key() -> None:
    alert = parse({"routing_key": "k", "event_action": "acknowledge", "dedup_key": "disk-7"})
    assert (alert.status, alert.key, alert.name, alert.ends_at) == (
        AlertStatus.ACKNOWLEDGED,
        "disk-7",
        "disk-7",
        None,
    )
    assert alert.labels == {} and alert.summary is None and alert.severity is None


def test_it_is_the_registrys_pagerduty_adapter() -> None:
    assert parse_alerts("pagerduty", fixture(TRIGGER), received_at=RECEIVED, new_key=_never) == [
        parse(fixture(TRIGGER))
    ]
    assert request_model("pagerduty") is PagerDutyEvent
    schema = PagerDutyEvent.model_json_schema(by_alias=True)
    assert schema["examples"] == [fixture(TRIGGER)]


# -- dedup keys --------------------------------------------------------------------------------


@pytest.mark.parametrize("dedup_key", [None, "", "   "])
def test_it_asks_for_a_key_when_a_trigger_has_none(dedup_key: str | None) -> None:
    body = fixture(TRIGGER)
    if dedup_key is None:
        del body["dedup_key"]
    else:
        body["dedup_key"] = dedup_key
    keys = Keys()
    alert = parse(body, keys)
    assert keys.made == ["wr-1"]
    assert alert.key == alert.fingerprint == alert.group_key == "wr-1"


def test_it_asks_for_no_key_when_the_event_is_refused() -> None:
    keys = Keys()
    with pytest.raises(InvalidInput):
        parse({"routing_key": "k", "event_action": "trigger", "payload": {}}, keys)
    assert keys.made == []


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
def test_it_requires_the_key_to_acknowledge_or_resolve(action: str) -> None:
    assert refusal({"routing_key": "k", "event_action": action}) == [("dedup_key", "required")]


def test_it_refuses_a_key_longer_than_pagerdutys() -> None:
    assert refusal(trigger(dedup_key="k" * 256)) == [("dedup_key", "too_long")]


def test_it_refuses_keys_with_control_characters_rather_than_change_them() -> None:
    assert refusal(trigger(dedup_key="a\x00")) == [("dedup_key", "nul_character")]
    assert refusal(trigger(dedup_key="a\x1b")) == [("dedup_key", "control_character")]
    assert refusal(trigger(dedup_key="a\ud800")) == [("dedup_key", "control_character")]


# -- routing key -------------------------------------------------------------------------------


def test_it_takes_any_routing_key_such_as_an_intake_token() -> None:
    alert = parse(trigger(routing_key="wr_intake_5f2c"))
    assert alert.key == DEDUP
    assert read_routing_key(trigger(routing_key="wr_intake_5f2c")) == "wr_intake_5f2c"


@pytest.mark.parametrize(
    "body", [None, [], {}, {"routing_key": 3}, {"routing_key": ""}, {"routing_key": "a\x00"}]
)
def test_it_reads_no_routing_key_from_bodies_without_one(body: object) -> None:
    assert read_routing_key(body) is None


def test_it_requires_a_routing_key() -> None:
    body = fixture(TRIGGER)
    del body["routing_key"]
    assert refusal(body) == [("routing_key", "required")]
    assert refusal(trigger(routing_key="")) == [("routing_key", "empty")]


# -- payload -----------------------------------------------------------------------------------


def test_it_requires_a_payload_to_trigger() -> None:
    body = fixture(TRIGGER)
    del body["payload"]
    assert refusal(body) == [("payload", "required")]


def test_it_names_each_missing_payload_field() -> None:
    body = fixture(TRIGGER)
    body["payload"] = {"summary": " ", "class": "X"}
    assert refusal(body) == [
        ("payload.summary", "required"),
        ("payload.source", "required"),
        ("payload.severity", "required"),
    ]


@pytest.mark.parametrize("severity", ["fatal", "CRITICAL", "", 1])
def test_it_refuses_severities_pagerduty_does_not_know(severity: object) -> None:
    [(field, code)] = refusal(with_payload(severity=severity))
    assert field == "payload.severity" and code in ("unknown_value", "wrong_type")


def test_it_refuses_an_unknown_action() -> None:
    assert refusal(trigger(event_action="escalate")) == [("event_action", "unknown_value")]


@pytest.mark.parametrize(
    ("timestamp", "at"),
    [
        ("2015-07-17T08:42:58.315+0000", datetime(2015, 7, 17, 8, 42, 58, 315000, tzinfo=UTC)),
        ("2015-07-17T10:42:58+02:00", datetime(2015, 7, 17, 8, 42, 58, tzinfo=UTC)),
    ],
)
def test_it_takes_the_events_own_time(timestamp: str, at: datetime) -> None:
    alert = parse(with_payload(timestamp=timestamp))
    assert alert.at == alert.starts_at == at
    assert alert.at.tzinfo is UTC


def test_it_refuses_a_time_without_utc_offset() -> None:
    assert refusal(with_payload(timestamp="2015-07-17T08:42:58")) == [
        ("payload.timestamp", "bad_time")
    ]


def test_it_keeps_custom_details_as_texts() -> None:
    alert = parse(
        with_payload(
            custom_details={
                "free": "text",
                "n": 3,
                "ok": True,
                "nested": {"b": [1, None], "a": "é"},
            }
        )
    )
    assert alert.annotations == {
        "free": "text",
        "n": "3",
        "ok": "true",
        "nested": '{"a":"é","b":[1,null]}',
    }


@pytest.mark.parametrize(
    ("details", "text"),
    [
        ("plain words", "plain words"),
        ([1, 2], "[1,2]"),
    ],
)
def test_it_keeps_details_that_are_not_an_object_as_one_text(details: object, text: str) -> None:
    assert parse(with_payload(custom_details=details)).annotations == {"details": text}


def test_it_keeps_many_custom_details_as_one_text() -> None:
    details = {f"k{i:03d}": i for i in range(MAX_LABELS + 1)}
    alert = parse(with_payload(custom_details=details))
    assert list(alert.annotations) == ["details"]
    assert alert.annotations["details"].startswith('{"k000":0,')


def test_it_names_the_alert_by_its_summary_without_a_class() -> None:
    body = fixture(TRIGGER)
    del body["payload"]["class"]
    alert = parse(body)
    assert alert.name == alert.summary == "[FIRING:1] HighLatency search (warning)"
    assert "class" not in alert.labels


def test_it_cuts_a_long_summary_as_pagerduty_does() -> None:
    alert = parse(with_payload(summary="s" * 5000))
    assert alert.summary is not None and len(alert.summary) == MAX_SUMMARY_LENGTH


def test_it_refuses_nul_characters() -> None:
    assert refusal(with_payload(summary="a\x00", source="b\x00")) == [
        ("payload.source", "nul_character"),
        ("payload.summary", "nul_character"),
    ]


def test_it_links_the_first_link_and_the_client() -> None:
    body = trigger(
        links=[{"href": "https://grafana.test/d/1", "text": "dashboard"}],
        images=[{"src": "https://x.test/i.png"}],
        client_url="https://am.test",
    )
    alert = parse(body)
    assert alert.generator_url == "https://grafana.test/d/1"
    assert alert.sender_url == "https://am.test"


def test_it_ignores_fields_it_does_not_use() -> None:
    body = trigger(images=[], new_field={"x": 1})
    body["payload"]["future"] = 1
    assert parse(body) == parse(fixture(TRIGGER))


def test_it_refuses_a_v1_event_by_name() -> None:
    body = {"service_key": "k", "event_type": "trigger", "description": "x"}
    with pytest.raises(InvalidInput) as caught:
        parse(body)
    [problem] = caught.value.problems
    assert (problem.field, problem.code) == ("event_type", "unsupported_version")
    assert "Events API v1" in problem.message


# -- answers -----------------------------------------------------------------------------------


def test_it_answers_a_valid_event_as_pagerduty_does() -> None:
    assert accepted(DEDUP) == {
        "status": "success",
        "message": "Event processed",
        "dedup_key": DEDUP,
    }


def test_it_answers_an_invalid_event_as_pagerduty_does() -> None:
    body = fixture(TRIGGER)
    body["payload"] = {"severity": "warning"}
    with pytest.raises(InvalidInput) as caught:
        parse(body)
    assert invalid_event(caught.value) == {
        "status": "invalid event",
        "message": "Event object is invalid",
        "errors": [
            "payload.summary: is required to trigger",
            "payload.source: is required to trigger",
        ],
    }


def test_it_needs_an_aware_time_of_receipt() -> None:
    with pytest.raises(ValueError):
        parse_event(fixture(TRIGGER), received_at=datetime(2026, 1, 1), new_dedup_key=_never)
    alert = parse_event(
        fixture(TRIGGER),
        new_dedup_key=_never,
        received_at=datetime(2026, 1, 1, 1, tzinfo=timezone(timedelta(hours=1))),
    )
    assert alert.at == datetime(2026, 1, 1, tzinfo=UTC)


# -- nothing else ever comes out ---------------------------------------------------------------


def _result_or_invalid(body: object) -> None:
    keys = Keys()
    try:
        alert = parse_event(body, received_at=RECEIVED, new_dedup_key=keys)
    except InvalidInput as exc:
        assert exc.problems and keys.made == []
        return
    assert isinstance(alert, AlertIn)
    assert len(keys.made) <= 1
    assert alert.key == (keys.made[0] if keys.made else body["dedup_key"])  # type: ignore[index]


@given(json_values)
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_it_turns_any_json_value_into_an_alert_or_invalid_input(body: object) -> None:
    _result_or_invalid(body)


@given(
    mutations(
        [
            fixture(TRIGGER),
            fixture(RESOLVE),
            {"routing_key": "k", "event_action": "acknowledge", "dedup_key": "d"},
        ]
    )
)
@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
def test_it_turns_any_mutated_event_into_an_alert_or_invalid_input(body: object) -> None:
    _result_or_invalid(body)
