"""Incident metrics, IDs, corrective actions, consistency and severity, computed by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from warroom.domain.errors import InvalidInput, NotFound
from warroom.domain.incident import (
    ActionStatus,
    CorrectiveAction,
    Incident,
    check_consistent,
    impact_window,
    make_incident_id,
    parse_incident_id,
    timeline_problems,
)
from warroom.domain.lifecycle import Status
from warroom.domain.metrics import (
    METRIC_NAMES,
    IncidentMetrics,
    Spread,
    incident_metrics,
    metric_spreads,
    minutes,
    percentile,
    spread,
)
from warroom.domain.severity import DEFAULT_SCALE
from warroom.domain.timeline import EntryKind, TimelineEntry
from warroom.domain.window import TimeWindow

K = EntryKind


def at(hhmm: str, day: int = 8) -> datetime:
    hour, minute = (int(x) for x in hhmm.split(":"))
    return datetime(2025, 11, day, hour, minute, tzinfo=UTC)


def entry(hhmm: str, kind: EntryKind, text: str = "something happened") -> TimelineEntry:
    return TimelineEntry(at=at(hhmm), kind=kind, text=text)


def reference_timeline() -> list[TimelineEntry]:
    return [
        entry("13:45", K.TRIGGER, "Scheduled maintenance begins on DB cluster"),
        entry("14:02", K.DETECTED, "First alerts - connection timeouts detected"),
        entry("14:08", K.DECLARED, "SEV-1 declared, incident commander assigned"),
        entry("14:30", K.IDENTIFIED, "Root cause identified - connection pool exhaustion"),
        entry("18:45", K.MITIGATED, "Primary services restored, validation underway"),
        entry("19:49", K.RESOLVED, "Full service restoration confirmed"),
    ]


def minutes_of(metrics: IncidentMetrics) -> dict[str, float | int | None]:
    return {name: minutes(metrics.get(name)) for name in ("duration", *METRIC_NAMES)}


# -- incident metrics ------------------------------------------------------------------------


def test_it_computes_the_reference_incident_metrics() -> None:
    assert minutes_of(incident_metrics(reference_timeline())) == {
        "duration": 347,  # 14:02 -> 19:49 = 5 h 47 min
        "time_to_detect": 17,  # 13:45 -> 14:02
        "time_to_declare": 6,  # 14:02 -> 14:08
        "time_to_identify": 28,  # 14:02 -> 14:30
        "time_to_mitigate": 283,  # 14:02 -> 18:45 = 4 h 43 min
        "time_to_resolve": 347,
    }


def test_the_reference_impact_window_runs_from_detection_to_resolution() -> None:
    window = impact_window(reference_timeline())
    assert window == TimeWindow(at("14:02"), at("19:49"))
    assert window is not None and window.minutes == 347


def test_impact_started_takes_precedence_over_detected_for_the_start() -> None:
    timeline = [*reference_timeline(), entry("13:50", K.IMPACT_STARTED)]
    metrics = incident_metrics(timeline)
    assert metrics.duration == timedelta(minutes=359)  # 13:50 -> 19:49
    assert metrics.time_to_resolve == timedelta(minutes=359)
    assert metrics.time_to_detect == timedelta(minutes=17)  # still trigger -> detected
    assert metrics.time_to_identify == timedelta(minutes=28)  # still from detection
    assert impact_window(timeline) == TimeWindow(at("13:50"), at("19:49"))


def test_the_first_entry_of_a_kind_counts_even_when_recorded_later() -> None:
    timeline = [
        *reference_timeline(),
        entry("13:58", K.DETECTED, "an earlier alert found afterwards"),
        entry("19:30", K.RESOLVED, "resolution was in fact earlier"),
        entry("14:05", K.DECLARED, "declared earlier than written down"),
    ]
    assert minutes_of(incident_metrics(timeline)) == {
        "duration": 332,  # 13:58 -> 19:30
        "time_to_detect": 13,  # 13:45 -> 13:58
        "time_to_declare": 7,  # 13:58 -> 14:05
        "time_to_identify": 32,  # 13:58 -> 14:30
        "time_to_mitigate": 287,  # 13:58 -> 18:45
        "time_to_resolve": 332,
    }


def test_missing_kinds_give_no_metric() -> None:
    timeline = [entry("14:02", K.DETECTED), entry("14:30", K.IDENTIFIED)]
    metrics = incident_metrics(timeline)
    assert minutes_of(metrics) == {
        "duration": None,
        "time_to_detect": None,
        "time_to_declare": None,
        "time_to_identify": 28,
        "time_to_mitigate": None,
        "time_to_resolve": None,
    }
    assert incident_metrics([]) == IncidentMetrics(None, None, None, None, None, None)


def test_a_resolution_before_the_start_gives_no_duration() -> None:
    timeline = [entry("14:02", K.DETECTED), entry("14:00", K.RESOLVED)]
    assert incident_metrics(timeline).duration is None
    assert impact_window(timeline) is None


def test_a_zero_length_incident_has_a_zero_duration_but_no_window() -> None:
    timeline = [entry("14:02", K.DETECTED), entry("14:02", K.RESOLVED)]
    assert incident_metrics(timeline).duration == timedelta(0)
    assert impact_window(timeline) is None


def test_minutes_are_ints_for_whole_minutes_and_two_decimals_otherwise() -> None:
    whole = minutes(timedelta(hours=5, minutes=47))
    assert whole == 347 and type(whole) is int
    assert type(minutes(timedelta(0))) is int
    assert minutes(timedelta(seconds=90)) == 1.5
    assert minutes(timedelta(seconds=20)) == 0.33
    assert minutes(timedelta(minutes=-3)) == -3
    assert minutes(None) is None


# -- spreads across incidents ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([10, 20, 30, 40], 0.5, 25),  # halfway between 20 and 30
        ([10, 20, 30, 40], 0.9, 37),  # position 2.7: 30 + 0.7 * 10
        ([40, 10, 30, 20], 0.9, 37),  # order of input does not matter
        ([10, 20, 30, 40, 50], 0.5, 30),  # odd count: the middle value
        ([10, 20, 30, 40, 50], 0.9, 46),  # position 3.6: 40 + 0.6 * 10
        ([7], 0.5, 7),
        ([7], 0.9, 7),
        ([3, 1, 2], 0.0, 1),
        ([3, 1, 2], 1.0, 3),
    ],
)
def test_percentile_interpolates_linearly_between_ranks(
    values: list[float], q: float, expected: float
) -> None:
    assert percentile(values, q) == pytest.approx(expected)


def test_percentile_of_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="no values"):
        percentile([], 0.5)


def test_spread_ignores_missing_values() -> None:
    deltas = [timedelta(minutes=m) for m in (40, 10, 30, 20)]
    result = spread([*deltas, None])
    assert result == Spread(count=4, median=timedelta(minutes=25), p90=timedelta(minutes=37))


def test_spread_of_nothing_has_no_median() -> None:
    assert spread([None, None]) == Spread(0, None, None)
    assert spread([]) == Spread(0, None, None)


def test_metric_spreads_give_median_and_p90_per_metric() -> None:
    reference = incident_metrics(reference_timeline())
    short = incident_metrics(
        [entry("10:00", K.TRIGGER), entry("10:05", K.DETECTED), entry("10:15", K.RESOLVED)]
    )
    spreads = metric_spreads([reference, short])
    assert list(spreads) == list(METRIC_NAMES)
    # time to detect: 17 and 5 -> median 11, p90 = 5 + 0.9 * 12 = 15.8
    assert spreads["time_to_detect"] == Spread(
        2, timedelta(minutes=11), timedelta(minutes=15, seconds=48)
    )
    # time to resolve: 347 and 10 -> median 178.5, p90 = 10 + 0.9 * 337 = 313.3
    assert spreads["time_to_resolve"] == Spread(
        2, timedelta(minutes=178, seconds=30), timedelta(minutes=313, seconds=18)
    )
    # only the reference incident was declared
    assert spreads["time_to_declare"] == Spread(1, timedelta(minutes=6), timedelta(minutes=6))


# -- incident IDs ----------------------------------------------------------------------------


def test_it_makes_the_reference_incident_id() -> None:
    assert make_incident_id(at("14:02"), 1) == "INC-2025-1108-001"
    assert parse_incident_id("INC-2025-1108-001") == (date(2025, 11, 8), 1)


def test_a_sequence_of_a_thousand_or_more_still_parses() -> None:
    assert make_incident_id(at("14:02"), 1000) == "INC-2025-1108-1000"
    assert parse_incident_id("INC-2025-1108-1000") == (date(2025, 11, 8), 1000)


def test_the_id_uses_the_utc_date_of_detection() -> None:
    new_york = timezone(timedelta(hours=-5))
    detected = datetime(2025, 11, 8, 23, 30, tzinfo=new_york)  # 04:30 UTC on the 9th
    assert make_incident_id(detected, 7) == "INC-2025-1109-007"


def test_it_refuses_a_sequence_below_one() -> None:
    with pytest.raises(ValueError, match="start at 1"):
        make_incident_id(at("14:02"), 0)


def test_it_refuses_a_naive_detection_time_for_an_id() -> None:
    with pytest.raises(ValueError, match="no UTC offset"):
        make_incident_id(datetime(2025, 11, 8, 14, 2), 1)


@pytest.mark.parametrize(
    "text",
    [
        "INC-2025-11-08-001",
        "INC-2025-1108-01",
        "inc-2025-1108-001",
        "INC-2025-1108-001x",
        "",
    ],
)
def test_it_refuses_text_that_is_not_an_incident_id(text: str) -> None:
    with pytest.raises(ValueError, match="INC-YYYY-MMDD-NNN"):
        parse_incident_id(text)


# -- corrective actions ----------------------------------------------------------------------


def _incident(**kwargs: object) -> Incident:
    return Incident(id="INC-2025-1108-001", title="Database outage", severity="SEV-1", **kwargs)  # type: ignore[arg-type]


def test_it_numbers_corrective_actions_from_one() -> None:
    incident = _incident()
    first = incident.add_action("Cap the pool size", owner="Bob", due=date(2025, 12, 15))
    second = incident.add_action("Alert on pool saturation")
    assert (first.number, second.number) == (1, 2)
    assert first == CorrectiveAction(1, "Cap the pool size", "Bob", date(2025, 12, 15))
    assert incident.actions == [first, second]


def test_it_numbers_a_new_action_after_the_highest_even_with_gaps() -> None:
    incident = _incident(actions=[CorrectiveAction(1, "a"), CorrectiveAction(3, "c")])
    assert incident.add_action("d").number == 4


def test_it_updates_an_action_in_place_keeping_its_number() -> None:
    incident = _incident()
    incident.add_action("Cap the pool size")
    incident.add_action("Alert on pool saturation")
    updated = incident.update_action(2, status=ActionStatus.DONE, owner="Ann")
    assert updated == CorrectiveAction(
        2, "Alert on pool saturation", "Ann", status=ActionStatus.DONE
    )
    assert incident.actions[1] == updated
    assert incident.action(2) == updated
    assert incident.action(1).status == ActionStatus.OPEN


def test_it_reports_an_unknown_action_as_not_found() -> None:
    incident = _incident()
    incident.add_action("Cap the pool size")
    with pytest.raises(NotFound) as missing:
        incident.action(5)
    assert missing.value.message == "incident INC-2025-1108-001 has no corrective action 5"
    with pytest.raises(NotFound):
        incident.update_action(5, status=ActionStatus.DONE)


# -- consistency -----------------------------------------------------------------------------


def test_the_reference_timeline_is_consistent_when_closed() -> None:
    assert timeline_problems(reference_timeline(), Status.CLOSED) == []
    check_consistent(_incident(status=Status.CLOSED, timeline=reference_timeline()))


def test_it_finds_a_resolution_before_the_start_of_impact() -> None:
    timeline = [entry("14:02", K.DETECTED), entry("13:59", K.RESOLVED)]
    [problem] = timeline_problems(timeline, Status.RESOLVED)
    assert (problem.field, problem.code) == ("timeline[1].at", "resolved_before_start")
    assert problem.message == (
        "the first resolved entry (2025-11-08T13:59:00Z) is before the start of impact "
        "(2025-11-08T14:02:00Z)"
    )


def test_a_resolution_at_the_start_is_not_a_problem() -> None:
    timeline = [entry("14:02", K.DETECTED), entry("14:02", K.RESOLVED)]
    assert timeline_problems(timeline, Status.RESOLVED) == []


@pytest.mark.parametrize("status", [Status.RESOLVED, Status.CLOSED], ids=str)
def test_it_finds_a_finished_status_without_a_resolved_entry(status: Status) -> None:
    timeline = [entry("14:02", K.DETECTED)]
    [problem] = timeline_problems(timeline, status)
    assert (problem.field, problem.code) == ("status", "illegal_status")
    assert problem.message == f"status '{status.value}' needs a 'resolved' timeline entry"
    with pytest.raises(InvalidInput):
        check_consistent(_incident(status=status, timeline=timeline))


def test_an_active_incident_needs_no_resolved_entry() -> None:
    assert timeline_problems([entry("14:02", K.DETECTED)], Status.MONITORING) == []


def test_impact_started_is_the_start_the_resolution_is_checked_against() -> None:
    timeline = [
        entry("13:50", K.DETECTED),
        entry("14:02", K.IMPACT_STARTED),
        entry("14:00", K.RESOLVED),
    ]
    assert [p.code for p in timeline_problems(timeline, Status.CLOSED)] == ["resolved_before_start"]


# -- severity --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["sev1", "1", "SEV-1", "SEV1", " sev-1 ", "Sev_1"])
def test_it_reads_every_usual_spelling_of_sev1(text: str) -> None:
    assert DEFAULT_SCALE.parse(text) == "SEV-1"


@pytest.mark.parametrize("text", ["SEV-5", "0", "critical", "SEV-01", ""])
def test_it_refuses_an_unknown_severity_naming_the_allowed_ones(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        DEFAULT_SCALE.parse(text, field="incident.severity")
    [problem] = refused.value.problems
    assert (problem.field, problem.code) == ("incident.severity", "bad_severity")
    assert problem.message == (
        f"unknown severity {text!r}; expected one of SEV-1, SEV-2, SEV-3, SEV-4"
    )


def test_the_default_scale_runs_from_critical_to_minor() -> None:
    assert DEFAULT_SCALE.names == ("SEV-1", "SEV-2", "SEV-3", "SEV-4")
    assert [level.rank for level in DEFAULT_SCALE.levels] == [1, 2, 3, 4]
    assert DEFAULT_SCALE.get("SEV-1").label == "Critical"
    assert DEFAULT_SCALE.get("SEV-4").label == "Minor"
    assert "SEV-2" in DEFAULT_SCALE and "SEV-5" not in DEFAULT_SCALE


def test_an_organisation_can_set_its_own_definitions() -> None:
    scale = DEFAULT_SCALE.with_definitions(
        {
            "SEV-1": {"label": "Outage", "description": "Everyone is paged."},
            "SEV-3": {"label": "Degraded"},
        }
    )
    assert scale.get("SEV-1").label == "Outage"
    assert scale.get("SEV-1").description == "Everyone is paged."
    assert scale.get("SEV-3").label == "Degraded"
    assert scale.get("SEV-3").description == DEFAULT_SCALE.get("SEV-3").description
    assert scale.get("SEV-2") == DEFAULT_SCALE.get("SEV-2")
    assert scale.names == DEFAULT_SCALE.names
    assert DEFAULT_SCALE.get("SEV-1").label == "Critical"  # the default is untouched


def test_it_refuses_definitions_for_unknown_severities() -> None:
    with pytest.raises(InvalidInput) as refused:
        DEFAULT_SCALE.with_definitions({"SEV-9": {"label": "x"}, "P1": {"label": "y"}})
    assert [(p.field, p.code) for p in refused.value.problems] == [
        ("severities.SEV-9", "bad_severity"),
        ("severities.P1", "bad_severity"),
    ]
    assert refused.value.problems[0].message == (
        "unknown severity 'SEV-9'; expected one of SEV-1, SEV-2, SEV-3, SEV-4"
    )


def test_milestones_out_of_order_give_no_metric_rather_than_a_negative_one() -> None:
    # stored before out-of-order timelines were refused: a trigger after the detection
    timeline = [
        entry("14:02", K.DETECTED),
        entry("14:30", K.TRIGGER),
        entry("13:50", K.MITIGATED),
        entry("15:00", K.RESOLVED),
    ]
    metrics = incident_metrics(timeline)
    assert metrics.time_to_detect is None and metrics.time_to_mitigate is None
    assert minutes(metrics.duration) == 58
    assert metric_spreads([metrics])["time_to_detect"].count == 0


@pytest.mark.parametrize(
    ("kinds", "code"),
    [
        ([("14:30", K.TRIGGER), ("14:02", K.DETECTED)], "trigger_after_detection"),
        ([("14:02", K.DETECTED), ("13:59", K.DECLARED)], "declared_before_detection"),
        ([("14:02", K.DETECTED), ("14:01", K.MITIGATED)], "mitigated_before_detection"),
        (
            [("14:00", K.IMPACT_STARTED), ("14:02", K.DETECTED), ("13:59", K.RESOLVED)],
            "resolved_before_start",
        ),
    ],
)
def test_it_names_the_entry_out_of_order(kinds: list[tuple[str, EntryKind]], code: str) -> None:
    timeline = [entry(hhmm, kind) for hhmm, kind in kinds]
    problems = timeline_problems(timeline, Status.INVESTIGATING)
    assert [p.code for p in problems] == [code]
