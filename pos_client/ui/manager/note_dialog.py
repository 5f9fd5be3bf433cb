"""Why a parked event is voided: a note is required, kept with the decision."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from pos_client.ui.manager.form_dialog import FormDialog


class NoteDialog(FormDialog):
    """Dismisses with the note typed, or None when cancelled."""

    def __init__(self, seq: int) -> None:
        super().__init__()
        self.seq = seq

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(
                f"Void event {self.seq}: the ledger keeps it but counts nothing of it. "
                "Say why (head office reads this).",
                id="question",
            )
            yield Input(placeholder="Why this event must not count", id="note")
            yield Static("", id="dialog-error")
            with Horizontal(id="buttons"):
                yield Button("Void (^S)", variant="primary", id="ok")
                yield Button("Cancel (Esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#dialog").border_title = "Void a parked event"
        self.query_one("#note", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def action_submit(self) -> None:
        note = self.query_one("#note", Input).value.strip()
        if not note:
            self.set_error("A note is needed: say why this event must not count.")
            return
        self.dismiss(note)
