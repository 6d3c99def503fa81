"""Incident status and the transitions allowed between statuses."""

from __future__ import annotations

from enum import StrEnum

from warroom.domain.errors import IllegalTransition, InvalidInput, Problem


class Status(StrEnum):
    DECLARED = "declared"
    TRIAGE = "triage"
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def is_active(self) -> bool:
        return self not in (Status.RESOLVED, Status.CLOSED)


S = Status

# Forward moves, plus the step back that real incidents take (a fix that did not hold
# sends "monitoring" back to "investigating"). Leaving resolved/closed for an active
# status is a reopen: allowed only through `reopen`, which demands a reason.
_ALLOWED: dict[Status, frozenset[Status]] = {
    S.DECLARED: frozenset({S.TRIAGE, S.INVESTIGATING, S.IDENTIFIED, S.MONITORING, S.RESOLVED}),
    S.TRIAGE: frozenset({S.INVESTIGATING, S.IDENTIFIED, S.MONITORING, S.RESOLVED}),
    S.INVESTIGATING: frozenset({S.IDENTIFIED, S.MONITORING, S.RESOLVED}),
    S.IDENTIFIED: frozenset({S.INVESTIGATING, S.MONITORING, S.RESOLVED}),
    S.MONITORING: frozenset({S.INVESTIGATING, S.IDENTIFIED, S.RESOLVED}),
    S.RESOLVED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
}
_REOPEN_FROM = frozenset({S.RESOLVED, S.CLOSED})
_REOPEN_TO = frozenset({S.INVESTIGATING, S.IDENTIFIED, S.MONITORING})


def parse_status(value: str) -> Status:
    try:
        return Status(str(value).strip().lower())
    except ValueError:
        names = ", ".join(s.value for s in Status)
        raise InvalidInput(
            [
                Problem(
                    field="status",
                    code="bad_status",
                    message=f"unknown status {value!r}; expected one of {names}",
                )
            ]
        ) from None


def allowed_next(current: Status) -> frozenset[Status]:
    return _ALLOWED[current]


def check_transition(current: Status, new: Status) -> None:
    """Refuse a status change that the lifecycle does not allow."""
    if new == current:
        raise IllegalTransition(f"the incident is already {current.value}")
    if new in _ALLOWED[current]:
        return
    if current in _REOPEN_FROM and new in _REOPEN_TO:
        raise IllegalTransition(
            f"the incident is {current.value}; moving it to {new.value} reopens it — "
            "reopen it explicitly with a reason"
        )
    nexts = ", ".join(sorted(s.value for s in _ALLOWED[current])) or "none (reopen it first)"
    raise IllegalTransition(
        f"cannot move an incident from {current.value} to {new.value}; allowed next: {nexts}"
    )


def check_reopen(current: Status, new: Status, reason: str) -> None:
    if current not in _REOPEN_FROM:
        raise IllegalTransition(
            f"only a resolved or closed incident can be reopened; this one is {current.value}"
        )
    if new not in _REOPEN_TO:
        targets = ", ".join(sorted(s.value for s in _REOPEN_TO))
        raise IllegalTransition(f"a reopened incident goes back to one of {targets}")
    if not reason.strip():
        raise IllegalTransition("reopening an incident needs a reason")
