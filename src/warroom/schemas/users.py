"""JSON shapes of registered people."""

from __future__ import annotations

from collections.abc import Sequence

from warroom.schemas.base import Schema
from warroom.store.users import User


class UserPublic(Schema):
    name: str
    roles: list[str]
    has_password: bool

    @classmethod
    def of(cls, user: User) -> UserPublic:
        return cls(name=user.name, roles=list(user.roles), has_password=user.has_password)


class UsersPublic(Schema):
    data: list[UserPublic]
    count: int

    @classmethod
    def of(cls, users: Sequence[User]) -> UsersPublic:
        return cls(data=[UserPublic.of(u) for u in users], count=len(users))
