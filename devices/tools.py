"""Installer tools: find the scanner's port, and watch what a scanner sends.

These are the pieces behind ``pos-client scanners`` and ``pos-client scan-test``;
the command-line wrapping (and the meaning of each scan to the programme) lives in
``pos_client.device_commands``, because the device layer knows nothing of the
programme.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from serial.tools import list_ports

from devices.config import ScannerConfig
from devices.decoder import ScanResult
from devices.serial_source import ScannerStatus, SerialScanner

BY_ID_DIR: Final = Path("/dev/serial/by-id")

KNOWN_SCANNER_VENDORS: Final[dict[int, str]] = {
    0x0C2E: "Honeywell",
    0x05E0: "Zebra (Symbol)",
    0x05F9: "Datalogic",
    0x1EAB: "Newland",
}
"""USB vendor ids of the scanner makers an installer is most likely to meet."""


@dataclass(frozen=True, slots=True)
class PortInfo:
    """One serial port as an installer needs to see it."""

    path: str
    """The path to put in the config: the stable by-id link when there is one."""
    device: str
    """The kernel's current name (``/dev/ttyACM0``); it can change at replug."""
    vid: int | None
    pid: int | None
    vendor: str | None
    """The maker: a known scanner vendor by USB id, else what the device reports."""
    description: str
    serial_number: str | None

    @property
    def vid_pid(self) -> str | None:
        """``0C2E:0B61`` style, or None for a port that is not USB."""
        if self.vid is None or self.pid is None:
            return None
        return f"{self.vid:04X}:{self.pid:04X}"

    @property
    def known_scanner(self) -> bool:
        """True when the USB vendor is one of :data:`KNOWN_SCANNER_VENDORS`."""
        return self.vid in KNOWN_SCANNER_VENDORS


def by_id_links(directory: Path = BY_ID_DIR) -> dict[str, str]:
    """Map each device (``/dev/ttyACM0``) to its stable ``by-id`` link, where one exists."""
    links: dict[str, str] = {}
    if not directory.is_dir():
        return links
    for link in sorted(directory.iterdir()):
        links.setdefault(os.path.realpath(link), str(link))
    return links


def list_scanners(
    ports: Iterable[Any] | None = None, by_id_dir: Path = BY_ID_DIR
) -> list[PortInfo]:
    """The serial ports of this machine, known scanner makers first.

    ``ports`` defaults to pyserial's ``comports()``; anything with the same attributes
    (``device``, ``vid``, ``pid``, ``manufacturer``, ``description``,
    ``serial_number``) will do. Pseudo-terminals are never listed by pyserial.
    """
    links = by_id_links(by_id_dir)
    found: list[PortInfo] = []
    for port in ports if ports is not None else list_ports.comports():
        device = str(port.device)
        vid = port.vid
        known = KNOWN_SCANNER_VENDORS.get(vid) if vid is not None else None
        found.append(
            PortInfo(
                path=links.get(os.path.realpath(device), device),
                device=device,
                vid=vid,
                pid=port.pid,
                vendor=known or port.manufacturer,
                description=port.description or "",
                serial_number=port.serial_number,
            )
        )
    return sorted(found, key=lambda p: (not p.known_scanner, p.path))


def format_ports(ports: list[PortInfo]) -> str:
    """A table for people, or a clear sentence when there is nothing to show."""
    if not ports:
        return (
            "No serial ports found. Plug the scanner in (USB) or check its cable, and set it "
            "to USB serial (CDC/COM) mode rather than keyboard mode; see docs/SCANNERS.md."
        )
    lines = []
    for port in ports:
        mark = "*" if port.known_scanner else " "
        ids = port.vid_pid or "-"
        vendor = port.vendor or "unknown maker"
        lines.append(f"{mark} {port.path}\n    {ids}  {vendor}  {port.description}")
        if port.path != port.device:
            lines.append(f"    (now {port.device})")
    lines.append("* a known scanner maker. Put the path in the [scanner] port setting.")
    return "\n".join(lines)


def run_scan_test(
    config: ScannerConfig,
    on_result: Callable[[ScanResult], None],
    on_status: Callable[[ScannerStatus], None],
    *,
    count: int | None = None,
    timeout: float | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Read scans until ``count`` results, ``timeout`` seconds or ``stop``; return how many.

    Callbacks run on the reader thread. The reader is always stopped before this
    returns, also when the caller is interrupted (Ctrl-C raises in the waiting thread).
    """
    stop = stop or threading.Event()
    seen = 0
    lock = threading.Lock()

    def result(item: ScanResult) -> None:
        nonlocal seen
        with lock:
            if count is not None and seen >= count:
                return
            seen += 1
            on_result(item)
            if count is not None and seen >= count:
                stop.set()

    deadline = None if timeout is None else time.monotonic() + timeout
    reader = SerialScanner(config, on_scan=result, on_status=on_status)
    reader.start()
    try:
        while not stop.is_set():
            remaining = 0.1 if deadline is None else min(0.1, deadline - time.monotonic())
            if remaining <= 0:
                break
            stop.wait(remaining)
    finally:
        reader.stop()
    return seen
