"""What every use case needs: the database, who is acting, the clock, the configuration."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from warroom.domain.severity import DEFAULT_SCALE, SeverityScale
from warroom.store.database import Database


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Context:
    """Passed to every service function; tests build one with a fixed clock."""

    db: Database
    actor: str
    scale: SeverityScale = DEFAULT_SCALE
    clock: Callable[[], datetime] = field(default=utc_now)
    spark_master: str = "local[*]"

    def now(self) -> datetime:
        return self.clock()
