"""Manager mode's members page: find a member by card, phone, name or member id.

The search runs on the till's member cache, so it works offline. Enter on a result
(or a card scanned here) opens the member's status, where their points are corrected
and their cards replaced or blocked.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Static

from loyalty.errors import LoyaltyError
from pos_client.ui.manager.member_status import MemberStatusScreen
from pos_client.ui.manager.page_focus import focus_in_page

HINT = "Type a card, phone, name or member id and Enter · ↑↓ then Enter: open the member"


class MembersPage(Vertical):
    """The search field, the results, and what to do next."""

    ACTIONS: ClassVar[dict[int, str]] = {}
    DEFAULT_CSS = """
    MembersPage #member-hits { height: 1fr; }
    MembersPage #members-note { height: auto; color: $text-muted; }
    """

    def compose(self) -> ComposeResult:
        yield Input(placeholder="Card, phone, name or member id", id="member-search")
        yield Static(HINT, id="members-note")
        table: DataTable[str] = DataTable(id="member-hits", cursor_type="row")
        table.add_columns("Name", "Card", "Phone", "Tier", "Card state")
        yield table

    def focus_search(self) -> None:
        focus_in_page(self.query_one("#member-search", Input))

    def refresh_page(self) -> None:
        self.focus_search()

    def page_action(self, number: int) -> None:
        """The members page has no F5-F7 actions (they are on the member's status)."""

    def take_scan(self, text: str) -> None:
        self.query_one("#member-search", Input).value = text.strip()
        self._search(text.strip())

    @on(Input.Submitted, "#member-search")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._search(event.value.strip())

    def _search(self, text: str) -> None:
        if not text:
            self._note("Type something to search for.")
            return
        self.app.ask(  # type: ignore[attr-defined]
            "search", lambda till: till.search_members(text, 50), self._found
        )

    def _found(self, result: Any) -> None:
        table = self.query_one("#member-hits", DataTable)
        table.clear()
        if isinstance(result, LoyaltyError):
            self._note(str(result))
            return
        for hit in result:
            table.add_row(
                hit.name,
                hit.masked_card,
                hit.masked_phone,
                hit.tier,
                hit.card_state,
                key=hit.member_id,
            )
        if not result:
            self._note("No member matches. Check the spelling, or enrol them (F4).")
            return
        self._note(f"{len(result)} found · ↑↓ then Enter opens the member")
        focus_in_page(table)

    def _note(self, text: str) -> None:
        self.query_one("#members-note", Static).update(text)

    @on(DataTable.RowSelected, "#member-hits")
    def _open(self, event: DataTable.RowSelected) -> None:
        member_id = event.row_key.value
        if member_id is not None:
            self.app.push_screen(MemberStatusScreen(member_id))
