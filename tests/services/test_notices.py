"""Customer notices: queued only behind an approval, once per (incident, customer,
approval, channel), each holding its own customer's figures only; the worker's gate
stops notices whose approval was voided."""

from __future__ import annotations

import json
import re

import pytest

from support.notices import (
    CREDITS,
    INC,
    Recorder,
    approve,
    deliver,
    notice_world,
    void_approval,
)
from support.people import acting
from warroom.domain.assessment import NotApproved
from warroom.domain.errors import Conflict, NotFound
from warroom.notify import TransportError
from warroom.notify.signing import verify
from warroom.services import notices
from warroom.services.context import Context
from warroom.store import audit
from warroom.store import outbox as outbox_store

MONEY = re.compile(r"\$\s*\d[\d,]*(?:\.\d+)?")


@pytest.fixture
def world(any_ctx: Context) -> Context:
    return notice_world(any_ctx)


def outbox_rows(ctx: Context) -> list[outbox_store.Stored]:
    with ctx.db.reading() as conn:
        return outbox_store.of_incident(conn, INC, kind=notices.KIND)


def test_it_refuses_to_queue_before_both_approvals(world: Context) -> None:
    with pytest.raises(NotApproved, match="pending_review, not approved"):
        notices.send_notices(world, INC)
    from warroom.domain.assessment import ReviewRole
    from warroom.services import sla

    sla.approve(acting(world, "Lee Legal"), INC, role=ReviewRole.LEGAL)
    with pytest.raises(NotApproved, match="missing: finance"):
        notices.send_notices(world, INC)
    assert outbox_rows(world) == []


def test_it_queues_one_notice_per_customer_and_channel_once_approved(world: Context) -> None:
    approve(world)
    queued = notices.send_notices(world, INC)
    assert (queued.messages, queued.customers, queued.already) == (3, 2, 0)
    assert queued.without_contact == ("C3",)
    rows = outbox_rows(world)
    assert sorted(
        (r.message.customer_id, r.message.channel, r.message.recipient) for r in rows
    ) == [
        ("C1", "email", "ops@acme.example;cfo@acme.example"),
        ("C1", "webhook", "http://127.0.0.1:9/acme"),
        ("C2", "email", "it@beta.example"),
    ]
    assert {r.message.revision for r in rows} == {queued.revision}
    again = notices.send_notices(world, INC)  # nothing new: never queued twice
    assert (again.messages, again.already) == (0, 2)
    assert len(outbox_rows(world)) == 3
    with world.db.reading() as conn:
        actions = [e.action for e in audit.entries(conn, entity_id=INC)]
    assert actions.count("notice.queue") == 2


def test_each_notice_holds_its_own_customer_and_credit_only(world: Context) -> None:
    approve(world)
    notices.send_notices(world, INC)
    names = {"C1": "Acme", "C2": "Beta", "C3": "Gamma"}
    for row in outbox_rows(world):
        own = row.message.customer_id
        assert own is not None
        texts = [row.message.body, row.message.body_html or ""]
        if row.message.channel == "webhook":
            texts = [json.dumps(json.loads(row.message.body))]
        for text in texts:
            assert names[own] in text
            for other, name in names.items():
                if other != own:
                    assert not re.search(rf"\b({other}|{name})\b", text), (own, other)
            amounts = {m.replace("\\", "") for m in MONEY.findall(text.replace("\\$", "$"))}
            if row.message.channel == "email":
                assert amounts == {f"${CREDITS[own]}"}, (own, amounts)
        assert "liabilit" not in row.message.body.lower()
        assert "Lee Legal" not in row.message.body and "Fay Finance" not in row.message.body


def test_the_webhook_notice_is_signed_with_the_customers_secret(world: Context) -> None:
    from warroom.services import contacts

    approve(world)
    notices.send_notices(world, INC)
    recorder = Recorder()
    assert deliver(world, recorder) == 3
    hook = next(m for m in recorder.sent if m.channel == "webhook")
    secret = contacts.webhook_secret(world, "C1")
    assert hook.secret == secret
    body = json.loads(hook.body)
    assert body["type"] == "customer_notice" and body["customer_id"] == "C1"
    assert body["report"]["customer"]["credit"]["amount"] == "1234.57"
    from warroom.notify.signing import signature

    assert verify(secret, hook.body.encode(), signature(secret, hook.body.encode(), 1000), now=1000)


def test_a_voided_approval_stops_pending_notices(world: Context) -> None:
    approve(world)
    notices.send_notices(world, INC)
    void_approval(world)
    recorder = Recorder()
    assert deliver(world, recorder) == 0
    assert recorder.sent == []
    rows = outbox_rows(world)
    assert {r.state for r in rows} == {"cancelled"}
    assert all("voided" in (r.last_error or "") for r in rows)
    with pytest.raises(NotApproved):
        notices.send_notices(world, INC)


def test_a_new_approval_is_sent_again_only_deliberately(world: Context) -> None:
    approve(world)
    first = notices.send_notices(world, INC)
    deliver(world, Recorder())
    void_approval(world)
    approve(world)
    with pytest.raises(Conflict, match="--again"):
        notices.send_notices(world, INC)
    second = notices.send_notices(world, INC, again=True)
    assert second.revision != first.revision and second.messages == 3
    recorder = Recorder()
    assert deliver(world, recorder) == 3
    assert {m.message_id for m in recorder.sent}.isdisjoint(
        {r.message.message_id for r in outbox_rows(world) if r.message.revision == first.revision}
    )


def test_one_customer_only(world: Context) -> None:
    approve(world)
    queued = notices.send_notices(world, INC, customer_id="C2")
    assert (queued.messages, queued.customers) == (1, 1)
    with pytest.raises(NotFound, match="C9"):
        notices.send_notices(world, INC, customer_id="C9")


def test_a_dry_run_stores_nothing_and_shows_no_credit_before_approval(world: Context) -> None:
    drafts = list(notices.drafts(world, INC))
    assert {d.customer_id for d in drafts} == {"C1", "C2"}
    assert all("Service Credit" not in d.message.body for d in drafts)
    assert outbox_rows(world) == []
    approve(world)
    assert any("Service Credit" in d.message.body for d in notices.drafts(world, INC))


def test_status_follows_delivery_and_failures_can_be_retried(world: Context) -> None:
    approve(world)
    notices.send_notices(world, INC)
    recorder = Recorder(script=[TransportError("550 no such user", permanent=True)])
    deliver(world, recorder)
    found = notices.notice_status(world, INC)
    assert sorted(s.state for s in found) == ["failed", "sent", "sent"]
    assert notices.summary(found)["failed"] == 1
    failed = next(s for s in found if s.state == "failed")
    assert "550" in (failed.last_error or "")
    assert notices.retry(world, INC) == 1
    deliver(world, Recorder())
    assert {s.state for s in notices.notice_status(world, INC)} == {"sent"}


def test_people_who_may_not_send_notices_are_refused(world: Context) -> None:
    from warroom.domain.errors import PermissionDenied

    approve(world)
    with pytest.raises(PermissionDenied, match="may not send customer notices"):
        notices.send_notices(acting(world, "Lee Legal"), INC)
    assert notices.notice_status(acting(world, "Lee Legal"), INC) == []
    with pytest.raises(NotFound):  # the incident is confidential: a viewer does not see it
        notices.notice_status(acting(world, "Val Viewer"), INC)
    assert outbox_rows(world) == []


def test_notices_cancelled_by_a_void_go_out_when_the_same_figures_are_approved_again(
    world: Context,
) -> None:
    from support.notices import assess

    approve(world)
    first = notices.send_notices(world, INC)
    void_approval(world)
    assert deliver(world, Recorder()) == 0  # cancelled
    assess(world)  # the first inputs again: the same figures, the same fingerprint
    approve(world)
    again = notices.send_notices(world, INC)
    assert again.revision == first.revision and (again.messages, again.already) == (3, 0)
    recorder = Recorder()
    assert deliver(world, recorder) == 3
    assert {s.state for s in notices.notice_status(world, INC)} == {"sent"}
