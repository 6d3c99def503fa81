"""Audiences, from widest to narrowest, and the rule for who may see what."""

from __future__ import annotations

from enum import StrEnum


class Audience(StrEnum):
    PUBLIC = "public"  # the status page: anyone
    CUSTOMER = "customer"  # one customer's notice
    INTERNAL = "internal"  # staff
    CONFIDENTIAL = "confidential"  # staff with need to know (legal, finance, leadership)

    @property
    def rank(self) -> int:
        return _ORDER.index(self)

    def may_see(self, minimum: Audience) -> bool:
        """A reader of this audience may see content whose minimum audience is `minimum`.

        Content marked ``customer`` is visible to the customer and to staff, never to
        the public; content marked ``internal`` is visible to staff only.
        """
        return self.rank >= minimum.rank


_ORDER = [Audience.PUBLIC, Audience.CUSTOMER, Audience.INTERNAL, Audience.CONFIDENTIAL]
