"""The outbox: messages stored with the decision to send them, delivered one at a time,
retried with a pause that doubles, failed when out of tries, uncertain (never re-sent by
itself) when the receiver may have them, and never handed to a transport twice, even with
several couriers at once (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest

from conftest import Clock
from support import outbox_kind
from support.notices import Recorder, courier
from warroom.notify import TransportError
from warroom.services import outbox
from warroom.services.context import Context
from warroom.store import outbox as store


@pytest.fixture(autouse=True)
def _test_kind(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(outbox.KINDS, "test", "support.outbox_kind")  # type: ignore[index]
    outbox_kind.UNWANTED.clear()
    outbox_kind.GONE.clear()
    yield


def put(ctx: Context, *keys: str, channel: str = "email", max_attempts: int = 3) -> None:
    def work(conn: object) -> None:
        outbox.queue(
            conn,
            ctx,
            [  # type: ignore[arg-type]
                outbox.Message(
                    key=key,
                    kind="test",
                    channel=channel,
                    recipient=f"{key}@example.com",
                    body=f"hello {key}",
                    message_id=f"<{key}@test>",
                    subject=key,
                )
                for key in keys
            ],
            created_by="test",
            max_attempts=max_attempts,
        )

    ctx.db.write(work)  # type: ignore[arg-type]


def rows(ctx: Context) -> dict[str, store.Stored]:
    with ctx.db.reading() as conn:
        from sqlalchemy import select

        from warroom.store.tables import outbox as table

        ids = conn.execute(select(table.c.id)).scalars().all()
        found = [store.get(conn, i) for i in ids]
    return {s.message.key: s for s in found if s is not None}


def run(ctx: Context, recorder: Recorder, **options: object) -> int:
    return courier(ctx, recorder, **options).run(threading.Event(), until_idle=True)


def test_it_delivers_each_message_once(any_ctx: Context) -> None:
    put(any_ctx, "a", "b", "c")
    recorder = Recorder()
    assert run(any_ctx, recorder) == 3
    assert [m.subject for m in recorder.sent] == ["a", "b", "c"]
    assert {s.state for s in rows(any_ctx).values()} == {"sent"}
    assert run(any_ctx, recorder) == 0 and len(recorder.sent) == 3


def test_the_same_key_is_never_queued_twice(any_ctx: Context) -> None:
    from warroom.store.database import DatabaseUnavailable

    put(any_ctx, "a")
    with pytest.raises((Exception, DatabaseUnavailable)):
        put(any_ctx, "a")
    assert len(rows(any_ctx)) == 1


def test_a_temporary_failure_is_retried_after_a_pause_that_doubles(
    any_ctx: Context, clock: Clock
) -> None:
    put(any_ctx, "a", max_attempts=3)
    recorder = Recorder(script=[TransportError("451 try later"), TransportError("451")])
    assert run(any_ctx, recorder) == 1
    first = rows(any_ctx)["a"]
    assert (first.state, first.attempts) == ("pending", 1)
    assert first.next_attempt_at == clock.now + timedelta(seconds=30)
    assert run(any_ctx, recorder) == 0  # not due yet
    clock.advance(seconds=30)
    assert run(any_ctx, recorder) == 1
    second = rows(any_ctx)["a"]
    assert second.next_attempt_at == clock.now + timedelta(seconds=60)
    clock.advance(seconds=60)
    assert run(any_ctx, recorder) == 1
    done = rows(any_ctx)["a"]
    assert (done.state, done.attempts, done.sent_at) == ("sent", 3, clock.now)
    assert len(recorder.sent) == 3


def test_it_fails_a_message_out_of_tries_or_refused_for_good(
    any_ctx: Context, clock: Clock
) -> None:
    put(any_ctx, "a", max_attempts=2)
    put(any_ctx, "b")
    recorder = Recorder(
        script=[TransportError("timed out"), TransportError("550 no such user", permanent=True)]
    )
    run(any_ctx, recorder)
    clock.advance(seconds=30)
    run(any_ctx, Recorder(script=[TransportError("timed out again")]))
    found = rows(any_ctx)
    assert found["a"].state == "failed"
    assert "gave up after 2 tries" in (found["a"].last_error or "")
    assert found["b"].state == "failed" and found["b"].attempts == 1


def test_a_message_the_receiver_may_have_is_uncertain_and_not_sent_again(
    any_ctx: Context, clock: Clock
) -> None:
    put(any_ctx, "a")
    recorder = Recorder(script=[TransportError("no answer", uncertain=True)])
    run(any_ctx, recorder)
    clock.advance(hours=1)
    run(any_ctx, recorder)
    assert rows(any_ctx)["a"].state == "uncertain"
    assert len(recorder.sent) == 1


def test_a_worker_that_died_while_sending_leaves_its_message_uncertain(
    any_ctx: Context, clock: Clock
) -> None:
    put(any_ctx, "a", "b")
    dead = courier(any_ctx, Recorder(), timeout=10.0)
    claimed = dead.step()  # "a" is claimed and handed over; the worker dies before step 3
    assert claimed is not None and claimed[0].message.key == "a"
    assert rows(any_ctx)["a"].state == "sending"
    recorder = Recorder()
    clock.advance(seconds=5)  # within the lease: not touched
    run(any_ctx, recorder)
    assert rows(any_ctx)["a"].state == "sending"
    assert [m.subject for m in recorder.sent] == ["b"]
    clock.advance(seconds=30)  # the lease (2 x 10 + 1 s) ran out
    run(any_ctx, recorder)
    found = rows(any_ctx)["a"]
    assert found.state == "uncertain" and "stopped while sending" in (found.last_error or "")
    assert [m.subject for m in recorder.sent] == ["b"]
    # a worker that was only slow still records what it knows
    assert dead.step(outbox._Try(claimed[0])) is None
    assert rows(any_ctx)["a"].state == "sent"


def test_a_message_no_longer_wanted_is_cancelled_unsent(any_ctx: Context) -> None:
    put(any_ctx, "a", "b")
    outbox_kind.UNWANTED.add("a")
    recorder = Recorder()
    run(any_ctx, recorder)
    found = rows(any_ctx)
    assert (found["a"].state, found["a"].last_error) == ("cancelled", "not wanted any more")
    assert [m.subject for m in recorder.sent] == ["b"]


def test_a_receiver_gone_for_good_is_told_to_its_kind(any_ctx: Context) -> None:
    put(any_ctx, "a", channel="webhook")
    run(any_ctx, Recorder(script=[TransportError("410 Gone", gone=True)]))
    found = rows(any_ctx)["a"]
    assert found.state == "failed" and [found.id] == outbox_kind.GONE


def test_several_couriers_hand_each_message_over_once(any_ctx: Context) -> None:
    keys = [f"m{i:03d}" for i in range(60)]
    put(any_ctx, *keys)
    recorder = Recorder()
    couriers = [courier(any_ctx, recorder) for _ in range(4)]
    for n, c in enumerate(couriers):
        c.name = f"courier-{n}"
    threads = [
        threading.Thread(target=c.run, args=(threading.Event(),), kwargs={"until_idle": True})
        for c in couriers
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(m.subject or "" for m in recorder.sent) == keys
    assert {s.state for s in rows(any_ctx).values()} == {"sent"}


def test_a_courier_without_a_mail_server_leaves_emails_for_one_that_has_it(
    any_ctx: Context,
) -> None:
    put(any_ctx, "mail")
    put(any_ctx, "hook", channel="webhook")
    recorder = Recorder()
    assert run(any_ctx, recorder, smtp_url=None) == 1
    assert [m.channel for m in recorder.sent] == ["webhook"]
    assert rows(any_ctx)["mail"].state == "pending"
    assert run(any_ctx, recorder) == 1 and rows(any_ctx)["mail"].state == "sent"
