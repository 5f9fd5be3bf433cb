"""A staff number (or badge) and a PIN, checked by the Till: the fields and their
handling, shared by the sign-in screen and the PIN dialog.

Enter in the number moves to the PIN; Enter in the PIN asks the Till (in the call
queue) to check them. A refusal (wrong PIN with the tries left, locked out, not a
manager) is shown on the screen's error line, the PIN is cleared, and the screen
stays; a success dismisses the screen with what the check returned.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import ComposeResult
from textual.widgets import Input, Static

from loyalty.errors import LoyaltyError
from pos_client.till import Till

Check = Callable[[Till, str, str], Any]
"""What the screen asks of the Till with the number and PIN typed."""


class PinEntry:
    """Mixed into a Textual screen that yields :meth:`pin_fields` and a Static with
    the id :attr:`error_id`."""

    error_id = "dialog-error"
    checking = False

    def pin_check(self) -> Check:
        """The check this screen runs (overridden)."""
        raise NotImplementedError

    def pin_fields(self, who_prompt: str) -> ComposeResult:
        yield Input(placeholder=who_prompt, id="who")
        yield Input(placeholder="PIN", password=True, id="pin")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        screen: Any = self
        if event.input.id == "who":
            event.stop()
            if event.value.strip():
                screen.query_one("#pin", Input).focus()
        elif event.input.id == "pin":
            event.stop()
            self.check_pin()

    def check_pin(self) -> None:
        screen: Any = self
        who = screen.query_one("#who", Input).value.strip()
        pin = screen.query_one("#pin", Input).value.strip()
        if not who:
            self.refuse("Type your staff number or scan your badge.", "#who")
        elif not pin:
            self.refuse("Type your PIN.", "#pin")
        elif not self.checking:
            self.checking = True
            check = self.pin_check()
            screen.app.ask("pin", lambda till: check(till, who, pin), self._checked)

    def _checked(self, result: Any) -> None:
        self.checking = False
        if isinstance(result, LoyaltyError):
            self.refuse(str(result), "#pin")
        else:
            screen: Any = self
            screen.dismiss(result)

    def refuse(self, message: str, field: str) -> None:
        screen: Any = self
        screen.query_one(f"#{self.error_id}", Static).update(message)
        screen.query_one("#pin", Input).value = ""
        screen.query_one(field, Input).focus()
