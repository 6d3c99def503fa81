"""Which regions and services an incident touched; `None` means all of them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    regions: tuple[str, ...] | None = None  # None = all regions
    services: tuple[str, ...] | None = None  # None = all services

    @classmethod
    def everything(cls) -> Scope:
        return cls()

    @property
    def is_everything(self) -> bool:
        return self.regions is None and self.services is None

    def covers_region(self, region: str) -> bool:
        return self.regions is None or region in self.regions

    def covers_any_region(self, regions: Iterable[str] | None) -> bool:
        """True when a customer present in `regions` (None/empty = everywhere) is in scope."""
        if self.regions is None:
            return True
        wanted = list(regions or [])
        if not wanted:  # a customer served from every region is touched by any region
            return True
        return any(region in self.regions for region in wanted)
