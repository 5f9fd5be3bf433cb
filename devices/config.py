"""A serial scanner's settings, strictly validated, with errors that name the key.

The till's config file has a ``[scanner]`` table; :meth:`ScannerConfig.from_mapping`
reads it. Unknown keys are refused rather than ignored, because a misspelt
``baudrate`` silently falling back to 9600 costs an installer an afternoon.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Final, get_args

from devices.errors import ScannerConfigError
from devices.framing import (
    DEFAULT_DUPLICATE_WINDOW,
    DEFAULT_IDLE_GAP,
    DEFAULT_MAX_LENGTH,
    SUFFIXES,
    Suffix,
)

_PARITIES: Final = {
    "n": "N",
    "none": "N",
    "e": "E",
    "even": "E",
    "o": "O",
    "odd": "O",
    "m": "M",
    "mark": "M",
    "s": "S",
    "space": "S",
}


@dataclass(frozen=True, slots=True)
class ScannerConfig:
    """How to reach a serial scanner and how to read what it sends."""

    port: str
    """A device path (prefer ``/dev/serial/by-id/...``) or any pyserial URL
    (``socket://host:port``, ``rfc2217://host:port``, ``spy://...``, ``loop://``)."""
    baudrate: int = 9600
    """Line speed; Honeywell's RS-232 preset is 115200, Zebra's standard is 9600."""
    bytesize: int = 8
    """Data bits: 5, 6, 7 or 8."""
    parity: str = "N"
    """``N``, ``E``, ``O``, ``M`` or ``S`` (``none``, ``even``, ... are accepted)."""
    stopbits: float = 1
    """1, 1.5 or 2."""
    suffix: Suffix = "auto"
    """What ends a scan: ``auto``, ``cr``, ``lf``, ``crlf``, ``etx`` or ``none``."""
    idle_gap: float = DEFAULT_IDLE_GAP
    """Seconds of silence that end a scan from a scanner without suffix."""
    duplicate_window: float = DEFAULT_DUPLICATE_WINDOW
    """Seconds within which the same code counts once; 0 turns this off."""
    max_length: int = DEFAULT_MAX_LENGTH
    """Longest scan accepted, in bytes."""
    exclusive: bool = True
    """Lock the port so no other program (ModemManager, a second till) reads it."""
    reconnect_initial: float = 0.1
    """First wait before reopening a lost port; doubles on each failure."""
    reconnect_max: float = 1.0
    """Longest wait between reopen attempts, so a replug is seen within a second."""

    def __post_init__(self) -> None:
        self._check()

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], section: str = "") -> ScannerConfig:
        """Build from a config table; a wrong key or value raises naming the key.

        ``section`` (for example ``"scanner"``) prefixes the key in error messages.
        """
        prefix = f"{section}." if section else ""
        known = {f.name for f in fields(cls)}
        for key in data:
            if key not in known:
                raise ScannerConfigError(
                    prefix + str(key), f"unknown setting; known ones are {', '.join(sorted(known))}"
                )
        if "port" not in data:
            raise ScannerConfigError(prefix + "port", "is missing; give the scanner's port")
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name in data:
                values[f.name] = _coerce(prefix + f.name, f.name, data[f.name])
        try:
            return cls(**values)
        except ScannerConfigError as error:
            raise ScannerConfigError(prefix + error.key, error.message.split(": ", 1)[1]) from None

    def _check(self) -> None:
        if not self.port:
            raise ScannerConfigError("port", "is empty; give the scanner's port")
        if self.baudrate <= 0:
            raise ScannerConfigError("baudrate", f"must be positive, not {self.baudrate}")
        if self.bytesize not in (5, 6, 7, 8):
            raise ScannerConfigError("bytesize", f"must be 5, 6, 7 or 8, not {self.bytesize}")
        if self.parity not in ("N", "E", "O", "M", "S"):
            raise ScannerConfigError(
                "parity", f"must be none, even, odd, mark or space, not {self.parity!r}"
            )
        if self.stopbits not in (1, 1.5, 2):
            raise ScannerConfigError("stopbits", f"must be 1, 1.5 or 2, not {self.stopbits}")
        if self.suffix not in SUFFIXES:
            raise ScannerConfigError(
                "suffix", f"must be one of {', '.join(SUFFIXES)}, not {self.suffix!r}"
            )
        if self.idle_gap <= 0:
            raise ScannerConfigError("idle_gap", "must be a positive number of seconds")
        if self.duplicate_window < 0:
            raise ScannerConfigError("duplicate_window", "cannot be negative")
        if self.max_length < 1:
            raise ScannerConfigError("max_length", "must be at least 1")
        if not 0 < self.reconnect_initial <= self.reconnect_max:
            raise ScannerConfigError(
                "reconnect_initial", "must be positive and at most reconnect_max"
            )


def _coerce(key: str, name: str, value: Any) -> Any:
    """Check one value's type; numbers may be given as ints where floats are expected."""
    if name in ("port", "suffix"):
        if not isinstance(value, str):
            raise ScannerConfigError(key, f"must be text, not {value!r}")
        if name == "suffix" and value.lower() not in get_args(Suffix):
            raise ScannerConfigError(key, f"must be one of {', '.join(SUFFIXES)}, not {value!r}")
        return value.lower() if name == "suffix" else value
    if name == "parity":
        if not isinstance(value, str) or value.lower() not in _PARITIES:
            raise ScannerConfigError(key, f"must be none, even, odd, mark or space, not {value!r}")
        return _PARITIES[value.lower()]
    if name == "exclusive":
        if not isinstance(value, bool):
            raise ScannerConfigError(key, f"must be true or false, not {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScannerConfigError(key, f"must be a number, not {value!r}")
    if name in ("baudrate", "bytesize", "max_length"):
        if value != int(value):
            raise ScannerConfigError(key, f"must be a whole number, not {value!r}")
        return int(value)
    return float(value)
