"""The basket being sold, line by line with what each earns; or the last receipt.

The screen sets :attr:`sale` (the basket as the Till evaluated it) or
:meth:`show_receipt` (after a sale is recorded, until the next line or customer).
The cashier moves through lines with the arrow keys and changes the one under the
cursor: ``+``/``-`` its quantity, Delete removes it, ``f`` sets or clears the
programme's line flag (``own_cup``); each change is a message up to the App.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from pos_client.ui import formatting
from pos_client.ui.messages import LineChangeRequested
from pos_client.views import Receipt, SaleView

COLUMNS = (("#", 2), ("Item", 15), ("Qty", 3), ("Paid", 9), ("Earns", 15))
"""Widths that fit beside the demo's help panel at 80 columns; money without its
currency (the totals line under the basket names it)."""


class BasketPanel(DataTable[str]):
    """The basket's lines (or a receipt's), one row each, keyed by line number."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("plus,equals_sign", "change('more')", "More", show=False),
        Binding("minus", "change('fewer')", "Fewer", show=False),
        Binding("delete,backspace", "change('remove')", "Remove", show=False),
        Binding("f", "flag", "Flag", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True, show_cursor=True)
        self.sale: SaleView | None = None
        self.receipt_shown = False

    def on_mount(self) -> None:
        for label, width in COLUMNS:
            self.add_column(label, width=width, key=label)
        self.border_title = "Basket"
        self.border_subtitle = ""

    def show_sale(self, sale: SaleView) -> None:
        """Draw the basket. A new line takes the cursor; a changed line keeps it."""
        before = 0 if self.sale is None or self.receipt_shown else len(self.sale.lines)
        row = self.cursor_row
        self.sale, self.receipt_shown = sale, False
        self.clear()
        info = sale.programme
        for line in sale.lines:
            name = line.name + (" [" + ",".join(line.flags) + "]" if line.flags else "")
            self.add_row(
                str(line.line),
                name,
                str(line.qty),
                formatting.amount(line.paid_minor, sale.currency),
                formatting.earned_text(line.wallets, line.stamps, info, short=True),
                key=str(line.line),
            )
        if sale.lines:
            grew = len(sale.lines) > before
            self.move_cursor(row=len(sale.lines) - 1 if grew else min(row, len(sale.lines) - 1))
        self.border_title = f"Basket ({len(sale.lines)} lines)" if sale.lines else "Basket"
        flags = info.line_flags if info else ()
        hints = "+/- qty  Del remove" + (f"  f {flags[0]}" if flags else "")
        self.border_subtitle = hints if sale.lines else "scan products or type an amount"

    def show_receipt(self, receipt: Receipt) -> None:
        """Show what was just recorded, until the next line or customer."""
        self.receipt_shown = True
        self.clear()
        currency = receipt.amount.currency
        info = receipt.programme
        for line in receipt.lines:
            self.add_row(
                str(line.line),
                line.name,
                str(line.qty),
                formatting.amount(line.paid_minor, currency),
                formatting.earned_text(line.wallets, line.stamps, info, short=True),
                key=str(line.line),
            )
        self.border_title = f"Receipt {receipt.receipt_no} ({formatting.kind_label(receipt.kind)})"
        self.border_subtitle = "recorded"

    def _current_line(self) -> int | None:
        if self.receipt_shown or self.sale is None or not self.sale.lines or self.row_count == 0:
            return None
        return self.sale.lines[min(self.cursor_row, len(self.sale.lines) - 1)].line

    def action_change(self, change: str) -> None:
        line = self._current_line()
        if line is not None:
            self.post_message(LineChangeRequested(line, change))

    def action_flag(self) -> None:
        line = self._current_line()
        info = self.sale.programme if self.sale else None
        if line is not None and info is not None and info.line_flags:
            self.post_message(LineChangeRequested(line, f"flag:{info.line_flags[0]}"))
