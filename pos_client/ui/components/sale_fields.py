"""The purchase amount and the points to redeem, side by side."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input


class SaleFields(Horizontal):
    """Two inputs the cashier fills before Earn or Redeem.

    The amount is the purchase: Earn records points on it, Redeem caps the discount
    by it. An empty points field asks for the most the member may redeem.
    """

    def compose(self) -> ComposeResult:
        amount = Input(placeholder="e.g. 149.90", id="amount")
        amount.border_title = "Amount"
        points = Input(placeholder="empty = most", id="points")
        points.border_title = "Points to redeem"
        yield amount
        yield points

    @property
    def amount(self) -> str:
        return self.query_one("#amount", Input).value

    @property
    def points(self) -> str:
        return self.query_one("#points", Input).value

    def clear(self) -> None:
        """Empty both fields for the next transaction."""
        for field in self.query(Input):
            field.clear()
