"""The shape of one load run: how many tills, how fast, for how long."""

from __future__ import annotations

from dataclasses import dataclass

MAX_BATCH = 5
"""A steady till pushes 1..MAX_BATCH events at a time (a sale or a few)."""


@dataclass(frozen=True)
class LoadConfig:
    """One run. Steady tills push every ``interval`` seconds on average (uniformly
    spread between half and one and a half times it) and pull every ``pull_every``
    seconds; the backlog tills start pushing ``backlog_events`` each, in
    ``backlog_batch``-event batches, a third into the run."""

    tills: int = 200
    seconds: float = 60.0
    interval: float = 5.0
    pull_every: float = 30.0
    backlog_tills: int = 5
    backlog_events: int = 600
    backlog_batch: int = 100
    members: int = 20_000
    cards_per_till: int = 200
    processes: int = 2
    ledger_workers: int = 1
    """``pos-ledger serve --workers``: the ledger's server processes."""
    seed: int = 1

    def __post_init__(self) -> None:
        if self.tills < 1 or self.seconds <= 0 or self.interval <= 0 or self.pull_every <= 0:
            raise ValueError("tills, seconds, interval and pull_every must be above 0")
        if self.backlog_tills < 0 or self.backlog_events < 0 or self.backlog_batch < 1:
            raise ValueError("the backlog needs 0 or more tills and events, batches of 1+")
        if min(self.members, self.cards_per_till, self.processes, self.ledger_workers) < 1:
            raise ValueError(
                "members, cards_per_till, processes and ledger_workers must be at least 1"
            )

    @property
    def hard_limit(self) -> float:
        """Seconds after the start by which every generator must have finished."""
        return self.seconds + 60.0

    def steady_events(self) -> int:
        """The most events one steady till can push in the run (its chain's length)."""
        pushes = int(self.seconds / (self.interval * 0.5)) + 2
        return pushes * MAX_BATCH
