"""`incident_view`: what of an incident each audience may see (the one place that decides)."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings

from support.report_strategies import World, reference_incident, worlds
from warroom.domain.audience import Audience
from warroom.domain.redaction import incident_view, staff_names

OUTSIDE = (Audience.PUBLIC, Audience.CUSTOMER)


def test_staff_see_every_entry_action_owner_and_the_internal_wording() -> None:
    incident = reference_incident()
    view = incident_view(incident, Audience.INTERNAL)
    assert len(view.timeline) == 10 and len(view.actions) == 5
    assert [a.number for a in view.actions] == [1, 2, 3, 4, 5]
    assert view.actions[2].owner == "Jane Doe"
    assert view.root_cause == incident.root_cause
    assert view.classification == "confidential" and view.roles == {"commander": "Jane Doe"}
    assert view.metrics is not None and view.metrics.time_to_declare == timedelta(minutes=6)


def test_outside_audiences_get_public_entries_and_customer_safe_wording_only() -> None:
    incident = reference_incident()
    for audience in OUTSIDE:
        view = incident_view(incident, audience)
        assert [e.at.strftime("%H:%M") for e in view.timeline] == [
            "14:02",
            "14:15",
            "18:45",
            "19:49",
        ]
        assert all(e.author is None for e in view.timeline)
        assert view.summary == incident.public_summary
        assert view.root_cause == incident.public_root_cause
        assert view.classification is None and view.roles == {}
        assert view.contributing_factors == () and view.metrics is None


def test_outside_audiences_see_their_actions_numbered_without_gaps() -> None:
    # actions 3 and 5 of the reference incident are internal: a "4." would betray them
    view = incident_view(reference_incident(), Audience.PUBLIC)
    assert [(a.number, a.title[:20]) for a in view.actions] == [
        (1, "Configuration change"),
        (2, "Enhanced monitoring "),
        (3, "Implemented automate"),
    ]
    assert all(a.owner is None and a.link is None for a in view.actions)


@settings(max_examples=60, deadline=None)
@given(worlds())
def test_no_outside_view_names_anyone_on_staff(world: World) -> None:
    names = staff_names(world.incident)
    for audience in OUTSIDE:
        view = incident_view(world.incident, audience)
        shown = [
            view.title,
            view.summary or "",
            view.root_cause or "",
            *(e.text for e in view.timeline),
            *(a.title for a in view.actions),
            *(e.author or "" for e in view.timeline),
            *(a.owner or "" for a in view.actions),
        ]
        assert not {name for name in names if any(name in text for text in shown)}
        assert [a.number for a in view.actions] == list(range(1, len(view.actions) + 1))
