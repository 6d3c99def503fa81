"""Incident metrics (time to detect, declare, identify, mitigate, resolve) and their spread."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from warroom.domain.timeline import EntryKind, TimelineEntry, first_of

METRIC_NAMES = (
    "time_to_detect",
    "time_to_declare",
    "time_to_identify",
    "time_to_mitigate",
    "time_to_resolve",
)


def minutes(delta: timedelta | None) -> float | int | None:
    """Whole minutes as an int (the usual case), else minutes to two decimals."""
    if delta is None:
        return None
    value = delta.total_seconds() / 60
    return int(value) if value == int(value) else round(value, 2)


@dataclass(frozen=True)
class IncidentMetrics:
    duration: timedelta | None
    time_to_detect: timedelta | None
    time_to_declare: timedelta | None
    time_to_identify: timedelta | None
    time_to_mitigate: timedelta | None
    time_to_resolve: timedelta | None

    def get(self, name: str) -> timedelta | None:
        value = getattr(self, name)
        assert value is None or isinstance(value, timedelta)
        return value


# the kinds of entry the metrics run between
MILESTONES = (
    EntryKind.TRIGGER,
    EntryKind.DETECTED,
    EntryKind.DECLARED,
    EntryKind.IDENTIFIED,
    EntryKind.MITIGATED,
    EntryKind.RESOLVED,
    EntryKind.IMPACT_STARTED,
)


def incident_metrics(timeline: Sequence[TimelineEntry]) -> IncidentMetrics:
    """Each metric runs between the first entries of two kinds; None when one is missing."""
    firsts = {
        kind: entry.at for kind in MILESTONES if (entry := first_of(timeline, kind)) is not None
    }
    return metrics_from_milestones(firsts)


def metrics_from_milestones(first: Mapping[EntryKind, datetime]) -> IncidentMetrics:
    """The metrics from the time of the first entry of each kind (all they depend on), so
    that many incidents' metrics can be computed without loading their timelines."""

    def between(a: EntryKind, b: EntryKind) -> timedelta | None:
        # milestones out of order (refused since, but kept from older records) give no
        # metric rather than a negative one that would pull the medians down
        start, end = first.get(a), first.get(b)
        if start is None or end is None or end < start:
            return None
        return end - start

    start = first.get(EntryKind.IMPACT_STARTED) or first.get(EntryKind.DETECTED)
    end = first.get(EntryKind.RESOLVED)
    # the same rule as impact_window(), but a zero-length incident still has a duration
    duration = end - start if start and end and end >= start else None
    return IncidentMetrics(
        duration=duration,
        time_to_detect=between(EntryKind.TRIGGER, EntryKind.DETECTED),
        time_to_declare=between(EntryKind.DETECTED, EntryKind.DECLARED),
        time_to_identify=between(EntryKind.DETECTED, EntryKind.IDENTIFIED),
        time_to_mitigate=between(EntryKind.DETECTED, EntryKind.MITIGATED),
        time_to_resolve=duration,
    )


@dataclass(frozen=True)
class Spread:
    """Median and 90th percentile of one metric over a group of incidents."""

    count: int
    median: timedelta | None
    p90: timedelta | None


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (the common 'inclusive' definition)."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def spread(deltas: Iterable[timedelta | None]) -> Spread:
    seconds = [d.total_seconds() for d in deltas if d is not None]
    if not seconds:
        return Spread(0, None, None)
    return Spread(
        count=len(seconds),
        median=timedelta(seconds=percentile(seconds, 0.5)),
        p90=timedelta(seconds=percentile(seconds, 0.9)),
    )


def metric_spreads(all_metrics: Sequence[IncidentMetrics]) -> dict[str, Spread]:
    return {name: spread(m.get(name) for m in all_metrics) for name in METRIC_NAMES}


def monthly_medians(
    items: Iterable[tuple[str, str, IncidentMetrics]], months: Sequence[str]
) -> dict[str, dict[str, list[float | None]]]:
    """Median of each metric per month and severity, in minutes, for charts over time.

    `items` are (month "YYYY-MM" of detection, severity, the incident's metrics); the
    result maps metric name → severity → one value per month of `months` (None: no
    incident of that severity in that month had the metric).
    """
    groups: dict[tuple[str, str], list[IncidentMetrics]] = {}
    for month, severity, metrics in items:
        groups.setdefault((month, severity), []).append(metrics)
    severities = sorted({severity for _, severity in groups})
    found: dict[str, dict[str, list[float | None]]] = {}
    for name in METRIC_NAMES:
        found[name] = {}
        for severity in severities:
            values: list[float | None] = []
            for month in months:
                median = spread(m.get(name) for m in groups.get((month, severity), [])).median
                values.append(median.total_seconds() / 60 if median is not None else None)
            found[name][severity] = values
    return found
