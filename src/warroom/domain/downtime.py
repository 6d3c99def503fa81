"""When a minute is down for a customer: the measured-downtime rule, its defaults and its checks.

docs/definitions.md, "Measured down minute": a UTC minute is down for a customer when failed
/ requests >= `error_rate_threshold` and failed >= `min_failed_requests`; minutes without
requests are never down. The SLA policy's ``downtime`` section sets the two values; the
analytics run exactly this rule in SQL (`warroom.analytics.impact`), and the tests hold the
SQL to `DowntimeRule.is_down`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from warroom.domain.errors import InvalidInput, Problem

DEFAULT_ERROR_RATE_THRESHOLD = Decimal("0.05")
DEFAULT_MIN_FAILED_REQUESTS = 1

# The rule is compared without dividing: failed × den >= requests × num, where num/den is
# the threshold in lowest terms, so that the engines' 64-bit integers give the exact answer.
# At most 9 decimal places keeps den <= 10^9, which leaves room for 9 × 10^9 requests in
# one customer's minute before a product could overflow.
MAX_DECIMAL_PLACES = 9


@dataclass(frozen=True)
class DowntimeRule:
    """The measured down-minute rule. A rule that breaks it is refused when made
    (InvalidInput, every problem at once), so any DowntimeRule can be run as it is."""

    error_rate_threshold: Decimal = DEFAULT_ERROR_RATE_THRESHOLD
    min_failed_requests: int = DEFAULT_MIN_FAILED_REQUESTS

    def __post_init__(self) -> None:
        problems = rule_problems(self.error_rate_threshold, self.min_failed_requests)
        if problems:
            raise InvalidInput(problems)

    @property
    def threshold_ratio(self) -> tuple[int, int]:
        """The threshold as (num, den) in lowest terms: 0.05 is (1, 20)."""
        return self.error_rate_threshold.as_integer_ratio()

    def is_down(self, failed: int, requests: int) -> bool:
        """Whether a minute with `requests` requests, `failed` of them failed, is down."""
        if requests <= 0 or failed < self.min_failed_requests:
            return False
        num, den = self.threshold_ratio
        return failed * den >= requests * num


def rule_problems(threshold: object, min_failed: object) -> list[Problem]:
    """Everything wrong with a would-be rule, with field paths of the policy's
    ``downtime`` section (so a policy file can point at the line)."""
    problems = []
    if not isinstance(threshold, Decimal) or not threshold.is_finite() or not (0 < threshold <= 1):
        problems.append(
            Problem(
                "downtime.error_rate_threshold",
                "out_of_range",
                f"error_rate_threshold must be a fraction above 0 and at most 1 "
                f"(0.05 means 5 %), got {threshold}",
            )
        )
    elif 10**MAX_DECIMAL_PLACES % threshold.as_integer_ratio()[1]:
        problems.append(
            Problem(
                "downtime.error_rate_threshold",
                "too_precise",
                f"error_rate_threshold {threshold} has more than {MAX_DECIMAL_PLACES} decimal "
                "places",
            )
        )
    if isinstance(min_failed, bool) or not isinstance(min_failed, int) or min_failed < 1:
        problems.append(
            Problem(
                "downtime.min_failed_requests",
                "out_of_range",
                f"min_failed_requests must be a whole number of at least 1, got {min_failed}",
            )
        )
    return problems
