"""Maintenance records as SLA exclusion windows: only announced, not cancelled records
whose scope holds the incident's; the SLA's one notice rule then judges them, so
"announced too late" comes from the recorded announcement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from warroom.domain.errors import InvalidInput
from warroom.domain.maintenance import MaintenanceRecord, check_schedule, exclusion_windows
from warroom.domain.scope import Scope
from warroom.domain.sla import Month, SlaPolicy, Tier, exclusion_findings

NOV = Month(2025, 11)
START = datetime(2025, 11, 8, 13, 45, tzinfo=UTC)


def record(
    record_id: int = 1,
    *,
    announced: timedelta | None = timedelta(hours=18),
    scope: Scope | None = None,
    cancelled: bool = False,
    start: datetime = START,
) -> MaintenanceRecord:
    return MaintenanceRecord(
        id=record_id,
        title="DB cluster connection pool maintenance",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        scope=scope or Scope(),
        announced_at=start - announced if announced is not None else None,
        cancelled_at=start if cancelled else None,
    )


def test_an_announced_record_becomes_a_window_with_its_announcement() -> None:
    (window,) = exclusion_windows([record()], NOV, Scope())
    assert (window.start, window.end) == (START, START + timedelta(hours=1))
    assert window.announced_at == START - timedelta(hours=18)
    assert "maintenance record 1" in (window.description or "")


def test_the_reference_window_is_flagged_announced_too_late_from_the_record() -> None:
    policy = SlaPolicy(
        tiers=(Tier("enterprise", Decimal("99.95"), ()),),
        notice_hours=48,
        maintenance_windows=exclusion_windows([record()], NOV, Scope()),
    )
    (finding,) = exclusion_findings(policy, NOV, incident_start=START + timedelta(minutes=17))
    assert finding.announced_late and not finding.counts and finding.incident_began_inside
    in_time = SlaPolicy(
        tiers=policy.tiers,
        notice_hours=48,
        maintenance_windows=(
            exclusion_windows([record(announced=timedelta(hours=72))], NOV, Scope())
        ),
    )
    assert exclusion_findings(in_time, NOV)[0].counts


@pytest.mark.parametrize(
    ("made", "why"),
    [
        (record(announced=None), "never announced: excuses nothing"),
        (record(cancelled=True), "cancelled"),
        (record(start=datetime(2025, 12, 2, tzinfo=UTC)), "another month"),
    ],
)
def test_records_that_excuse_nothing_make_no_window(made: MaintenanceRecord, why: str) -> None:
    assert exclusion_windows([made], NOV, Scope()) == (), why


def test_a_record_counts_only_for_incidents_inside_its_scope() -> None:
    eu_db = record(scope=Scope(regions=("eu-west",), services=("db",)))
    assert exclusion_windows([eu_db], NOV, Scope(regions=("eu-west",), services=("db",)))
    assert exclusion_windows([eu_db], NOV, Scope(regions=("eu-west",), services=None)) == ()
    assert exclusion_windows([eu_db], NOV, Scope()) == ()  # an outage everywhere
    everywhere = record()
    assert exclusion_windows([everywhere], NOV, Scope(regions=("us-east",)))
    assert eu_db.touches(Scope(services=("db", "api"))) and not eu_db.touches(
        Scope(regions=("us-east",))
    )


def test_a_window_month_end_spanning_is_in_both_months() -> None:
    late = record(start=datetime(2025, 11, 30, 23, 30, tzinfo=UTC))
    assert exclusion_windows([late], NOV, Scope())
    assert exclusion_windows([late], Month(2025, 12), Scope())


def test_scheduling_checks_the_window() -> None:
    check_schedule(title="Upgrade", starts_at=START, ends_at=START + timedelta(hours=2))
    for title, end, field in (
        ("", START + timedelta(hours=1), "title"),
        ("Upgrade", START, "end"),
        ("Upgrade", START + timedelta(days=15), "end"),
        ("Up\x00grade", START + timedelta(hours=1), "title"),
    ):
        with pytest.raises(InvalidInput) as refused:
            check_schedule(title=title, starts_at=START, ends_at=end)
        assert refused.value.problems[0].field == field
