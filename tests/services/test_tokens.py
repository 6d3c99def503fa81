"""Presented tokens: whom they stand for, and how long a server trusts what it read."""

from __future__ import annotations

from datetime import timedelta

from conftest import Clock
from support.people import acting
from warroom.services import tokens
from warroom.services.context import Context
from warroom.services.tokens import INTAKE_CACHE_TTL, Scope, TokenCache


def admin(ctx: Context) -> Context:
    return acting(ctx, "Ada Admin")


def test_it_trusts_a_valid_intake_token_for_the_cache_ttl_only(ctx: Context, clock: Clock) -> None:
    info, token = tokens.create(admin(ctx), "alertmanager", scope=Scope.INTAKE)
    cache = TokenCache()
    found = tokens.authenticate(ctx.db, token, clock(), cache)
    assert found is not None and (found.name, found.scope) == ("alertmanager", Scope.INTAKE)
    tokens.revoke(admin(ctx), info.id)
    clock.advance(seconds=INTAKE_CACHE_TTL.total_seconds() - 1)
    assert tokens.authenticate(ctx.db, token, clock(), cache) == found  # within the delay
    assert tokens.authenticate(ctx.db, token, clock()) is None  # a server without the cache
    clock.advance(seconds=1)
    assert tokens.authenticate(ctx.db, token, clock(), cache) is None
    assert tokens.authenticate(ctx.db, token, clock() + timedelta(hours=1), cache) is None


def test_it_reads_an_api_token_on_every_request(ctx: Context, clock: Clock) -> None:
    info, token = tokens.create(ctx, "Riley Responder")
    cache = TokenCache()
    assert tokens.authenticate(ctx.db, token, clock(), cache) is not None
    tokens.revoke(ctx, info.id)
    assert tokens.authenticate(ctx.db, token, clock(), cache) is None  # at once


def test_an_intake_token_past_its_expiry_stops_at_once(ctx: Context, clock: Clock) -> None:
    _, token = tokens.create(admin(ctx), "alertmanager", scope=Scope.INTAKE, expires_days=1)
    cache = TokenCache()
    clock.advance(days=1, seconds=-1)
    assert tokens.authenticate(ctx.db, token, clock(), cache) is not None
    clock.advance(seconds=1)
    assert tokens.authenticate(ctx.db, token, clock(), cache) is None


def test_it_never_answers_for_another_secret_from_the_cache(ctx: Context, clock: Clock) -> None:
    _, token = tokens.create(admin(ctx), "alertmanager", scope=Scope.INTAKE)
    cache = TokenCache()
    assert tokens.authenticate(ctx.db, token, clock(), cache) is not None
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")  # the same id, another secret
    assert tokens.authenticate(ctx.db, forged, clock(), cache) is None
    assert tokens.authenticate(ctx.db, f"  {token} ", clock(), cache) is not None


def test_a_full_cache_starts_again_empty(ctx: Context, clock: Clock) -> None:
    cache = TokenCache(size=2)
    made = [tokens.create(admin(ctx), f"sender-{n}", scope=Scope.INTAKE) for n in range(3)]
    for _, token in made:
        assert tokens.authenticate(ctx.db, token, clock(), cache) is not None
    tokens.revoke(admin(ctx), made[0][0].id)
    tokens.revoke(admin(ctx), made[2][0].id)
    # the third one emptied the cache before it was kept: the first is read again
    assert tokens.authenticate(ctx.db, made[0][1], clock(), cache) is None
    assert tokens.authenticate(ctx.db, made[2][1], clock(), cache) is not None
