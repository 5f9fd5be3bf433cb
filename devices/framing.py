"""Scanner bytes in, whole scans out: framing, rejection and duplicate suppression.

A serial scanner sends each code followed by an end marker (its "suffix"): CR, LF,
CR LF or ETX, sometimes with a leading STX, and some send no marker at all so the
only sign that a scan is complete is that the line goes quiet. Reads from a port
cut that stream anywhere: one scan may arrive in several reads and several scans in
one read. :class:`Framer` turns the stream back into scans.

Guarantees (property-tested in ``tests/unit/test_devices_framing_properties.py``):

* a :class:`Frame` holds printable ASCII only (bytes 0x20-0x7E), never a control
  byte, never a non-ASCII byte and never more than ``max_length`` bytes;
* anything else that looks like a scan comes out as :class:`Rejected` with a reason
  a person can act on, so garbage is visible instead of silently dropped;
* memory stays bounded whatever arrives: an over-long frame is counted, not stored;
* time is passed in (``now``, seconds from any monotonic clock), so the code has no
  clock of its own and tests decide exactly when an idle gap has passed.

End markers by ``suffix`` setting:

* ``auto`` (default): CR, LF, CR LF (counted once) and ETX end a scan, and so does an
  idle gap, for scanners that send no suffix;
* ``cr``, ``lf``, ``crlf``, ``etx``: only that marker ends a scan (``crlf`` accepts a
  lone CR or LF too), however slowly the scan arrives; a partial scan followed by
  ``stale_after`` seconds (default 2 s) of silence is rejected as cut off, so it
  cannot glue itself to the front of the next scan;
* ``none``: only the idle gap ends a scan.

A leading STX is always dropped. An STX in the middle of a scan means the previous
scan lost its end: the partial scan is rejected and a new one starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

STX: Final = 0x02
ETX: Final = 0x03
LF: Final = 0x0A
CR: Final = 0x0D

Suffix = Literal["auto", "cr", "lf", "crlf", "etx", "none"]
SUFFIXES: Final[tuple[Suffix, ...]] = ("auto", "cr", "lf", "crlf", "etx", "none")

DEFAULT_IDLE_GAP: Final = 0.08
DEFAULT_MAX_LENGTH: Final = 512
DEFAULT_DUPLICATE_WINDOW: Final = 1.0
DEFAULT_STALE_AFTER: Final = 2.0

_END_MARKERS: Final[dict[str, frozenset[int]]] = {
    "auto": frozenset({CR, LF, ETX}),
    "cr": frozenset({CR}),
    "lf": frozenset({LF}),
    "crlf": frozenset({CR, LF}),
    "etx": frozenset({ETX}),
    "none": frozenset(),
}
_MARKER_NAMES: Final = {CR: "cr", LF: "lf", ETX: "etx"}
_SAMPLE_BYTES: Final = 64


@dataclass(frozen=True, slots=True)
class Frame:
    """One complete scan as sent by the scanner, end marker and STX removed."""

    text: str
    """The scan's characters: printable ASCII only, never empty."""
    raw_length: int
    """Bytes the scan took on the wire, markers included (the CR LF's LF excluded)."""
    ended_by: str
    """What ended it: ``"cr"``, ``"lf"``, ``"etx"`` or ``"idle"``."""
    at: float
    """The ``now`` passed with the scan's last byte."""


@dataclass(frozen=True, slots=True)
class Rejected:
    """Input that arrived where a scan was expected but is not one, with the reason."""

    reason: str
    """Why it was refused, in words for a cashier or an installer."""
    raw: bytes
    """The first bytes of the refused input, for diagnostics (at most 64)."""
    raw_length: int
    """How many bytes were refused."""
    at: float
    """The ``now`` passed with the refused input's last byte."""


FramerResult = Frame | Rejected


class Framer:
    """Splits a scanner's byte stream into :class:`Frame` and :class:`Rejected` results.

    Feed every read with :meth:`feed` and call :meth:`poll` when nothing arrived, so
    that a scan from a scanner without suffix comes out once the line has been quiet
    for ``idle_gap`` seconds (``auto`` and ``none``), and a cut-off partial scan is
    refused after ``stale_after`` seconds (fixed suffixes). :meth:`next_deadline` says
    when that will be.
    """

    def __init__(
        self,
        suffix: Suffix = "auto",
        idle_gap: float = DEFAULT_IDLE_GAP,
        max_length: int = DEFAULT_MAX_LENGTH,
        stale_after: float = DEFAULT_STALE_AFTER,
    ) -> None:
        if suffix not in _END_MARKERS:
            raise ValueError(f"unknown suffix {suffix!r}; use one of {', '.join(SUFFIXES)}")
        if idle_gap <= 0:
            raise ValueError("idle_gap must be positive")
        if max_length < 1:
            raise ValueError("max_length must be at least 1")
        if stale_after <= 0:
            raise ValueError("stale_after must be positive")
        self.suffix: Suffix = suffix
        self.idle_gap = idle_gap
        self.max_length = max_length
        self._markers = _END_MARKERS[suffix]
        self._idle_ends_scan = suffix in ("auto", "none")
        self._quiet_limit = idle_gap if self._idle_ends_scan else stale_after
        self._buffer = bytearray()
        self._sample = bytearray()
        self._raw_count = 0
        self._problem: str | None = None
        self._last: float | None = None
        self._after_cr = False

    @property
    def pending(self) -> bool:
        """True while part of a scan has arrived and its end has not."""
        return self._raw_count > 0

    def next_deadline(self) -> float | None:
        """The time at which :meth:`poll` will end the pending scan, or None."""
        if not self.pending or self._last is None:
            return None
        return self._last + self._quiet_limit

    def feed(self, data: bytes, now: float) -> list[FramerResult]:
        """Take the bytes of one read, received at ``now``; return what they complete."""
        results = self.poll(now)
        for byte in data:
            result = self._take(byte, now)
            if result is not None:
                results.append(result)
        if data:
            self._last = now
        return results

    def poll(self, now: float) -> list[FramerResult]:
        """End (or, with a fixed suffix, refuse) a pending scan once the line is quiet."""
        deadline = self.next_deadline()
        if deadline is None or now < deadline:
            return []
        at = self._last if self._last is not None else now
        if self._idle_ends_scan:
            result = self._finish("idle", at)
        else:
            result = self._reject_pending(
                f"the scan stopped before its end marker ({self.suffix.upper()}); "
                "check the scanner's suffix setting",
                at,
            )
        self._after_cr = False
        return [result] if result is not None else []

    def flush(self, reason: str, now: float) -> list[Rejected]:
        """Drop a partial scan (for example when the scanner is unplugged mid-scan)."""
        self._after_cr = False
        rejected = self._reject_pending(reason, now)
        return [rejected] if rejected is not None else []

    def _take(self, byte: int, now: float) -> FramerResult | None:
        after_cr, self._after_cr = self._after_cr, False
        if byte == LF and after_cr and not self.pending:
            return None
        if byte in self._markers:
            self._after_cr = byte == CR
            return self._finish(_MARKER_NAMES[byte], now)
        if byte == STX:
            if not self.pending:
                self._raw_count = 1
                return None
            rejected = self._reject_pending(
                "a new scan began before the previous one ended; scan again", now
            )
            self._raw_count = 1
            return rejected
        self._raw_count += 1
        if len(self._sample) < _SAMPLE_BYTES:
            self._sample.append(byte)
        if self._problem is None:
            self._problem = self._problem_with(byte)
        if self._problem is None:
            self._buffer.append(byte)
        return None

    def _problem_with(self, byte: int) -> str | None:
        if byte < 0x20 or byte == 0x7F:
            return f"the scanner sent a control byte 0x{byte:02X} inside a scan"
        if byte > 0x7F:
            return (
                f"the scanner sent a non-ASCII byte 0x{byte:02X}; "
                "check its baud rate and character settings"
            )
        if len(self._buffer) >= self.max_length:
            return f"the scan is longer than {self.max_length} bytes"
        return None

    def _finish(self, ended_by: str, at: float) -> FramerResult | None:
        if self._problem is not None:
            return self._reject_pending(self._problem, at)
        raw_length = self._raw_count + (0 if ended_by == "idle" else 1)
        text = self._buffer.decode("ascii")
        self._reset()
        if not text:
            return None
        return Frame(text=text, raw_length=raw_length, ended_by=ended_by, at=at)

    def _reject_pending(self, reason: str, at: float) -> Rejected | None:
        if not self.pending:
            return None
        problem = self._problem or reason
        rejected = Rejected(
            reason=problem, raw=bytes(self._sample), raw_length=self._raw_count, at=at
        )
        self._reset()
        return rejected

    def _reset(self) -> None:
        self._buffer.clear()
        self._sample.clear()
        self._raw_count = 0
        self._problem = None


class DuplicateFilter:
    """Counts the same scan text once while it keeps arriving within ``window`` seconds.

    Scanners in presentation mode re-read a card held under them, and cashiers scan
    twice when the beep is missed. A text is a duplicate if the same text arrived
    less than ``window`` seconds before, measured from its most recent arrival, so a
    card left under the scanner counts once however long it lies there. A window of
    zero turns suppression off. Memory stays bounded: old texts are forgotten.
    """

    def __init__(self, window: float = DEFAULT_DUPLICATE_WINDOW) -> None:
        if window < 0:
            raise ValueError("the duplicate window cannot be negative")
        self.window = window
        self._seen: dict[str, float] = {}

    def is_duplicate(self, text: str, now: float) -> bool:
        """Record that ``text`` arrived at ``now``; True if it counts as a repeat."""
        if self.window == 0:
            return False
        previous = self._seen.get(text)
        self._seen[text] = now
        if len(self._seen) > 64:
            self._forget_before(now - self.window)
        return previous is not None and 0 <= now - previous < self.window

    def _forget_before(self, cutoff: float) -> None:
        for text in [t for t, at in self._seen.items() if at < cutoff]:
            del self._seen[text]
