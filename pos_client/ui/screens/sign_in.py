"""The start of a shift: a cashier signs in with their badge or number and PIN.

Shown when the till knows its store's staff and nobody is signed in (at start, and
after Ctrl+L signs the cashier out). Every event recorded afterwards names the person
signed in. A badge scanned on this screen fills the staff number. Nothing else can be
done until someone signs in; Ctrl+Q still quits. A warning about the till's set-up
(its configuration file readable by others) is shown here for the first person in.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Static

from pos_client.ui.screens.pin_entry import Check, PinEntry


class SignInScreen(PinEntry, Screen[Any]):
    """Dismisses with the staff view of whoever signed in."""

    error_id = "sign-in-error"
    DEFAULT_CSS = """
    SignInScreen { align: center middle; }
    SignInScreen #sign-in { width: 60; height: auto; border: thick $primary; padding: 0 1; }
    SignInScreen #sign-in-error { color: $text-error; height: auto; }
    """

    def __init__(self, store: str, warnings: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.store = store
        self.warnings = warnings

    def pin_check(self) -> Check:
        return lambda till, who, pin: till.sign_in(who, pin)

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="sign-in"):
            yield Static(
                "Sign in to start your shift: scan your badge, or type your staff "
                "number, then your PIN.",
                id="question",
            )
            yield from self.pin_fields("Staff number or badge")
            yield Static("\n".join(self.warnings), id="sign-in-error")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#sign-in").border_title = f"Sign in · {self.store}"
        self.query_one("#who", Input).focus()

    def take_scan(self, text: str) -> None:
        """A badge scanned here: it is the staff number; the PIN comes next."""
        self.query_one("#who", Input).value = text.strip()
        self.query_one("#pin", Input).focus()
