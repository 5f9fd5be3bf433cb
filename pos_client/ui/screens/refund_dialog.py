"""Ask for the receipt number of a purchase to refund."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from pos_client.ui.messages import ScanReceived
from pos_client.ui.screens.wedge_dialog import WedgeAwareDialog
from pos_client.ui.wedge import split_wedge_scan


class RefundDialog(WedgeAwareDialog[str | None]):
    """Dismisses with the receipt number typed, or None when cancelled.

    The number is not checked here: the Till says whether it can be refunded, in
    words the cashier can act on.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, terminal_id: str) -> None:
        super().__init__()
        self.terminal_id = terminal_id

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(
                "Type the receipt number of the purchase to refund "
                f"({self.terminal_id}-000042, or just 42).",
                id="question",
            )
            yield Input(placeholder=f"{self.terminal_id}-", id="receipt-no")
            with Horizontal(id="buttons"):
                yield Button("Refund", variant="warning", id="refund")
                yield Button("Cancel (Esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#dialog").border_title = "Refund a purchase"
        self.query_one("#receipt-no", Input).focus()

    @on(Input.Submitted, "#receipt-no")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        kept, card = split_wedge_scan(event.value)
        if card is not None:
            event.input.value = kept
            self.post_message(ScanReceived(card, "wedge"))
            return
        self._answer()

    @on(Button.Pressed, "#refund")
    def _answer(self) -> None:
        receipt_no = self.query_one("#receipt-no", Input).value.strip()
        if receipt_no:
            self.dismiss(receipt_no)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
