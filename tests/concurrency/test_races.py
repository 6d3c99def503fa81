"""Concurrent commands serialize: no lost update, no duplicate ID, no "try again".

Each round runs real `warroom` commands in parallel processes (tests/support/parallel.py)
against SQLite and a real PostgreSQL, with random start delays, over several trials; the
final state and the audit log must agree.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.cli_world import POLICY, REFERENCE_INCIDENT
from support.parallel import Crowd, crowd
from support.people import acting
from warroom.domain.assessment import NotApproved, ReviewRole, ReviewState
from warroom.formats.customer_registry import read_registry_file
from warroom.formats.incident_file import read_incident_file
from warroom.formats.sla_policy import read_policy_text
from warroom.services import incidents, sla
from warroom.services.context import Context
from warroom.store import audit
from warroom.store.database import Database

INC = "INC-2025-1108-001"
PEOPLE = 20
TRIALS = range(4)

REGISTRY_BEFORE = """customer_id,name,tier,monthly_fee,currency,regions
C1,Acme,enterprise,10000.00,USD,
C2,Beta,business,2000.00,USD,eu-west
"""
REGISTRY_AFTER = REGISTRY_BEFORE + "C3,Gamma,enterprise,30000.00,USD,\n"


@pytest.fixture(scope="module")
def people() -> Iterator[Crowd]:
    with crowd(PEOPLE) as pool:
        yield pool


@pytest.fixture
def world(any_ctx: Context) -> Context:
    """The reference incident (confidential: its commanders, legal, finance and admins see
    it) and the people of the access tests."""
    incidents.import_incidents(acting(any_ctx, "Ada Admin"), read_incident_file(REFERENCE_INCIDENT))
    return any_ctx


def url(db: Database) -> str:
    return db.engine.url.render_as_string(hide_password=False)


@pytest.mark.parametrize("trial", TRIALS)
def test_parallel_declares_on_one_day_get_distinct_ids(
    people: Crowd, world: Context, trial: int
) -> None:
    day = f"2025-11-{10 + trial:02d}"
    outcomes = people.round(
        [
            [
                "--database",
                url(world.db),
                "--as",
                "Riley Responder",
                "incident",
                "declare",
                f"Outage seen by person {i}",
                "--severity",
                "SEV-2",
                "--detected-at",
                f"{day}T10:{i:02d}:00Z",
            ]
            for i in range(PEOPLE)
        ],
        seed=trial,
    )
    failures = [o for o in outcomes if o.code != 0]
    assert failures == [], failures[0].err
    declared = sorted(
        incidents.list_incidents(world, since=_date(day), until=_date(day)), key=lambda i: i.id
    )
    assert [i.id for i in declared] == [
        f"INC-{day[:4]}-{day[5:7]}{day[8:]}-{n:03d}" for n in range(1, PEOPLE + 1)
    ]
    assert sorted(i.title for i in declared) == sorted(
        f"Outage seen by person {i}" for i in range(PEOPLE)
    )
    with world.db.reading() as conn:
        trail = [
            e
            for e in audit.entries(conn, action_prefix="incident.declare")
            if e.entity_id.startswith(f"INC-{day[:4]}-{day[5:7]}{day[8:]}")
        ]
    assert sorted(e.entity_id for e in trail) == [i.id for i in declared]


@pytest.mark.parametrize("trial", TRIALS)
def test_parallel_timeline_entries_all_land(people: Crowd, world: Context, trial: int) -> None:
    outcomes = people.round(
        [
            [
                "--database",
                url(world.db),
                "--as",
                "Riley Responder",
                "event",
                "add",
                INC,
                f"trial {trial}: note {i} from the scribe",
            ]
            for i in range(PEOPLE)
        ],
        seed=trial,
    )
    failures = [o for o in outcomes if o.code != 0]
    assert failures == [], failures[0].err  # nobody is told to try again
    texts = [e.text for e in incidents.get_incident(world, INC).timeline]
    assert sorted(t for t in texts if t.startswith(f"trial {trial}:")) == sorted(
        f"trial {trial}: note {i} from the scribe" for i in range(PEOPLE)
    )
    with world.db.reading() as conn:
        added = audit.entries(conn, entity_id=INC, action_prefix="timeline.add")
    assert len(added) == PEOPLE


@pytest.mark.parametrize("trial", range(6))
def test_a_reassessment_racing_an_approval_is_never_lost(
    people: Crowd, world: Context, tmp_path: Path, trial: int
) -> None:
    """Legal has approved; finance approves while someone re-assesses with a changed
    registry. Whatever the order, the final figures are the new ones, no approval given
    to the old figures stands, and the audit log tells the same story as the record."""
    (tmp_path / "policy.yaml").write_text(POLICY)
    (tmp_path / "before.csv").write_text(REGISTRY_BEFORE)
    (tmp_path / "after.csv").write_text(REGISTRY_AFTER)
    policy = read_policy_text(POLICY)
    sla.assess_incident(
        world,
        INC,
        policy=policy,
        customers=read_registry_file(tmp_path / "before.csv", policy=policy),
        policy_source="policy.yaml",
        customers_source="before.csv",
    )
    sla.submit(world, INC)
    sla.approve(acting(world, "Lee Legal"), INC, role=ReviewRole.LEGAL)

    reassess, approve = people.round(
        [
            [
                "--database",
                url(world.db),
                "--as",
                "Ada Admin",
                "sla",
                "assess",
                INC,
                "--customers",
                str(tmp_path / "after.csv"),
                "--policy",
                str(tmp_path / "policy.yaml"),
            ],
            [
                "--database",
                url(world.db),
                "--as",
                "Fay Finance",
                "sla",
                "approve",
                INC,
                "--role",
                "finance",
            ],
        ],
        jitter=0.08,
        seed=trial,
    )
    assert reassess.code == 0, reassess.err
    final = sla.get_assessment(world, INC)
    assert {r.customer_id for r in final.result.rows} == {"C1", "C2", "C3"}  # not lost
    assert final.review.state is not ReviewState.APPROVED  # legal's approval was voided
    assert final.review.approval(ReviewRole.LEGAL) is None

    with world.db.reading() as conn:
        trail = audit.entries(conn, entity_id=INC, action_prefix="sla.")
    last = trail[-1]
    assert last.changes["state"]["after"] == final.review.state.value
    if last.action == "sla.approved":  # approved the new figures, after the re-assessment
        assert approve.code == 0
        assert [(a.role, a.by) for a in final.review.approvals] == [
            (ReviewRole.FINANCE, "Fay Finance")
        ]
        assert last.changes["fingerprint"] == final.fingerprint
    else:  # the re-assessment came second and voided finance's approval too
        assert last.action == "sla.reassess"
        assert final.review.approvals == ()
        assert last.changes["fingerprint"] == final.fingerprint
    with pytest.raises(NotApproved):  # nothing can be billed on half an approval
        sla.approved_credits(acting(world, "Fay Finance"), INC)


def _date(text: str):  # type: ignore[no-untyped-def]
    from datetime import date

    return date.fromisoformat(text)


ALERTS = Path(__file__).parent.parent / "fixtures" / "alertmanager"


@pytest.mark.parametrize("trial", TRIALS)
def test_the_same_alerts_delivered_at_once_are_stored_once(
    people: Crowd, any_ctx: Context, trial: int
) -> None:
    """Alertmanager re-sends a group on retries and repeats, possibly to two server
    processes at the same moment: one alert, one incident, one detected entry."""
    firing = ALERTS / "alertmanager-0.25-webhook-firing-amtool.json"
    outcomes = people.round(
        [
            [
                "--database",
                url(any_ctx.db),
                "--as",
                "Ada Admin",
                "alert",
                "receive",
                str(firing),
                "--json",
            ]
            for _ in range(PEOPLE)
        ],
        seed=trial,
    )
    failures = [o for o in outcomes if o.code != 0]
    assert failures == [], failures[0].err
    import json

    results = [json.loads(o.out)[0] for o in outcomes]
    assert sorted(r["outcome"] for r in results) == ["created"] + ["duplicate"] * (PEOPLE - 1)
    assert {r["incident_id"] for r in results} == {"INC-2026-1126-001"}
    admin = acting(any_ctx, "Ada Admin")
    assert [i.id for i in incidents.list_incidents(admin)] == ["INC-2026-1126-001"]
    timeline = incidents.get_incident(admin, "INC-2026-1126-001").timeline
    assert [e.kind.value for e in timeline].count("detected") == 1
    with any_ctx.db.reading() as conn:
        assert len(audit.entries(conn, action_prefix="intake.alert")) == 1
