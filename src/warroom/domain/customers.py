"""A customer contract as the SLA sees it: tier, monthly fee, currency and regions."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Customer:
    """One row of the customer registry.

    `regions` empty means the customer is served from every region (so any regional
    incident touches it). `tier` need not exist in the SLA policy: such a customer
    simply has no SLA and earns no credit.
    """

    customer_id: str
    name: str
    tier: str
    monthly_fee: Decimal
    currency: str
    regions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Programming errors only: user input is validated (with line numbers) by the
        # registry reader before a Customer is built.
        if not self.customer_id:
            raise ValueError("a customer needs a customer_id")
        if not isinstance(self.monthly_fee, Decimal) or not self.monthly_fee.is_finite():
            raise ValueError(f"customer {self.customer_id}: monthly_fee must be a finite Decimal")
        if self.monthly_fee < 0:
            raise ValueError(f"customer {self.customer_id}: monthly_fee is negative")
        object.__setattr__(self, "regions", tuple(self.regions))
