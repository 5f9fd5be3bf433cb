"""Exponential backoff with jitter, for retrying a ledger that is down.

Delays double from ``base`` up to ``cap``; each is scaled by a random factor in
[0.5, 1.0] so a chain's tills, all cut off by the same outage, do not come back in
lockstep and hammer the ledger together.
"""

from __future__ import annotations

import random


class Backoff:
    """Delays for consecutive failures; ``reset`` after a success."""

    def __init__(
        self, base: float = 1.0, cap: float = 60.0, rng: random.Random | None = None
    ) -> None:
        if base <= 0 or cap < base:
            raise ValueError("backoff needs 0 < base <= cap")
        self.base = base
        self.cap = cap
        self.failures = 0
        self._rng = rng or random.Random()

    def next_delay(self) -> float:
        """The delay before the next attempt; counts one more failure."""
        ceiling = min(self.cap, self.base * 2 ** min(self.failures, 30))
        self.failures += 1
        return float(ceiling * self._rng.uniform(0.5, 1.0))

    def reset(self) -> None:
        self.failures = 0
