"""The receipt of the last transaction, as the cashier reads it back to the member."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from loyalty.events import EventKind
from pos_client.ui import formatting
from pos_client.views import Receipt


class ReceiptPanel(Static):
    """Shows :attr:`receipt`, set by the screen once the event is durable.

    :attr:`show_time` exists so snapshot tests can hide the one value that depends on
    the clock.
    """

    receipt: reactive[Receipt | None] = reactive(None)
    show_time: reactive[bool] = reactive(True)

    def on_mount(self) -> None:
        self.border_title = "Last receipt"

    def watch_receipt(self) -> None:
        self._redraw()

    def watch_show_time(self) -> None:
        self._redraw()

    def _redraw(self) -> None:
        self.update(self._content(self.receipt, self.show_time))

    @staticmethod
    def _content(receipt: Receipt | None, show_time: bool) -> Text:
        if receipt is None:
            return Text("No transaction yet.", style="dim")
        text = Text()
        text.append(receipt.receipt_no, style="bold")
        text.append(f"  {formatting.kind_label(receipt.kind)}")
        if show_time:
            text.append(f"  {formatting.receipt_time(receipt)}", style="dim")
        amount_label = "Discount" if receipt.kind is EventKind.REDEEM else "Amount"
        text.append(f"\nPoints {formatting.signed_points(receipt.points)}")
        text.append(f"   {amount_label} {receipt.amount}")
        text.append("\n")
        if receipt.balance_after is not None:
            text.append(f"Balance {formatting.points(receipt.balance_after)} points   ")
        text.append(f"Card {receipt.masked_card}")
        return text
