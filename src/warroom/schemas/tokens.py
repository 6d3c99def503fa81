"""JSON shapes of API and intake tokens (never their secrets)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from warroom.schemas.base import Schema, UtcTime
from warroom.services.tokens import TokenInfo


class TokenPublic(Schema):
    id: str
    name: str
    scope: str
    created_at: UtcTime
    created_by: str
    expires_at: UtcTime | None
    last_used_at: UtcTime | None
    revoked_at: UtcTime | None
    state: str  # active | expired | revoked

    @classmethod
    def of(cls, token: TokenInfo, now: datetime) -> TokenPublic:
        return cls(
            id=token.id,
            name=token.name,
            scope=token.scope,
            created_at=token.created_at,
            created_by=token.created_by,
            expires_at=token.expires_at,
            last_used_at=token.last_used_at,
            revoked_at=token.revoked_at,
            state=token.state(now),
        )


class TokensPublic(Schema):
    data: list[TokenPublic]
    count: int

    @classmethod
    def of(cls, tokens: Sequence[TokenInfo], now: datetime) -> TokensPublic:
        return cls(data=[TokenPublic.of(t, now) for t in tokens], count=len(tokens))
