"""/api/v1/me and /api/v1/users: who the token acts as, and the registered people."""

from __future__ import annotations

from fastapi import APIRouter

from warroom.api.deps import ActingContext
from warroom.api.routes import API_PREFIX
from warroom.schemas.base import Schema
from warroom.schemas.users import UserPublic, UsersPublic
from warroom.services import users as service

router = APIRouter(prefix=API_PREFIX, tags=["people"])


class MePublic(Schema):
    user: UserPublic
    token_id: str | None
    channel: str


@router.get("/me", response_model=MePublic, summary="Who this token acts as")
def me(ctx: ActingContext) -> MePublic:
    return MePublic(
        user=UserPublic.of(service.whoami(ctx)), token_id=ctx.token_id, channel=ctx.channel.value
    )


@router.get("/users", response_model=UsersPublic, summary="Registered people and roles")
def list_users(ctx: ActingContext) -> UsersPublic:
    return UsersPublic.of(service.list_users(ctx))
