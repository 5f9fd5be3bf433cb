"""One member's status for a manager: balances, tier, holdings, flags, cards, history.

Balances show what the ledger confirmed and what this till has not synced yet. The
history comes from the ledger when it answers, else from this till's journal (the
page says which), twenty rows a page (PgDn / PgUp). F5 corrects points, F6 replaces
the card, F7 blocks it; each records one event naming the manager on duty as the
approver, and the status is read again afterwards.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from loyalty.errors import LoyaltyError
from pos_client.ui.manager.card_dialog import CardDialog
from pos_client.ui.manager.correction_dialog import CorrectionDialog
from pos_client.ui.manager.status_text import history_cells, status_text

HISTORY_COLUMNS = (
    ("When", 16),
    ("What", 22),
    ("Where", 14),
    ("Points", 10),
    ("By", 5),
    ("State", 9),
)
"""Columns and their widths: fixed, so the table reads the same however fast its rows
arrive (an 80-column screen holds them)."""
PAGE_SIZE = 20


class MemberStatusScreen(Screen[None]):
    """The member with ``member_id``; Esc goes back to the search."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", key_display="Esc"),
        Binding("f5", "correct", "Correct points", key_display="F5"),
        Binding("f6", "replace", "Replace card", key_display="F6"),
        Binding("f7", "block", "Block card", key_display="F7"),
        Binding("pagedown", "page(1)", "Older", key_display="PgDn"),
        Binding("pageup", "page(-1)", "Newer", key_display="PgUp"),
    ]
    AUTO_FOCUS = "#history"
    DEFAULT_CSS = """
    MemberStatusScreen #status-text { height: auto; max-height: 9; padding: 0 1; }
    MemberStatusScreen #history-note { height: 1; padding: 0 1; color: $text-muted; }
    MemberStatusScreen #history { height: 1fr; }
    """

    def __init__(self, member_id: str) -> None:
        super().__init__()
        self.member_id = member_id
        self.status: Any = None
        self.history_page = 0
        self.has_more = False

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="status-scroll"):
            yield Static("Reading the member…", id="status-text")
        yield Static("", id="history-note")
        table: DataTable[str] = DataTable(id="history", cursor_type="row")
        for label, width in HISTORY_COLUMNS:
            table.add_column(label, width=width)
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.reload()

    def take_scan(self, text: str) -> None:
        self.notify("Scans are not used on this page; Esc goes back to the search.")

    def reload(self) -> None:
        member_id = self.member_id
        self.app.ask(  # type: ignore[attr-defined]
            "member status", lambda till: till.member_status(member_id), self._status_read
        )
        self._read_history()

    def _status_read(self, result: Any) -> None:
        text = self.query_one("#status-text", Static)
        if isinstance(result, LoyaltyError):
            text.update(str(result))
            return
        self.status = result
        text.update(status_text(result))

    def _read_history(self) -> None:
        member_id, page = self.member_id, self.history_page
        self.app.ask(  # type: ignore[attr-defined]
            "member history",
            lambda till: till.member_history(member_id, page, PAGE_SIZE),
            self._history_read,
        )

    def _history_read(self, result: Any) -> None:
        note = self.query_one("#history-note", Static)
        table = self.query_one("#history", DataTable)
        table.clear()
        if isinstance(result, LoyaltyError):
            note.update(str(result))
            return
        self.has_more = result.has_more
        for row in result.rows:
            table.add_row(*history_cells(row))
        more = " · PgDn: older" if result.has_more else ""
        newer = " · PgUp: newer" if self.history_page else ""
        note.update(f"History from {result.source}, page {self.history_page + 1}{more}{newer}")

    def action_page(self, step: int) -> None:
        if (step > 0 and not self.has_more) or (step < 0 and self.history_page == 0):
            return
        self.history_page += step
        self._read_history()

    def action_back(self) -> None:
        self.dismiss(None)

    def _after(self, done: Any) -> None:
        if done:
            self.notify(str(done))
            self.reload()

    def action_correct(self) -> None:
        if self.status is not None:
            self.app.push_screen(CorrectionDialog(self.status), self._after)

    def action_replace(self) -> None:
        if self.status is not None:
            self.app.push_screen(CardDialog(self.status, block=False), self._after)

    def action_block(self) -> None:
        if self.status is not None:
            self.app.push_screen(CardDialog(self.status, block=True), self._after)
