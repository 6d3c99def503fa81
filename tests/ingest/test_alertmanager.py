"""Alertmanager webhook bodies: the real 0.25 payloads read to exact alerts; every refusal
names its JSON path; nothing but a result or InvalidInput ever comes out."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from ingest.strategies import fixture, json_values, mutations
from warroom.domain.alerts import (
    MAX_ALERTS_PER_PAYLOAD,
    MAX_ANNOTATION_LENGTH,
    MAX_LABEL_VALUE_LENGTH,
    MAX_LABELS,
    MAX_URL_LENGTH,
    AlertIn,
    AlertSource,
    AlertStatus,
)
from warroom.domain.errors import InvalidInput
from warroom.ingest import parse_alerts, request_model
from warroom.ingest.alertmanager import AlertmanagerWebhook, parse_webhook, unescape_receiver

FIRING = "alertmanager-0.25-webhook-firing-amtool.json"
RESOLVED = "alertmanager-0.25-webhook-resolved-api.json"
GROUP = "alertmanager-0.25-webhook-group-two-alerts.json"
PROM_FIRING = "prometheus-2.42-to-alertmanager-0.25-webhook-firing.json"
PROM_RESOLVED = "prometheus-2.42-to-alertmanager-0.25-webhook-resolved.json"
ALL = [FIRING, RESOLVED, GROUP, PROM_FIRING, PROM_RESOLVED]

START = datetime(2026, 11, 26, 19, 23, 18, 441250, tzinfo=UTC)
CHECKOUT_KEY = "69c2e62f0b0aec37@2026-11-26T19:23:18.441250922Z"
CHECKOUT_GROUP = '{}:{alertname="HighErrorRate", service="checkout"}'
CHECKOUT_LABELS = {
    "alertname": "HighErrorRate",
    "env": "prod",
    "service": "checkout",
    "severity": "critical",
}
CHECKOUT_ANNOTATIONS = {
    "runbook_url": "http://127.0.0.1/runbooks/checkout-5xx",
    "summary": "Checkout 5xx ratio above 5%",
}


def refusal(body: object) -> list[tuple[str, str]]:
    """(field, code) of every problem the body is refused for."""
    with pytest.raises(InvalidInput) as caught:
        parse_webhook(body)
    return [(p.field, p.code) for p in caught.value.problems]


def with_alert(**changes: Any) -> dict[str, Any]:
    body = fixture(FIRING)
    body["alerts"][0].update(changes)
    return body


# -- the real payloads -------------------------------------------------------------------------


def test_it_reads_a_firing_alert_exactly() -> None:
    assert parse_webhook(fixture(FIRING)) == [
        AlertIn(
            source=AlertSource.ALERTMANAGER,
            key=CHECKOUT_KEY,
            fingerprint="69c2e62f0b0aec37",
            status=AlertStatus.FIRING,
            name="HighErrorRate",
            at=START,
            starts_at=START,
            ends_at=None,
            group_key=CHECKOUT_GROUP,
            summary="Checkout 5xx ratio above 5%",
            severity="critical",
            labels=CHECKOUT_LABELS,
            annotations=CHECKOUT_ANNOTATIONS,
            generator_url="http://127.0.0.1:19090/graph?g0.expr=job%3Acheckout_5xx%3Aratio5m+%3E+0.05",
            sender_url="http://127.0.0.1:19093",
            receiver="incident-webhook",
            group_truncated=0,
        )
    ]


def test_it_reads_the_resolution_under_the_same_key() -> None:
    [alert] = parse_webhook(fixture(RESOLVED))
    end = datetime(2026, 11, 26, 19, 23, 19, 984000, tzinfo=UTC)
    assert alert == AlertIn(
        source=AlertSource.ALERTMANAGER,
        key=CHECKOUT_KEY,
        fingerprint="69c2e62f0b0aec37",
        status=AlertStatus.RESOLVED,
        name="HighErrorRate",
        at=end,
        starts_at=START,
        ends_at=end,
        group_key=CHECKOUT_GROUP,
        summary="Checkout 5xx ratio above 5%",
        severity="critical",
        labels=CHECKOUT_LABELS,
        annotations=CHECKOUT_ANNOTATIONS,
        generator_url=None,  # empty on the resolving post
        sender_url="http://127.0.0.1:19093",
        receiver="incident-webhook",
    )


def test_it_reads_what_prometheus_sent_through_alertmanager() -> None:
    [firing] = parse_webhook(fixture(PROM_FIRING))
    [resolved] = parse_webhook(fixture(PROM_RESOLVED))
    assert firing.key == resolved.key == "7887e23af585b8b6@2026-11-26T19:24:26.801Z"
    assert firing.name == "ServiceDown"
    assert firing.summary == "127.0.0.1:18001 of checkout is down"
    assert firing.starts_at == datetime(2026, 11, 26, 19, 24, 26, 801000, tzinfo=UTC)
    assert (firing.status, firing.ends_at) == (AlertStatus.FIRING, None)
    assert resolved.status is AlertStatus.RESOLVED
    assert resolved.ends_at == datetime(2026, 11, 26, 19, 24, 32, 801000, tzinfo=UTC)
    assert resolved.generator_url == firing.generator_url is not None


def test_it_reads_each_alert_of_a_group() -> None:
    alerts = parse_webhook(fixture(GROUP))
    assert [a.key for a in alerts] == [
        "8eeb995829cc09a5@2026-11-26T19:23:21.456262421Z",
        "c8446ea9814ae2b0@2026-11-26T19:23:21.456262421Z",
    ]
    assert {a.group_key for a in alerts} == {'{}:{alertname="DiskFull", service="db"}'}
    assert [a.summary for a in alerts] == ["Disk > 90% on db-1", "Disk > 90% on db-2"]
    assert [a.labels["instance"] for a in alerts] == ["db-1:9100", "db-2:9100"]
    assert all(a.severity == "warning" and a.name == "DiskFull" for a in alerts)


def test_it_reads_the_same_delivery_to_the_same_alerts() -> None:
    assert parse_webhook(fixture(GROUP)) == parse_webhook(fixture(GROUP))


def test_it_is_the_registrys_alertmanager_adapter() -> None:
    assert parse_alerts(
        "alertmanager", fixture(GROUP), received_at=START, new_key=lambda: "unused"
    ) == parse_webhook(fixture(GROUP))
    assert request_model("alertmanager") is AlertmanagerWebhook


def test_it_documents_the_body_with_a_real_example() -> None:
    schema = AlertmanagerWebhook.model_json_schema(by_alias=True)
    assert schema["examples"][0] == fixture(FIRING)
    assert {"version", "groupKey", "alerts"} <= set(schema["required"])
    assert "startsAt" in schema["$defs"]["AlertmanagerAlert"]["properties"]


def test_it_writes_timeline_texts() -> None:
    [firing] = parse_webhook(fixture(FIRING))
    [resolved] = parse_webhook(fixture(RESOLVED))
    assert firing.timeline_text() == "Alert firing: HighErrorRate - Checkout 5xx ratio above 5%"
    assert resolved.timeline_text() == (
        "Alert resolved: HighErrorRate - Checkout 5xx ratio above 5%"
    )


def test_it_keeps_alerts_consistent() -> None:
    [firing] = parse_webhook(fixture(FIRING))
    with pytest.raises(ValueError):
        replace(firing, ends_at=START)  # only a resolved alert has an end
    with pytest.raises(ValueError):
        replace(firing, starts_at=datetime(2026, 11, 26))  # naive
    with pytest.raises(TypeError):
        firing.labels["env"] = "dev"  # type: ignore[index]
    assert len({firing, *parse_webhook(fixture(FIRING))}) == 1


# -- identity ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "starts_at",
    [
        "2026-11-26T19:23:18.441250922Z",
        "2026-11-26T19:23:18.4412509220Z",
        "2026-11-26T19:23:18.441250922z",
        "2026-11-26T20:23:18.441250922+01:00",
        "2026-11-26T18:53:18.441250922-00:30",
        "2026-11-26T20:23:18.441250922+0100",
    ],
)
def test_it_keys_equal_instants_alike(starts_at: str) -> None:
    [alert] = parse_webhook(with_alert(startsAt=starts_at))
    assert alert.key == CHECKOUT_KEY
    assert alert.starts_at == START


def test_it_tells_apart_starts_one_nanosecond_apart() -> None:
    [alert] = parse_webhook(with_alert(startsAt="2026-11-26T19:23:18.441250923Z"))
    assert alert.key == "69c2e62f0b0aec37@2026-11-26T19:23:18.441250923Z"
    assert alert.starts_at == START  # Python keeps microseconds; the key keeps the rest


def test_it_writes_whole_seconds_without_a_fraction() -> None:
    [alert] = parse_webhook(with_alert(startsAt="2026-11-26T19:23:18.000Z"))
    assert alert.key == "69c2e62f0b0aec37@2026-11-26T19:23:18Z"


def test_it_compares_fingerprints_in_lower_case() -> None:
    [alert] = parse_webhook(with_alert(fingerprint="69C2E62F0B0AEC37"))
    assert alert.key == CHECKOUT_KEY


def test_it_keeps_one_alert_per_key_the_last_one_winning() -> None:
    body = fixture(FIRING)
    again = copy.deepcopy(body["alerts"][0])
    again["annotations"] = {"summary": "later words"}
    body["alerts"].append(again)
    [alert] = parse_webhook(body)
    assert alert.summary == "later words"


def test_it_takes_an_end_in_the_future_as_still_firing() -> None:
    [alert] = parse_webhook(with_alert(endsAt="2026-11-26T19:28:18Z"))
    assert (alert.status, alert.ends_at) == (AlertStatus.FIRING, None)


def test_it_reads_a_missing_end_as_firing() -> None:
    body = fixture(FIRING)
    del body["alerts"][0]["endsAt"]
    assert parse_webhook(body)[0].ends_at is None


# -- what is ignored -----------------------------------------------------------------------------


def test_it_ignores_fields_newer_alertmanagers_add() -> None:
    body = fixture(FIRING)
    body["notification_reason"] = "repeat"  # 0.32+
    body["routeLabels"] = {"team": "ops"}  # 0.34+
    body["alerts"][0]["silencedBy"] = []
    assert parse_webhook(body) == parse_webhook(fixture(FIRING))


@pytest.mark.parametrize(
    ("sent", "name"),
    [
        ("team\\.ops", "team.ops"),
        ("incident-webhook", "incident-webhook"),
        ("a\\+b\\*\\(c\\)\\[d\\]\\{e\\}\\^f\\$g\\|h\\?", "a+b*(c)[d]{e}^f$g|h?"),
        ("back\\\\slash", "back\\slash"),
        ("plain\\d", "plain\\d"),  # QuoteMeta never writes \d: left as sent
    ],
)
def test_it_unescapes_receiver_names(sent: str, name: str) -> None:
    assert unescape_receiver(sent) == name
    body = fixture(FIRING)
    body["receiver"] = sent
    assert parse_webhook(body)[0].receiver == name


def test_it_counts_the_alerts_alertmanager_left_out() -> None:
    body = fixture(FIRING)
    body["truncatedAlerts"] = 12
    assert parse_webhook(body)[0].group_truncated == 12


def test_it_names_an_alert_without_alertname_by_its_fingerprint() -> None:
    body = fixture(FIRING)
    del body["alerts"][0]["labels"]["alertname"]
    del body["alerts"][0]["annotations"]["summary"]
    [alert] = parse_webhook(body)
    assert alert.name == "alert 69c2e62f0b0aec37"
    assert alert.summary is None


def test_it_takes_the_description_when_there_is_no_summary() -> None:
    [alert] = parse_webhook(with_alert(annotations={"description": "Many\n  5xx  "}))
    assert alert.summary == "Many 5xx"


def test_it_names_an_alert_with_a_blank_alertname_by_its_fingerprint() -> None:
    [alert] = parse_webhook(with_alert(labels={"alertname": " \n "}))
    assert alert.name == "alert 69c2e62f0b0aec37"


def test_it_accepts_an_empty_group() -> None:
    body = fixture(FIRING)
    body["alerts"] = []
    assert parse_webhook(body) == []


# -- what is refused -----------------------------------------------------------------------------


@pytest.mark.parametrize("body", [None, [], "text", 4, True])
def test_it_refuses_a_body_that_is_not_an_object(body: object) -> None:
    assert refusal(body) == [("", "wrong_type")]


@pytest.mark.parametrize("version", ["3", "5", 4, None])
def test_it_refuses_other_webhook_versions(version: object) -> None:
    body = fixture(FIRING)
    body["version"] = version
    with pytest.raises(InvalidInput) as caught:
        parse_webhook(body)
    [problem] = caught.value.problems
    assert (problem.field, problem.code) == ("version", "unsupported_version")
    assert 'warroom reads version "4"' in problem.message


def test_it_requires_version_group_key_and_alerts() -> None:
    assert refusal({"receiver": "x"}) == [
        ("version", "required"),
        ("groupKey", "required"),
        ("alerts", "required"),
    ]


def test_it_names_the_json_path_of_every_problem() -> None:
    body = fixture(GROUP)
    body["alerts"][1]["startsAt"] = "yesterday"
    body["alerts"][0]["labels"]["instance"] = 9100
    body["alerts"][1]["status"] = "pending"
    assert refusal(body) == [
        ("alerts[0].labels.instance", "wrong_type"),
        ("alerts[1].status", "unknown_value"),
    ]
    body = fixture(GROUP)
    body["alerts"][1]["startsAt"] = "yesterday"
    body["alerts"][0]["fingerprint"] = "not-hex"
    assert refusal(body) == [
        ("alerts[0].fingerprint", "bad_fingerprint"),
        ("alerts[1].startsAt", "bad_time"),
    ]


def test_it_explains_a_wrong_type_in_json_terms() -> None:
    body = fixture(FIRING)
    body["alerts"][0]["labels"]["instance"] = 9100
    with pytest.raises(InvalidInput) as caught:
        parse_webhook(body)
    assert str(caught.value) == (
        "alerts[0].labels.instance: expected a string, found the number 9100"
    )


@pytest.mark.parametrize(
    ("starts_at", "code"),
    [
        ("2026-11-26T19:23:18", "bad_time"),  # no offset
        ("2026-11-26", "bad_time"),
        ("2026-02-30T00:00:00Z", "bad_time"),
        ("2026-11-26T19:23:18+24:00", "bad_time"),
        ("0001-01-01T00:00:00Z", "bad_time"),  # the zero time is no start
        ("0001-01-01T00:00:00+01:00", "bad_time"),  # before year 1 in UTC
    ],
)
def test_it_refuses_start_times_it_cannot_read(starts_at: str, code: str) -> None:
    assert refusal(with_alert(startsAt=starts_at)) == [("alerts[0].startsAt", code)]


def test_it_refuses_a_resolved_alert_without_an_end() -> None:
    body = fixture(RESOLVED)
    body["alerts"][0]["endsAt"] = "0001-01-01T00:00:00Z"
    assert refusal(body) == [("alerts[0].endsAt", "missing_end")]


def test_it_refuses_a_resolved_alert_ending_before_it_starts() -> None:
    body = fixture(RESOLVED)
    body["alerts"][0]["endsAt"] = "2026-11-26T19:23:18Z"
    assert refusal(body) == [("alerts[0].endsAt", "bad_time")]


def test_it_refuses_nul_characters_wherever_they_are() -> None:
    body = fixture(FIRING)
    body["groupKey"] = "a\x00b"
    body["alerts"][0]["labels"]["env"] = "prod\x00"
    body["alerts"][0]["annotations"]["summary"] = "\x00"
    body["alerts"][0]["generatorURL"] = "http://x/\x00"
    assert refusal(body) == [
        ("groupKey", "nul_character"),
        ("alerts[0].labels.env", "nul_character"),
        ("alerts[0].annotations.summary", "nul_character"),
        ("alerts[0].generatorURL", "nul_character"),
    ]


def test_it_replaces_other_control_characters_and_lone_surrogates() -> None:
    [alert] = parse_webhook(
        with_alert(
            annotations={
                "summary": "red \x1b[31m \ud800 bell\x07",
                "runbook": "line 1\nline 2\ttab",
            }
        )
    )
    assert alert.annotations["summary"] == "red \ufffd[31m \ufffd bell\ufffd"
    assert alert.annotations["runbook"] == "line 1\nline 2\ttab"


def test_it_refuses_odd_label_names() -> None:
    assert refusal(with_alert(labels={"": "x"})) == [('alerts[0].labels[""]', "empty")]
    assert refusal(with_alert(labels={"a\x01": "x"})) == [
        ('alerts[0].labels["a\\u0001"]', "control_character")
    ]


def test_it_refuses_over_long_labels_but_cuts_over_long_annotations() -> None:
    long_label = "x" * (MAX_LABEL_VALUE_LENGTH + 1)
    assert refusal(with_alert(labels={"alertname": "A", "query": long_label})) == [
        ("alerts[0].labels.query", "too_long")
    ]
    [alert] = parse_webhook(with_alert(annotations={"description": "y" * 50_000}))
    assert len(alert.annotations["description"]) == MAX_ANNOTATION_LENGTH
    assert alert.annotations["description"].endswith("…")
    assert alert.summary is not None and len(alert.summary) == 1024


def test_it_refuses_too_many_labels() -> None:
    labels = {f"l{i}": "v" for i in range(MAX_LABELS + 1)}
    assert refusal(with_alert(labels=labels)) == [("alerts[0].labels", "too_many")]


def test_it_refuses_more_alerts_than_its_limit() -> None:
    body = fixture(FIRING)
    body["alerts"] = body["alerts"] * (MAX_ALERTS_PER_PAYLOAD + 1)
    with pytest.raises(InvalidInput) as caught:
        parse_webhook(body)
    [problem] = caught.value.problems
    assert (problem.field, problem.code) == ("alerts", "too_many")
    assert "max_alerts: 1000" in problem.message


def test_it_drops_links_too_long_to_keep() -> None:
    [alert] = parse_webhook(with_alert(generatorURL="http://x/" + "q" * MAX_URL_LENGTH))
    assert alert.generator_url is None


def test_it_refuses_negative_and_fractional_truncation_counts() -> None:
    for count in (-1, 1.5, True, "2"):
        body = fixture(FIRING)
        body["truncatedAlerts"] = count
        assert refusal(body)[0][0] == "truncatedAlerts"


# -- nothing else ever comes out -----------------------------------------------------------------


def _result_or_invalid(body: object) -> None:
    try:
        alerts = parse_webhook(body)
    except InvalidInput as exc:
        assert exc.problems
        return
    assert all(isinstance(alert, AlertIn) for alert in alerts)
    assert len({alert.key for alert in alerts}) == len(alerts)


@given(json_values)
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_it_turns_any_json_value_into_alerts_or_invalid_input(body: object) -> None:
    _result_or_invalid(body)


@given(mutations([fixture(name) for name in ALL]))
@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
def test_it_turns_any_mutated_payload_into_alerts_or_invalid_input(body: object) -> None:
    _result_or_invalid(body)
