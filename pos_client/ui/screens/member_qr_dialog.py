"""Demo mode: a member's QR code as their phone would show it, drawn in the terminal.

The demo's Ctrl+O asks the demo ledger for a fresh member-app token of a random member
and shows it here (dark modules on light, as a phone shows it, so a real imager can
read it off the screen). S "scans" it with the simulated serial scanner, which sends
it with the AIM identifier ``]Q1`` as a 2D imager does; Esc closes without scanning.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Static

from devices.codes import qr_text_art
from pos_client.ui.screens.wedge_dialog import WedgeAwareDialog


class MemberQrDialog(WedgeAwareDialog[bool]):
    """Dismisses with True (S: scan it) or False (Esc)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "answer(True)", "Scan it"),
        Binding("escape", "answer(False)", "Close"),
    ]

    def __init__(self, token: str, who: str) -> None:
        super().__init__()
        self.token = token
        self.who = who

    def compose(self) -> ComposeResult:
        with Vertical(id="qr-dialog"):
            yield Static(qr_text_art(self.token), id="qr-code")
            yield Static(f"{self.who} · S: scan it · Esc: close", id="qr-caption")

    def on_mount(self) -> None:
        self.query_one("#qr-dialog").border_title = "Member app"

    def action_answer(self, scan: bool) -> None:
        self.dismiss(scan)
