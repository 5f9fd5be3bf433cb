"""One line of facts about the till: ledger, unsynced events, scanner."""

from __future__ import annotations

from textual.reactive import reactive
from textual.widgets import Static

from pos_client.views import TillStatus

DEFAULT_SCANNER = "keyboard"
"""Until a serial scanner reports in, scans come from the keyboard (or a wedge)."""


class StatusBar(Static):
    """Shows :attr:`status` and :attr:`scanner`; both are set from outside."""

    status: reactive[TillStatus | None] = reactive(None)
    scanner: reactive[str] = reactive(DEFAULT_SCANNER)

    def on_mount(self) -> None:
        self._redraw()

    def watch_status(self) -> None:
        self._redraw()

    def watch_scanner(self) -> None:
        self._redraw()

    def _redraw(self) -> None:
        status = self.status
        ledger = status.ledger_state if status else "…"
        pending = str(status.pending_events) if status else "…"
        self.update(f"ledger: {ledger} │ pending: {pending} │ scanner: {self.scanner}")
