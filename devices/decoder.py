"""The whole pure pipeline from scanner bytes to scans: frame, parse, drop repeats.

:class:`ScanDecoder` is what a reader (serial port, simulator, test) feeds. It owns no
thread and no clock: the caller passes ``now``. Its output is what the app receives:
:class:`~devices.symbology.Scan` for each new scan and
:class:`~devices.framing.Rejected` for input that is not a scan. Repeats of the same
text inside the duplicate window are dropped silently (they are the same scan);
rejected input is never dropped, so garbage stays visible.
"""

from __future__ import annotations

from devices.framing import (
    DEFAULT_DUPLICATE_WINDOW,
    DEFAULT_IDLE_GAP,
    DEFAULT_MAX_LENGTH,
    DuplicateFilter,
    Framer,
    FramerResult,
    Rejected,
    Suffix,
)
from devices.symbology import Scan, parse_frame

ScanResult = Scan | Rejected


class ScanDecoder:
    """Framer + AIM parsing + duplicate suppression, fed with bytes and the time."""

    def __init__(
        self,
        suffix: Suffix = "auto",
        idle_gap: float = DEFAULT_IDLE_GAP,
        max_length: int = DEFAULT_MAX_LENGTH,
        duplicate_window: float = DEFAULT_DUPLICATE_WINDOW,
    ) -> None:
        self.framer = Framer(suffix=suffix, idle_gap=idle_gap, max_length=max_length)
        self.duplicates = DuplicateFilter(duplicate_window)

    def feed(self, data: bytes, now: float) -> list[ScanResult]:
        """Take one read's bytes received at ``now``; return the scans they complete."""
        return self._decode(self.framer.feed(data, now))

    def poll(self, now: float) -> list[ScanResult]:
        """End a scan from a scanner without suffix once the line has gone quiet."""
        return self._decode(self.framer.poll(now))

    def flush(self, reason: str, now: float) -> list[ScanResult]:
        """Refuse a partial scan, for example when the scanner is unplugged mid-scan."""
        return list(self.framer.flush(reason, now))

    def next_deadline(self) -> float | None:
        """When :meth:`poll` will next have something to do, or None."""
        return self.framer.next_deadline()

    def _decode(self, framed: list[FramerResult]) -> list[ScanResult]:
        results: list[ScanResult] = []
        for item in framed:
            parsed = item if isinstance(item, Rejected) else parse_frame(item)
            if isinstance(parsed, Scan) and self.duplicates.is_duplicate(parsed.text, parsed.at):
                continue
            results.append(parsed)
        return results
