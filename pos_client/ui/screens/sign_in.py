"""The start of a shift: a cashier signs in with their badge or number and PIN.

Shown when the till knows its store's staff and nobody is signed in (at start, and
after Ctrl+L signs the cashier out). Every event recorded afterwards names the person
signed in. A badge scanned on this screen fills the staff number. Nothing else can be
done until someone signs in; Ctrl+Q still quits.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Static

from loyalty.errors import LoyaltyError


class SignInScreen(Screen[Any]):
    """Dismisses with the staff view of whoever signed in."""

    DEFAULT_CSS = """
    SignInScreen { align: center middle; }
    SignInScreen #sign-in { width: 60; height: auto; border: thick $primary; padding: 0 1; }
    SignInScreen #sign-in-error { color: $text-error; height: auto; }
    """

    def __init__(self, store: str, warnings: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.store = store
        self.warnings = warnings
        self.checking = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="sign-in"):
            yield Static(
                "Sign in to start your shift: scan your badge, or type your staff "
                "number, then your PIN.",
                id="question",
            )
            yield Input(placeholder="Staff number or badge", id="who")
            yield Input(placeholder="PIN", password=True, id="pin")
            yield Static("\n".join(self.warnings), id="sign-in-error")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#sign-in").border_title = f"Sign in · {self.store}"
        self.query_one("#who", Input).focus()

    def take_scan(self, text: str) -> None:
        """A badge scanned here: it is the staff number; the PIN comes next."""
        self.query_one("#who", Input).value = text.strip()
        self.query_one("#pin", Input).focus()

    @on(Input.Submitted, "#who")
    def _who_given(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.query_one("#pin", Input).focus()

    @on(Input.Submitted, "#pin")
    def _pin_given(self, event: Input.Submitted) -> None:
        event.stop()
        who = self.query_one("#who", Input).value.strip()
        pin = event.value.strip()
        if not who:
            self._refuse("Type your staff number or scan your badge.", "#who")
        elif not pin:
            self._refuse("Type your PIN.", "#pin")
        elif not self.checking:
            self.checking = True
            self.app.ask(  # type: ignore[attr-defined]
                "sign in", lambda till: till.sign_in(who, pin), self._answered
            )

    def _answered(self, result: Any) -> None:
        self.checking = False
        if isinstance(result, LoyaltyError):
            self._refuse(str(result), "#pin")
            return
        self.dismiss(result)

    def _refuse(self, message: str, field: str) -> None:
        self.query_one("#sign-in-error", Static).update(message)
        self.query_one("#pin", Input).value = ""
        self.query_one(field, Input).focus()
