"""One line of facts about the till: ledger, unsynced events, scanner."""

from __future__ import annotations

from datetime import datetime

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
        if status is None:
            ledger, pending = "…", "…"
        else:
            ledger = ledger_text(status)
            pending = str(status.pending_events)
            if status.parked_events:
                pending += f" ({status.parked_events} stopped)"
        line = f"ledger: {ledger} │ pending: {pending} │ scanner: {self.scanner}"
        if status is not None and status.programme:
            line += f" │ {status.programme}"
        if status is not None and status.programme_warning:
            line = f"PROGRAMME ✗ │ {line}"
        if status is not None and status.printer_error:
            line = f"PRINTER ✗ │ {line}"
        self.update(line)


def ledger_text(status: TillStatus) -> str:
    """``ONLINE · synced 10:52:01``: the state's first word in capitals, then the time."""
    word, _, rest = status.ledger_state.partition(" ")
    text = word.upper() + (f" {rest}" if rest else "")
    if status.last_sync:
        synced = datetime.fromisoformat(status.last_sync.replace("Z", "+00:00"))
        text += f" · synced {synced.astimezone():%H:%M:%S}"
    return text
