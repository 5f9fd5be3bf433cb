"""A staff member's number (or badge) and PIN, checked by the Till before it closes.

Used to approve one action (a manager's PIN while the cashier stays signed in) and to
open manager mode. The check runs in the till's call queue; a refusal (wrong PIN with
the tries left, locked out, not a manager) is shown in the dialog, the PIN is
cleared, and the dialog stays open. It dismisses with what the check returned (an
:class:`~pos_client.approvals.Approval`, a staff view), or None when cancelled.

The PIN field hides what is typed. Scans that arrive while the dialog is open are
held by the App and applied after it closes; they never reach the PIN field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from loyalty.errors import LoyaltyError
from pos_client.till import Till

Check = Callable[[Till, str, str], Any]
"""What the dialog asks of the Till with the number and PIN typed."""


class PinDialog(ModalScreen[Any]):
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
        self.checking = False

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.explanation, id="question")
            yield Input(placeholder="Staff number, or scan the badge", id="who")
            yield Input(placeholder="PIN", password=True, id="pin")
            yield Static("", id="dialog-error")
            with Horizontal(id="buttons"):
                yield Button("OK (Enter)", variant="primary", id="ok")
                yield Button("Cancel (Esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#dialog").border_title = self.title_text
        for button in self.query(Button):
            button.can_focus = False
        self.query_one("#who", Input).focus()

    @on(Input.Submitted, "#who")
    def _who_given(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.query_one("#pin", Input).focus()

    @on(Input.Submitted, "#pin")
    def _pin_given(self, event: Input.Submitted) -> None:
        event.stop()
        self._check()

    @on(Button.Pressed, "#ok")
    def _check(self) -> None:
        who = self.query_one("#who", Input).value.strip()
        pin = self.query_one("#pin", Input).value.strip()
        if not who:
            self._refuse("Type your staff number or scan your badge.", "#who")
            return
        if not pin:
            self._refuse("Type your PIN.", "#pin")
            return
        if self.checking:
            return
        self.checking = True
        check = self.check
        self.app.ask("pin", lambda till: check(till, who, pin), self._answered)  # type: ignore[attr-defined]

    def _answered(self, result: Any) -> None:
        self.checking = False
        if isinstance(result, LoyaltyError):
            self._refuse(str(result), "#pin")
            return
        self.dismiss(result)

    def _refuse(self, message: str, field: str) -> None:
        self.query_one("#dialog-error", Static).update(message)
        pin = self.query_one("#pin", Input)
        pin.value = ""
        self.query_one(field, Input).focus()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
