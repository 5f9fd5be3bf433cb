"""Sending a receipt to the printer, without ever breaking the sale.

A receipt is printed *after* the sale is recorded, and a printer out of paper, off,
or unplugged must not undo or block that. So nothing here raises: every function
returns a :class:`PrintResult` saying whether the printer took the bytes and, if
not, why, in words for the cashier. Each attempt is bounded by ``timeout`` seconds.
Call it from a worker thread; it blocks for at most about ``timeout`` seconds per
phase (connect, write).

Printer addresses:

* ``tcp://host:9100`` (or ``tcp://host``, port 9100 by default): a network printer
  taking raw ESC/POS on a TCP socket ("JetDirect" / port 9100 printing);
* anything else is a serial port path or pyserial URL (``/dev/serial/by-id/...``,
  ``socket://host:port``, ``rfc2217://host:port``), opened at ``baudrate``.
"""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

import serial

from devices.errors import DeviceError, PrinterError
from devices.escpos import ReceiptLines, build_receipt

log = logging.getLogger(__name__)

RAW_PRINT_PORT: Final = 9100
DEFAULT_TIMEOUT: Final = 3.0


@dataclass(frozen=True, slots=True)
class PrintResult:
    """What became of one print attempt."""

    ok: bool
    error: str | None = None
    """Why it failed, for the cashier; None when it printed."""
    bytes_sent: int = 0


def print_receipt(
    receipt: ReceiptLines, url: str, timeout: float = DEFAULT_TIMEOUT, baudrate: int = 9600
) -> PrintResult:
    """Build and send a receipt; never raises."""
    try:
        data = build_receipt(receipt)
    except DeviceError as error:
        return PrintResult(False, f"The receipt could not be printed: {error.message}")
    return send_to_printer(url, data, timeout=timeout, baudrate=baudrate)


def send_to_printer(
    url: str, data: bytes, timeout: float = DEFAULT_TIMEOUT, baudrate: int = 9600
) -> PrintResult:
    """Send raw bytes to the printer at ``url``; never raises."""
    try:
        if url.startswith("tcp://"):
            _send_tcp(url, data, timeout)
        else:
            _send_serial(url, data, timeout, baudrate)
    except PrinterError as error:
        return PrintResult(False, error.message)
    except (OSError, serial.SerialException, ValueError) as error:
        return PrintResult(False, _describe(url, error))
    except Exception as error:
        log.exception("printing to %s failed unexpectedly", url)
        return PrintResult(False, _describe(url, error))
    return PrintResult(True, None, len(data))


def _send_tcp(url: str, data: bytes, timeout: float) -> None:
    parts = urlsplit(url)
    if not parts.hostname:
        raise PrinterError(f"The printer address {url!r} has no host; use tcp://host:9100.")
    port = parts.port or RAW_PRINT_PORT
    with socket.create_connection((parts.hostname, port), timeout=timeout) as connection:
        connection.settimeout(timeout)
        connection.sendall(data)
        connection.shutdown(socket.SHUT_WR)


def _send_serial(url: str, data: bytes, timeout: float, baudrate: int) -> None:
    port = serial.serial_for_url(url, do_not_open=True)
    port.baudrate = baudrate
    port.timeout = timeout
    port.write_timeout = timeout
    port.open()
    try:
        written = port.write(data)
        port.flush()
    finally:
        port.close()
    if written is not None and written != len(data):
        raise PrinterError(f"The printer at {url} took only {written} of {len(data)} bytes.")


def _describe(url: str, error: BaseException) -> str:
    if isinstance(error, serial.SerialTimeoutException | TimeoutError | socket.timeout):
        return f"The printer at {url} did not answer in time. Is it on, with paper?"
    if isinstance(error, ConnectionRefusedError):
        return f"The printer at {url} refused the connection. Is it on and on the network?"
    if isinstance(error, FileNotFoundError) or "No such file" in str(error):
        return f"No printer at {url}. Check its cable and the printer setting."
    return f"The printer at {url} could not print: {error}"
