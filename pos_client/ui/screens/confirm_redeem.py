"""Ask the cashier to confirm a redemption before anything is recorded."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from loyalty.money import Money
from pos_client.ui import formatting
from pos_client.ui.screens.wedge_dialog import WedgeAwareDialog


class ConfirmRedeemScreen(WedgeAwareDialog[bool]):
    """Dismisses with True (record it) or False (nothing is recorded).

    Enter deliberately does nothing here: it is the end of every wedge scan. The
    cashier answers with Y or N/Escape, or clicks a button.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Redeem"),
        Binding("n,escape", "answer(False)", "Cancel"),
    ]

    def __init__(
        self,
        member_name: str,
        points: int,
        discount: Money,
        purchase: Money | None,
        balance_after: int,
    ) -> None:
        super().__init__()
        self.member_name = member_name
        self.points = points
        self.discount = discount
        self.purchase = purchase
        self.balance_after = balance_after

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.question(), id="question")
            with Horizontal(id="buttons"):
                yield Button("Redeem (Y)", variant="primary", id="yes")
                yield Button("Cancel (N)", id="no")

    def on_mount(self) -> None:
        self.query_one("#dialog").border_title = "Redeem points"
        for button in self.query(Button):
            button.can_focus = False

    def question(self) -> str:
        """The sentence the cashier confirms: points, discount and what is left."""
        lines = [
            f"Redeem {formatting.points(self.points)} points for {self.member_name}?",
            f"Discount: {self.discount}",
        ]
        if self.purchase is not None:
            lines.append(f"Purchase: {self.purchase}")
        lines.append(f"Balance after: {formatting.points(self.balance_after)} points")
        return "\n".join(lines)

    def action_answer(self, accepted: bool) -> None:
        self.dismiss(accepted)

    @on(Button.Pressed, "#yes")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#no")
    def _no(self) -> None:
        self.dismiss(False)
