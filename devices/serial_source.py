"""Reading a serial scanner in a thread that survives unplugging.

:class:`SerialScanner` owns its read loop instead of using pyserial's
``ReaderThread``, which ends silently when the device disappears. The thread knows
nothing of the UI: it calls ``on_scan`` for every scan or rejected input and
``on_status`` for every change of connection state, from the reader thread. A
Textual app passes callbacks that call ``post_message`` (thread-safe) and nothing else.

Guarantees:

* the thread keeps running until :meth:`SerialScanner.stop`, whatever the port does:
  ``SerialException`` and ``OSError`` (unplug, EIO, refused connection) lead to a
  ``disconnected`` status and a reopen with exponential backoff
  (``reconnect_initial`` doubling up to ``reconnect_max``, by default 0.1 s to 1 s);
* a ``/dev/serial/by-id/...`` symlink is resolved again at each reopen, so a scanner
  that comes back under a new ``/dev/ttyACM*`` name is found;
* statuses arrive in order: ``connecting``, then ``connected`` or
  ``disconnected(reason)``, ...; while reopening keeps failing for the same reason
  nothing more is reported; ``stopped`` is the last status;
* a scan cut off by an unplug is reported as rejected, never delivered as a scan;
* an exception raised by a callback is logged and does not stop the reader;
* :meth:`SerialScanner.stop` returns within a fraction of a second (the read times
  out every ``POLL_INTERVAL`` seconds to look at the stop flag).
"""

from __future__ import annotations

import errno
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

import serial

from devices.config import ScannerConfig
from devices.decoder import ScanDecoder, ScanResult

__all__ = ["ScannerConfig", "ScannerState", "ScannerStatus", "SerialScanner"]

log = logging.getLogger(__name__)

POLL_INTERVAL: Final = 0.05
_READ_CHUNK: Final = 4096


class ScannerState(StrEnum):
    """Where the reader is in its life."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class ScannerStatus:
    """A change in the scanner connection, for the status bar and the logs."""

    state: ScannerState
    port: str
    """The port as configured (a by-id path or a URL)."""
    device: str | None = None
    """What was opened: the resolved device path (``/dev/ttyACM1``) or the URL."""
    reason: str | None = None
    """For ``disconnected``: why, in words an installer can act on."""

    @property
    def message(self) -> str:
        """One line for a person."""
        if self.state is ScannerState.CONNECTING:
            return f"Connecting to the scanner at {self.port}…"
        if self.state is ScannerState.CONNECTED:
            return f"Scanner ready ({self.device})."
        if self.state is ScannerState.DISCONNECTED:
            return f"Scanner not available: {self.reason}"
        return "Scanner stopped."


ScanCallback = Callable[[ScanResult], None]
StatusCallback = Callable[[ScannerStatus], None]


def resolve_port(port: str) -> str:
    """The device to open now: a URL as given, a path with its symlinks resolved."""
    if "://" in port:
        return port
    return os.path.realpath(port)


def describe_error(error: BaseException, port: str) -> str:
    """Turn a pyserial or OS error into a reason an installer can act on."""
    code = getattr(error, "errno", None)
    text = str(error)
    if code == errno.ENOENT or "No such file" in text:
        return f"no scanner at {port}; check that it is plugged in and the port is right"
    if code == errno.EACCES or "Permission denied" in text:
        return f"no permission to open {port}; add the till's user to the dialout group"
    if code == errno.EBUSY or "exclusively lock" in text:
        return f"{port} is in use by another program (a second till, ModemManager?)"
    if code == errno.ECONNREFUSED or "Connection refused" in text:
        return f"nothing is listening at {port}"
    if (
        code == errno.EIO
        or "readiness to read" in text
        or "disconnected" in text
        or "read failed" in text
    ):
        return "the scanner was unplugged or stopped responding"
    return f"{port}: {text}"


class SerialScanner:
    """A scanner on a serial port or pyserial URL, read in a background thread."""

    def __init__(
        self,
        config: ScannerConfig,
        on_scan: ScanCallback,
        on_status: StatusCallback,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self._on_scan = on_scan
        self._on_status = on_status
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._status = ScannerStatus(ScannerState.STOPPED, config.port)
        self._decoder = ScanDecoder(
            suffix=config.suffix,
            idle_gap=config.idle_gap,
            max_length=config.max_length,
            duplicate_window=config.duplicate_window,
        )

    @property
    def status(self) -> ScannerStatus:
        """The last status reported."""
        return self._status

    @property
    def running(self) -> bool:
        """True while the reader thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the reader thread; it reports ``connecting`` at once."""
        if self._thread is not None:
            raise RuntimeError("this scanner reader was already started")
        self._thread = threading.Thread(
            target=self._run, name=f"scanner {self.config.port}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Ask the thread to end, close the port and wait for it (normally < 0.1 s)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def __enter__(self) -> SerialScanner:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _run(self) -> None:
        config = self.config
        delay = config.reconnect_initial
        announce = True
        last_failure: str | None = None
        try:
            while not self._stop.is_set():
                if announce:
                    self._report(ScannerStatus(ScannerState.CONNECTING, config.port))
                    announce = False
                device = resolve_port(config.port)
                try:
                    connection = self._open(device)
                except Exception as error:
                    reason = describe_error(error, config.port)
                    if reason != last_failure:
                        self._report(
                            ScannerStatus(ScannerState.DISCONNECTED, config.port, device, reason)
                        )
                        last_failure = reason
                    self._stop.wait(delay)
                    delay = min(delay * 2, config.reconnect_max)
                    continue
                last_failure = None
                self._report(ScannerStatus(ScannerState.CONNECTED, config.port, device))
                opened_at = self._clock()
                try:
                    lost = self._read_until_lost(connection)
                finally:
                    _close_quietly(connection)
                if lost is None:
                    break
                self._report(ScannerStatus(ScannerState.DISCONNECTED, config.port, device, lost))
                announce = True
                if self._clock() - opened_at >= config.reconnect_max:
                    delay = config.reconnect_initial
                self._stop.wait(delay)
                delay = min(delay * 2, config.reconnect_max)
        finally:
            self._report(ScannerStatus(ScannerState.STOPPED, config.port))

    def _open(self, device: str) -> Any:
        config = self.config
        connection = serial.serial_for_url(device, do_not_open=True)
        connection.baudrate = config.baudrate
        connection.bytesize = config.bytesize
        connection.parity = config.parity
        connection.stopbits = config.stopbits
        connection.timeout = min(POLL_INTERVAL, config.idle_gap / 2)
        if config.exclusive:
            try:
                connection.exclusive = True
            except (AttributeError, ValueError):
                log.debug("%s does not support exclusive access", device)
        connection.open()
        return connection

    def _read_until_lost(self, connection: Any) -> str | None:
        """Read and deliver until stopped (None) or the port fails (the reason)."""
        decoder = self._decoder
        while not self._stop.is_set():
            try:
                data: bytes = connection.read(1)
                if data:
                    waiting: int = connection.in_waiting
                    if waiting:
                        data += connection.read(min(waiting, _READ_CHUNK))
            except Exception as error:
                if not isinstance(error, serial.SerialException | OSError):
                    log.exception("unexpected error reading %s", self.config.port)
                self._deliver(
                    decoder.flush(
                        "the scan was cut off: the scanner was disconnected", self._clock()
                    )
                )
                return describe_error(error, self.config.port)
            now = self._clock()
            self._deliver(decoder.feed(data, now) if data else decoder.poll(now))
        return None

    def _deliver(self, results: list[ScanResult]) -> None:
        for result in results:
            try:
                self._on_scan(result)
            except Exception:
                log.exception("the scan callback failed; the reader carries on")

    def _report(self, status: ScannerStatus) -> None:
        self._status = status
        try:
            self._on_status(status)
        except Exception:
            log.exception("the status callback failed; the reader carries on")


def _close_quietly(connection: Any) -> None:
    try:
        connection.close()
    except Exception:
        log.debug("closing %s failed", connection, exc_info=True)
