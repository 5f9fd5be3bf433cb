"""A points correction: which wallet, how many (+ or -), the reason code and a note.

Recorded as one ``adjust`` event naming the manager on duty as the approver. The
Till refuses a correction with no reason, an unknown wallet, zero, ``other``
without a note, or one that would take the balance below zero; the refusal is shown
here and nothing is recorded.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Select, Static

from loyalty.programme.approvals import ADJUST_REASONS
from pos_client.ui.manager.form_dialog import FormDialog


class CorrectionDialog(FormDialog):
    """For the member of ``status`` (a member desk status with ``member``)."""

    def __init__(self, status: Any) -> None:
        super().__init__()
        self.member = status.member

    def compose(self) -> ComposeResult:
        programme = self.member.programme
        wallets = [(w.name, w.id) for w in programme.wallets] if programme else []
        with Vertical(id="dialog"):
            yield Static(
                f"Correct {self.member.name}'s balance. Type +50 to add, -50 to take away.",
                id="question",
            )
            yield Select(
                wallets,
                value=wallets[0][1] if wallets else Select.BLANK,
                allow_blank=not wallets,
                id="wallet",
            )
            yield Input(placeholder="Points, e.g. +50 or -50", id="points")
            yield Select(
                [(words, code) for code, words in ADJUST_REASONS.items()],
                prompt="Reason",
                id="reason",
            )
            yield Input(placeholder="Note (what happened; needed for Other)", id="note")
            yield Static("", id="dialog-error")
            with Horizontal(id="buttons"):
                yield Button("Record (^S)", variant="primary", id="ok")
                yield Button("Cancel (Esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#dialog").border_title = "Correct points"
        self.query_one("#points", Input).focus()

    def action_submit(self) -> None:
        wallet = self.query_one("#wallet", Select).value
        reason = self.query_one("#reason", Select).value
        text = self.query_one("#points", Input).value.strip().replace(" ", "")
        note = self.query_one("#note", Input).value.strip()
        try:
            points = int(text)
        except ValueError:
            self.set_error("Type the points as a whole number, e.g. +50 or -50.")
            return
        if wallet is Select.BLANK or not isinstance(wallet, str):
            self.set_error("Choose the wallet to correct.")
            return
        code = reason if isinstance(reason, str) else ""
        member_id = self.member.member_id
        self.record(
            "correct points",
            lambda till: till.correct_points(
                member_id,
                wallet,
                points,
                code,
                note,
                till.manager_approval("adjust", abs(points)),
            ),
        )

    def done_message(self, result: Any) -> str:
        return "Correction recorded."
