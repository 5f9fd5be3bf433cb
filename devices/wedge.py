"""Telling a keyboard-wedge scanner from a person typing.

A keyboard-wedge scanner types the code and Enter into whatever has the focus, and
the app sees ordinary key presses. What gives it away is speed: a scanner sends
each key a few milliseconds after the last, a person rarely faster than 60-100 ms
apart. :class:`WedgeDetector` is fed the characters typed (with the time each
arrived, from any monotonic clock) and, at Enter, says whether the line ended in a
scanner burst.

Only the *end* of the line matters: a cashier who typed two digits and then scanned
a card has typed a line whose last thirteen characters are the scan. The burst is
the longest run of trailing keys each at most ``max_gap`` after the previous one
(Enter included); it is a scan when it has at least ``min_length`` characters and
its mean gap is below ``max_mean_gap``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_MAX_MEAN_GAP = 0.030
DEFAULT_MIN_LENGTH = 4
DEFAULT_MAX_GAP = 0.100


@dataclass(frozen=True, slots=True)
class WedgeLine:
    """What was typed up to Enter, and whether its end came from a scanner."""

    text: str
    """Everything typed since the last Enter."""
    burst: str
    """The trailing fast run of characters (the scan, if :attr:`from_scanner`)."""
    from_scanner: bool
    """True when :attr:`burst` was typed far faster than a person types."""
    mean_gap: float | None
    """Mean seconds between the burst's keys (Enter included), None if too short."""


def is_scanner_burst(
    times: Sequence[float],
    max_mean_gap: float = DEFAULT_MAX_MEAN_GAP,
    min_length: int = DEFAULT_MIN_LENGTH,
) -> bool:
    """True if keys at ``times`` (characters then Enter) look like one scanner burst."""
    if len(times) < min_length + 1:
        return False
    return (times[-1] - times[0]) / (len(times) - 1) < max_mean_gap


class WedgeDetector:
    """Accumulates typed characters and classifies each line at Enter."""

    def __init__(
        self,
        max_mean_gap: float = DEFAULT_MAX_MEAN_GAP,
        min_length: int = DEFAULT_MIN_LENGTH,
        max_gap: float = DEFAULT_MAX_GAP,
    ) -> None:
        if max_mean_gap <= 0 or max_gap <= 0:
            raise ValueError("gaps must be positive")
        if min_length < 1:
            raise ValueError("min_length must be at least 1")
        self.max_mean_gap = max_mean_gap
        self.min_length = min_length
        self.max_gap = max_gap
        self._chars: list[str] = []
        self._times: list[float] = []

    def key(self, character: str, at: float) -> None:
        """Record one printable character typed at ``at``."""
        self._chars.append(character)
        self._times.append(at)

    def backspace(self) -> None:
        """Forget the last character (a person correcting; scanners never do this)."""
        if self._chars:
            self._chars.pop()
            self._times.pop()

    def reset(self) -> None:
        """Forget the line (the input was cleared or lost focus)."""
        self._chars.clear()
        self._times.clear()

    def enter(self, at: float) -> WedgeLine:
        """Enter was pressed at ``at``: classify the line and start a new one."""
        times = [*self._times, at]
        start = len(times) - 1
        while start > 0 and times[start] - times[start - 1] <= self.max_gap:
            start -= 1
        burst_times = times[start:]
        burst = "".join(self._chars[start:])
        text = "".join(self._chars)
        self.reset()
        mean_gap = (
            (burst_times[-1] - burst_times[0]) / (len(burst_times) - 1)
            if len(burst_times) > 1
            else None
        )
        scanned = len(burst) >= self.min_length and is_scanner_burst(
            burst_times, self.max_mean_gap, self.min_length
        )
        return WedgeLine(text=text, burst=burst, from_scanner=scanned, mean_gap=mean_gap)
