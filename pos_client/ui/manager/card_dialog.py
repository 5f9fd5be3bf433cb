"""Replace a member's card (a new card carries the member) or block it (lost, stolen).

A new card is scanned or typed. The old card is refused at this till at once and
everywhere once the tills sync; what was recorded on it stays the member's. One
``replace`` or ``block`` event names the manager on duty as the approver.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Select, Static

from loyalty.cards import mask_card_number
from pos_client.member_desk_views import CARD_REASONS
from pos_client.ui.manager.form_dialog import FormDialog


class CardDialog(FormDialog):
    """Replace (``block`` False) or block the card of ``status``'s member."""

    def __init__(self, status: Any, block: bool) -> None:
        super().__init__()
        self.member = status.member
        self.block = block

    def compose(self) -> ComposeResult:
        card = mask_card_number(self.member.card)
        with Vertical(id="dialog"):
            if self.block:
                yield Static(
                    f"Block card {card} of {self.member.name}. Their points stay theirs; "
                    "give them a new card later with F6.",
                    id="question",
                )
            else:
                yield Static(
                    f"Replace card {card} of {self.member.name}: scan or type the new card.",
                    id="question",
                )
                yield Input(placeholder="New card number", id="new-card")
            yield Select(
                [(words, code) for code, words in CARD_REASONS.items()],
                prompt="Reason",
                id="reason",
            )
            yield Input(placeholder="Note (optional)", id="note")
            yield Static("", id="dialog-error")
            with Horizontal(id="buttons"):
                yield Button("Record (^S)", variant="primary", id="ok")
                yield Button("Cancel (Esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#dialog").border_title = "Block card" if self.block else "Replace card"
        self.query_one("#reason" if self.block else "#new-card").focus()

    def take_scan(self, text: str) -> None:
        """The new card, scanned."""
        if not self.block:
            self.query_one("#new-card", Input).value = text.strip()

    def action_submit(self) -> None:
        reason = self.query_one("#reason", Select).value
        if not isinstance(reason, str):
            self.set_error("Choose the reason.")
            return
        note = self.query_one("#note", Input).value.strip()
        card = self.member.card
        if self.block:
            self.record(
                "block card",
                lambda till: till.block_card(
                    card, reason, note, till.manager_approval("replace_card", 0)
                ),
            )
            return
        new_card = self.query_one("#new-card", Input).value.strip()
        if not new_card:
            self.set_error("Scan or type the new card.")
            return
        self.record(
            "replace card",
            lambda till: till.replace_card(
                card, new_card, reason, note, till.manager_approval("replace_card", 0)
            ),
        )

    def done_message(self, result: Any) -> str:
        return "Card blocked." if self.block else "Card replaced: the new card carries the member."
