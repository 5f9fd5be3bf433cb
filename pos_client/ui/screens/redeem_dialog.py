"""Points as a discount: the dialog states every limit before it asks how many.

The member's balance, the programme's minimum, what the basket allows and, offline,
what is left of today's cap are shown first, with the most that may be used now
already filled in. The cashier confirms with Enter (or changes the number first);
0 takes the discount off again. Nothing is recorded here: the discount becomes part
of the basket, recorded when the sale is finished.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from loyalty.programme.redemption import RedeemLimits
from pos_client.ui import formatting
from pos_client.ui.messages import ScanReceived
from pos_client.ui.screens.wedge_dialog import WedgeAwareDialog
from pos_client.ui.wedge import split_wedge_scan


class RedeemDialog(WedgeAwareDialog[int | None]):
    """Dismisses with the points to use (0: none), or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        member_name: str,
        limits: RedeemLimits,
        currency: str,
        exchange: tuple[int, int],
    ) -> None:
        super().__init__()
        self.member_name = member_name
        self.limits = limits
        self.currency = currency
        self.exchange = exchange

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.question(), id="question")
            yield Input(value=str(self.limits.most), id="redeem-points")
            yield Static("", id="dialog-error")
            with Horizontal(id="buttons"):
                yield Button("Use (Enter)", variant="primary", id="use")
                yield Button("Cancel (Esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#dialog").border_title = "Use points as a discount"
        for button in self.query(Button):
            button.can_focus = False
        field = self.query_one("#redeem-points", Input)
        field.focus()
        field.select_all()

    def question(self) -> str:
        """Every limit, then the question (what the cashier reads before typing)."""
        limits = self.limits
        points, value = self.exchange
        lines = [
            f"{self.member_name} has {formatting.points(limits.balance)} points "
            f"({formatting.points(points)} points = {formatting.money(value, self.currency)}).",
            f"Smallest redemption: {formatting.points(limits.minimum)} points.",
        ]
        if limits.purchase_minor is not None:
            lines.append(
                f"The basket ({formatting.money(limits.purchase_minor, self.currency)}) "
                "caps the discount."
            )
        if limits.offline_left is not None:
            lines.append(
                f"Offline: {formatting.points(max(limits.offline_left, 0))} points left today "
                "at this till."
            )
        lines.append(f"Points to use (at most {formatting.points(limits.most)}; 0 for none):")
        return "\n".join(lines)

    @on(Input.Submitted, "#redeem-points")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        kept, code = split_wedge_scan(event.value)
        if code is not None:
            event.input.value = kept
            self.post_message(ScanReceived(code, "wedge"))
            return
        self._use()

    @on(Button.Pressed, "#use")
    def _use(self) -> None:
        text = self.query_one("#redeem-points", Input).value.strip().replace(" ", "")
        error = self.query_one("#dialog-error", Static)
        if not (text.isascii() and text.isdigit()):
            error.update(f"{text!r} is not a number of points. Type it like 200.")
            return
        points = int(text)
        if points and not self.limits.minimum <= points <= self.limits.most:
            error.update(
                f"Use from {formatting.points(self.limits.minimum)} to "
                f"{formatting.points(self.limits.most)} points, or 0."
            )
            return
        self.dismiss(points)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
