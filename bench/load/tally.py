"""What one generator process saw: latencies by kind, errors by kind, each till's high water.

A tally is plain data (lists, dicts) so that it crosses a process boundary as is and
tallies of several processes add up (:func:`merge`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

PUSH = "push"
"""A steady till's batch of 1-5 events."""
BACKLOG = "backlog"
"""A batch of the store coming back after a day offline (100 events by default)."""
PULL = "pull"
"""One page of ``GET /v1/changes``."""


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(
        default_factory=lambda: {PUSH: [], BACKLOG: [], PULL: []}
    )
    """Seconds per successful request, by kind."""
    events: dict[str, int] = field(default_factory=lambda: {PUSH: 0, BACKLOG: 0})
    """Events the ledger answered as applied (accepted or duplicate), by kind."""
    errors: Counter[str] = field(default_factory=Counter)
    """Failed requests and refused events, by kind (``http 503``, ``timeout``...)."""
    high_water: dict[str, int] = field(default_factory=dict)
    """Each terminal's high water as the ledger last answered it."""
    sent: dict[str, int] = field(default_factory=dict)
    """Each terminal's count of events the generator made and sent at least once."""
    cpu_seconds: float = 0.0
    """User and system CPU the generator process used while its tills ran."""
    unfinished: int = 0
    """Tills whose work was cut off by the run's end (a backlog not fully pushed)."""

    def add_latency(self, kind: str, seconds: float) -> None:
        self.latencies[kind].append(seconds)


def merge(tallies: list[Tally]) -> Tally:
    """One tally of several processes' tallies."""
    total = Tally()
    for tally in tallies:
        for kind, values in tally.latencies.items():
            total.latencies.setdefault(kind, []).extend(values)
        for kind, count in tally.events.items():
            total.events[kind] = total.events.get(kind, 0) + count
        total.errors.update(tally.errors)
        total.high_water.update(tally.high_water)
        total.sent.update(tally.sent)
        total.cpu_seconds += tally.cpu_seconds
        total.unfinished += tally.unfinished
    return total


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (``share`` in 0..1) of ``values``; 0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]
