"""Manager mode's sync queue: what the ledger has not confirmed, and what it refused.

The pending count and the age of the oldest unsynced event, the ledger's state, and
each parked event with the ledger's reason. F5 sends the selected parked event again
(after the cause was fixed); F6 voids it with a note: the ledger keeps it in this
till's chain but counts nothing of it, and head office sees the manager's note.
Each decision is recorded with the manager's staff number.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from loyalty.errors import LoyaltyError
from pos_client.store.parked import Resolution
from pos_client.ui.manager.duty import on_duty
from pos_client.ui.manager.note_dialog import NoteDialog
from pos_client.ui.manager.page_focus import focus_in_page
from pos_client.ui.manager.status_text import age_words


def resolution_words(resolution: Resolution | None) -> str:
    """``void by M1: wrong customer`` / ``retry by M1``; empty before any decision."""
    if resolution is None:
        return ""
    note = f": {resolution.note}" if resolution.note else ""
    return f"{resolution.decision} by {resolution.manager}{note}"


HINT = "F5 send the selected event again · F6 void it (with a note)"


class QueuePage(Vertical):
    ACTIONS: ClassVar[dict[int, str]] = {5: "Retry", 6: "Void"}
    DEFAULT_CSS = """
    QueuePage #queue-summary { height: auto; }
    QueuePage #parked { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield Static("", id="queue-summary")
        table: DataTable[str] = DataTable(id="parked", cursor_type="row")
        table.add_columns("Seq", "What", "Member", "Ledger said", "Decision")
        yield table

    def refresh_page(self) -> None:
        self.app.ask("queue", lambda till: till.sync_queue(), self._shown)  # type: ignore[attr-defined]

    def _shown(self, result: Any) -> None:
        summary = self.query_one("#queue-summary", Static)
        if isinstance(result, LoyaltyError):
            summary.update(str(result))
            return
        oldest = (
            f", the oldest {age_words(result.oldest_pending_age_s)} old"
            if result.oldest_pending_age_s is not None
            else ""
        )
        lines = [
            f"Ledger: {result.ledger_state} · {result.pending} event(s) not synced{oldest}.",
            f"Last sync: {result.last_sync or 'never'} · {len(result.parked)} parked"
            f" · {len(result.decided)} decided, waiting for the ledger.",
            HINT if result.parked else "Nothing is parked.",
        ]
        summary.update("\n".join(lines))
        table = self.query_one("#parked", DataTable)
        table.clear()
        for parked in result.parked:
            decision = resolution_words(parked.resolution)
            table.add_row(
                str(parked.seq),
                parked.kind,
                parked.member_name,
                f"{parked.code}: {parked.reason}",
                decision,
                key=str(parked.seq),
            )
        for decided in result.decided:
            table.add_row(
                str(decided.seq),
                "",
                "",
                "sent again; waiting for the ledger",
                resolution_words(decided),
                key=f"decided-{decided.seq}",
            )
        if result.parked:
            focus_in_page(table)

    def _selected(self) -> int | None:
        table = self.query_one("#parked", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        if key is None or not key.isdigit():
            return None  # a decision already taken, waiting for the ledger
        return int(key)

    def page_action(self, number: int) -> None:
        seq = self._selected()
        if seq is None:
            self.app.notify("No parked event is selected.")
            return
        if number == 5:
            self.app.ask(  # type: ignore[attr-defined]
                "retry parked",
                lambda till: till.retry_parked(seq, on_duty(till)),
                self._decided,
            )
        elif number == 6:
            self.app.push_screen(NoteDialog(seq), self._void)

    def _void(self, note: str | None) -> None:
        if note is None:
            return
        seq = self._selected()
        if seq is None:
            return
        self.app.ask(  # type: ignore[attr-defined]
            "void parked",
            lambda till: till.resolve_parked(seq, note, on_duty(till)),
            self._decided,
        )

    def _decided(self, result: Any) -> None:
        if isinstance(result, LoyaltyError):
            self.app.notify(str(result), severity="error")
        self.refresh_page()

    @on(DataTable.RowSelected, "#parked")
    def _row(self) -> None:
        """Enter on a row does nothing more than select it (F5 / F6 act)."""

    def take_scan(self, text: str) -> None:
        self.app.notify("Scans are not used on the queue page.")
