"""Executive summaries generated from the data, for incidents nobody has summarised yet.

People edit the summary with `warroom incident update --summary` (staff) and
`--public-summary` (everyone else); a written summary always wins over these.
"""

from __future__ import annotations

from warroom.domain.redaction import IncidentView
from warroom.domain.timeline import EntryKind
from warroom.domain.window import TimeWindow
from warroom.reports import numbers


def staff_summary(
    view: IncidentView,
    *,
    window: TimeWindow | None,
    severity_label: str | None,
    customers_affected: int | None,
    customers_total: int | None,
    users_affected: int | None,
) -> str:
    """Impact, duration, root cause and restoration in a few sentences, from the record.

    "On November 8, 2025, a SEV-1 (Critical) incident affected 847 customers (100% of
    the customer base) and ~52,000 users for 5 hours 47 minutes (14:02 - 19:49 UTC). ..."
    """
    label = f"{view.severity} ({severity_label})" if severity_label else view.severity
    if window is None:
        return (
            f'A {label} incident, "{view.title}", is '
            f"{numbers.humanize(view.status).lower()}; its impact window is not known "
            "yet."
        )
    sentences = [
        _impact_sentence(window, label, customers_affected, customers_total, users_affected)
    ]
    if view.root_cause:
        sentences.append(f"Root cause: {_first_sentence(view.root_cause)}")
    sentences.append(_restoration(view, window))
    return " ".join(sentences)


def outside_summary(view: IncidentView) -> str:
    """The public wording: what and whether it is over. Nothing internal; the report shows
    the times next to it."""
    if view.status in ("resolved", "closed"):
        return f"{view.title}. The service has been fully restored."
    return f"{view.title}. We are working to restore the service and will post updates."


def _impact_sentence(
    window: TimeWindow, label: str, affected: int | None, total: int | None, users: int | None
) -> str:
    who = []
    if affected is not None:
        customers = f"{numbers.grouped(affected)} customer{'' if affected == 1 else 's'}"
        if total:
            customers += f" ({numbers.share(affected, total)} of the customer base)"
        who.append(customers)
    if users is not None:
        # in words: a "~" would be read as Markdown strikethrough in people's text
        who.append(f"{numbers.about(users, words=True).lower()} users")
    reached = f"affected {' and '.join(who)}" if who else "lasted"
    times = f"{numbers.hhmm(window.start)} - {numbers.clock(window.end, window.start.date())} UTC"
    return (
        f"On {numbers.long_date(window.start)}, a {label} incident {reached} for "
        f"{numbers.duration(window.duration)} ({times})."
    )


def _restoration(view: IncidentView, window: TimeWindow) -> str:
    mitigated = next((e for e in view.timeline if e.kind is EntryKind.MITIGATED), None)
    day = window.start.date()
    ended = f"full service was restored at {numbers.clock(window.end, day)} UTC"
    if mitigated is not None and mitigated.at < window.end:
        return f"Impact was mitigated at {numbers.clock(mitigated.at, day)} UTC and {ended}."
    return ended[0].upper() + ended[1:] + "."


def _first_sentence(text: str) -> str:
    first = " ".join(text.split())
    for end in (". ", "! ", "? "):
        if end in first:
            first = first.split(end, 1)[0] + end.strip()
            break
    return first if first.endswith((".", "!", "?")) else first + "."
