"""Incident status lifecycle: every move checked against a table written out by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warroom.domain.errors import IllegalTransition, InvalidInput
from warroom.domain.incident import Incident
from warroom.domain.lifecycle import (
    Status,
    allowed_next,
    check_reopen,
    check_transition,
    parse_status,
)
from warroom.domain.timeline import EntryKind

T0 = datetime(2025, 11, 8, 14, 2, tzinfo=UTC)

# What change_status accepts: row = current status, column = new status.
# Forward moves, the step back from identified/monitoring, resolved -> closed; nothing
# out of closed, and never resolved -> an active status (that is a reopen).
_GRID = """
                declared  triage  investigating  identified  monitoring  resolved  closed
declared        .         Y       Y              Y           Y           Y         .
triage          .         .       Y              Y           Y           Y         .
investigating   .         .       .              Y           Y           Y         .
identified      .         .       Y              .           Y           Y         .
monitoring      .         .       Y              Y           .           Y         .
resolved        .         .       .              .           .           .         Y
closed          .         .       .              .           .           .         .
"""


def _parse_grid(grid: str) -> set[tuple[Status, Status]]:
    header, *rows = [line.split() for line in grid.strip().splitlines()]
    allowed = set()
    for row in rows:
        current, marks = Status(row[0]), row[1:]
        assert len(marks) == len(header)
        for new, mark in zip(header, marks, strict=True):
            if mark == "Y":
                allowed.add((current, Status(new)))
    return allowed


CHANGE_ALLOWED = _parse_grid(_GRID)
REOPEN_FROM = {Status.RESOLVED, Status.CLOSED}
REOPEN_TO = {Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING}
ALL_PAIRS = [(a, b) for a in Status for b in Status]


def _incident(status: Status) -> Incident:
    return Incident(
        id="INC-2025-1108-001", title="Database outage", severity="SEV-1", status=status
    )


def test_allowed_next_lists_exactly_the_moves_of_the_table() -> None:
    assert {(s, n) for s in Status for n in allowed_next(s)} == CHANGE_ALLOWED
    assert len(CHANGE_ALLOWED) == 5 + 4 + 3 + 3 + 3 + 1


@pytest.mark.parametrize(("current", "new"), ALL_PAIRS, ids=lambda s: s.value)
def test_it_allows_exactly_the_moves_of_the_table(current: Status, new: Status) -> None:
    incident = _incident(current)
    if (current, new) in CHANGE_ALLOWED:
        entry = incident.change_status(new, at=T0, by="Jane Doe")
        assert incident.status == new
        assert incident.timeline == [entry]
        assert entry.at == T0
        assert entry.author == "Jane Doe"
        assert entry.text == f"Status changed from {current.value} to {new.value}"
        assert new in allowed_next(current)
    else:
        with pytest.raises(IllegalTransition) as refused:
            incident.change_status(new, at=T0, by="Jane Doe")
        assert incident.status == current
        assert incident.timeline == []
        assert current.value in refused.value.message
        assert new.value in refused.value.message
        assert new not in allowed_next(current)


@pytest.mark.parametrize("status", list(Status), ids=lambda s: s.value)
def test_it_refuses_a_move_to_the_same_status(status: Status) -> None:
    with pytest.raises(IllegalTransition, match=f"already {status.value}"):
        check_transition(status, status)


@pytest.mark.parametrize("new", sorted(REOPEN_TO), ids=lambda s: s.value)
def test_it_refuses_to_leave_resolved_for_an_active_status_without_reopening(new: Status) -> None:
    with pytest.raises(IllegalTransition) as refused:
        check_transition(Status.RESOLVED, new)
    message = refused.value.message
    assert message.startswith(f"the incident is resolved; moving it to {new.value} reopens it")
    assert "reopen it explicitly with a reason" in message


def test_it_says_a_closed_incident_has_no_next_status() -> None:
    with pytest.raises(IllegalTransition) as refused:
        check_transition(Status.CLOSED, Status.DECLARED)
    assert refused.value.message == (
        "cannot move an incident from closed to declared; allowed next: none (reopen it first)"
    )


def test_it_lists_the_allowed_next_statuses_when_refusing() -> None:
    with pytest.raises(IllegalTransition) as refused:
        check_transition(Status.INVESTIGATING, Status.CLOSED)
    assert refused.value.message == (
        "cannot move an incident from investigating to closed; "
        "allowed next: identified, monitoring, resolved"
    )


@pytest.mark.parametrize(
    ("new", "kind"),
    [
        (Status.IDENTIFIED, EntryKind.IDENTIFIED),
        (Status.MONITORING, EntryKind.MITIGATED),
        (Status.RESOLVED, EntryKind.RESOLVED),
        (Status.TRIAGE, EntryKind.UPDATE),
        (Status.INVESTIGATING, EntryKind.UPDATE),
    ],
    ids=lambda v: v.value,
)
def test_it_records_a_status_change_with_the_kind_the_metrics_read(
    new: Status, kind: EntryKind
) -> None:
    incident = _incident(Status.DECLARED)
    entry = incident.change_status(new, at=T0, by=None, text="Found it")
    assert entry.kind == kind
    assert entry.text == "Found it"


@pytest.mark.parametrize(("current", "new"), ALL_PAIRS, ids=lambda s: s.value)
def test_it_reopens_only_from_resolved_or_closed_to_an_active_status(
    current: Status, new: Status
) -> None:
    incident = _incident(current)
    if current in REOPEN_FROM and new in REOPEN_TO:
        entry = incident.reopen(new, at=T0, by="Jane Doe", reason="  fix did not hold ")
        assert incident.status == new
        assert incident.timeline == [entry]
        assert entry.kind == EntryKind.UPDATE
        assert entry.text == (
            f"Incident reopened ({current.value} -> {new.value}): fix did not hold"
        )
    else:
        with pytest.raises(IllegalTransition):
            incident.reopen(new, at=T0, by="Jane Doe", reason="fix did not hold")
        assert incident.status == current
        assert incident.timeline == []


def test_it_reopens_a_resolved_incident_that_change_status_refused() -> None:
    incident = _incident(Status.RESOLVED)
    with pytest.raises(IllegalTransition):
        incident.change_status(Status.INVESTIGATING, at=T0, by="Jane Doe")
    incident.reopen(Status.INVESTIGATING, at=T0, by="Jane Doe", reason="errors are back")
    assert incident.status == Status.INVESTIGATING


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
@pytest.mark.parametrize("current", sorted(REOPEN_FROM), ids=lambda s: s.value)
def test_it_refuses_to_reopen_without_a_reason(current: Status, reason: str) -> None:
    incident = _incident(current)
    with pytest.raises(IllegalTransition, match="reopening an incident needs a reason"):
        incident.reopen(Status.INVESTIGATING, at=T0, by="Jane Doe", reason=reason)
    assert incident.status == current
    assert incident.timeline == []


def test_it_names_the_status_when_refusing_to_reopen_an_active_incident() -> None:
    with pytest.raises(IllegalTransition) as refused:
        check_reopen(Status.MONITORING, Status.INVESTIGATING, "why not")
    assert refused.value.message == (
        "only a resolved or closed incident can be reopened; this one is monitoring"
    )


def test_it_names_the_allowed_targets_when_reopening_to_a_wrong_status() -> None:
    with pytest.raises(IllegalTransition) as refused:
        check_reopen(Status.CLOSED, Status.RESOLVED, "why not")
    assert refused.value.message == (
        "a reopened incident goes back to one of identified, investigating, monitoring"
    )


def test_it_parses_a_status_case_and_space_insensitively() -> None:
    assert parse_status(" Resolved ") == Status.RESOLVED


def test_it_refuses_an_unknown_status_naming_the_known_ones() -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_status("done")
    assert refused.value.problems[0].field == "status"
    assert refused.value.problems[0].message == (
        "unknown status 'done'; expected one of declared, triage, investigating, "
        "identified, monitoring, resolved, closed"
    )


def test_only_resolved_and_closed_are_inactive() -> None:
    assert {s for s in Status if not s.is_active} == {Status.RESOLVED, Status.CLOSED}


# -- any sequence of attempts ----------------------------------------------------------------

_ATTEMPTS = st.lists(
    st.tuples(
        st.sampled_from(["change", "reopen"]),
        st.sampled_from(list(Status)),
        st.sampled_from(["", " ", "the fix did not hold"]),
    ),
    max_size=25,
)


@settings(max_examples=150, deadline=None)
@given(start=st.sampled_from(list(Status)), attempts=_ATTEMPTS)
def test_any_sequence_of_attempts_follows_the_table(
    start: Status, attempts: list[tuple[str, Status, str]]
) -> None:
    incident = _incident(start)
    for minute, (how, new, reason) in enumerate(attempts):
        before, timeline_before = incident.status, list(incident.timeline)
        at = T0 + timedelta(minutes=minute)
        if how == "change":
            expected = (before, new) in CHANGE_ALLOWED
        else:
            expected = before in REOPEN_FROM and new in REOPEN_TO and bool(reason.strip())
        try:
            if how == "change":
                entry = incident.change_status(new, at=at, by="Jane Doe")
            else:
                entry = incident.reopen(new, at=at, by="Jane Doe", reason=reason)
        except IllegalTransition:
            assert not expected, f"{how} {before.value} -> {new.value} was refused"
            assert incident.status == before
            assert incident.timeline == timeline_before
            continue
        assert expected, f"{how} {before.value} -> {new.value} was accepted"
        assert incident.status == new
        assert incident.status in set(Status)
        assert incident.timeline == [*timeline_before, entry]
        assert entry.at == at
        if new == Status.CLOSED:
            assert before == Status.RESOLVED
