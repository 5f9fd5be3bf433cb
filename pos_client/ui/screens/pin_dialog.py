"""A staff member's number (or badge) and PIN, checked by the Till before it closes.

Used to approve one action (a manager's PIN while the cashier stays signed in) and to
open manager mode. A refusal (wrong PIN with the tries left, locked out, not a
manager) is shown in the dialog, the PIN is cleared, and the dialog stays open
(:class:`~pos_client.ui.screens.pin_entry.PinEntry`). It dismisses with what the
check returned (an :class:`~pos_client.approvals.Approval`, a staff view), or None
when cancelled.

The PIN field hides what is typed. Scans that arrive while the dialog is open are
held by the App and applied after it closes; they never reach the PIN field.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from pos_client.ui.screens.pin_entry import Check, PinEntry


class PinDialog(PinEntry, ModalScreen[Any]):
    """Staff number and PIN; dismisses with the check's result or None."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    PinDialog { align: center middle; }
    PinDialog Input { width: 100%; }
    """

    def __init__(self, title: str, explanation: str, check: Check) -> None:
        super().__init__()
        self.title_text = title
        self.explanation = explanation
        self.check = check

    def pin_check(self) -> Check:
        return self.check

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.explanation, id="question")
            yield from self.pin_fields("Staff number, or scan the badge")
            yield Static("", id="dialog-error")
            with Horizontal(id="buttons"):
                yield Button("OK (Enter)", variant="primary", id="ok")
                yield Button("Cancel (Esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#dialog").border_title = self.title_text
        for button in self.query(Button):
            button.can_focus = False
        self.query_one("#who", Input).focus()

    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        self.check_pin()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
