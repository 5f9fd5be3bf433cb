"""The App's background I/O: the serial scanner reader and the sync runner.

Both run in their own threads and know nothing of Textual; this bridge gives them
callbacks that only post messages to the App (``post_message`` is thread-safe), so
no widget is ever touched off the UI thread. The App starts the bridge when the
cashier screen is ready and stops it when it unmounts.
"""

from __future__ import annotations

from textual.app import App

from devices.config import ScannerConfig
from devices.framing import Rejected
from devices.serial_source import ScannerState, ScannerStatus, SerialScanner
from devices.symbology import Scan
from pos_client.till import Till
from pos_client.ui.messages import (
    ScannerStatusChanged,
    ScanReceived,
    ScanRefused,
    SyncStatusChanged,
)
from sync.engine import SyncStatus


def scanner_status_text(status: ScannerStatus) -> str:
    """What the status bar shows after ``scanner:``."""
    if status.state is ScannerState.CONNECTED:
        return f"ready ({status.device})"
    if status.state is ScannerState.CONNECTING:
        return "connecting…"
    if status.state is ScannerState.DISCONNECTED:
        return "UNPLUGGED" if status.reason is None else f"not available: {status.reason}"
    return "stopped"


class BackgroundServices:
    """Starts and stops the scanner reader and background sync for one App."""

    def __init__(self, app: App[None], till: Till, scanner: ScannerConfig | None) -> None:
        self.app = app
        self.till = till
        self.scanner_config = scanner
        self.scanner: SerialScanner | None = None

    def start(self) -> None:
        if self.scanner_config is not None:
            self.scanner = SerialScanner(self.scanner_config, self._on_scan, self._on_status)
            self.scanner.start()
        if self.till.link is not None:
            self.till.link.start(self._on_sync_status)

    def stop(self) -> None:
        if self.scanner is not None:
            self.scanner.stop()
            self.scanner = None
        if self.till.link is not None:
            self.till.link.stop_background()

    # Reader and runner threads call these; they only post messages.

    def _on_scan(self, result: Scan | Rejected) -> None:
        if isinstance(result, Rejected):
            self.app.post_message(
                ScanRefused(f"The scanner sent an unreadable code: {result.reason}")
            )
        else:
            self.app.post_message(ScanReceived(result.text, "serial"))

    def _on_status(self, status: ScannerStatus) -> None:
        self.app.post_message(ScannerStatusChanged(scanner_status_text(status)))

    def _on_sync_status(self, status: SyncStatus) -> None:
        self.app.post_message(SyncStatusChanged())
