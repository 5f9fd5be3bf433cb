"""Points (or a money bonus) as a discount: the dialog states every limit before it
asks how much.

The member's balance, the programme's minimum, what the basket allows and, offline,
what is left of today's cap are shown first, with the most that may be used now
already filled in, in the wallet's own words: points, stars, or an amount of money
for a money wallet (Kiwi's bonus, typed like 12.50). The cashier confirms with Enter
(or changes the figure first); 0 takes the discount off again. Nothing is recorded
here: the discount becomes part of the basket, recorded when the sale is finished.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from loyalty.errors import InvalidAmount
from loyalty.money import parse_money
from loyalty.programme.redemption import RedeemLimits
from pos_client.ui import formatting
from pos_client.ui.messages import ScanReceived
from pos_client.ui.screens.wedge_dialog import WedgeAwareDialog
from pos_client.ui.wedge import split_wedge_scan
from pos_client.views import WalletInfo


class RedeemDialog(WedgeAwareDialog[int | None]):
    """Dismisses with the wallet's units to use (0: none), or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        member_name: str,
        limits: RedeemLimits,
        currency: str,
        exchange: tuple[int, int],
        wallet: WalletInfo,
    ) -> None:
        super().__init__()
        self.member_name = member_name
        self.limits = limits
        self.currency = currency
        self.exchange = exchange
        self.wallet = wallet
        self.is_money = wallet.kind == "money"

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.question(), id="question")
            yield Input(value=self._typed(self.limits.most), id="redeem-points")
            yield Static("", id="dialog-error")
            with Horizontal(id="buttons"):
                yield Button("Use (Enter)", variant="primary", id="use")
                yield Button("Cancel (Esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#dialog").border_title = f"Use {self.wallet.name.lower()} as a discount"
        for button in self.query(Button):
            button.can_focus = False
        field = self.query_one("#redeem-points", Input)
        field.focus()
        field.select_all()

    def _figure(self, value: int) -> str:
        return formatting.wallet_figure(value, self.wallet, self.currency)

    def _typed(self, value: int) -> str:
        """A figure as the cashier types it: ``200``, or ``12.50`` for money."""
        return formatting.amount(value, self.currency) if self.is_money else str(value)

    def question(self) -> str:
        """Every limit, then the question (what the cashier reads before typing)."""
        limits = self.limits
        points, value = self.exchange
        name = self.wallet.name.lower()
        balance = f"{self.member_name} has {self._figure(limits.balance)}"
        if self.is_money:
            balance += f" of {self.wallet.name}."
        else:
            exchange = formatting.money(value, self.currency)
            balance += f" ({self._figure(points)} = {exchange})."
        lines = [balance, f"Smallest redemption: {self._figure(limits.minimum)}."]
        if limits.purchase_minor is not None:
            lines.append(
                f"The basket ({formatting.money(limits.purchase_minor, self.currency)}) "
                "caps the discount."
            )
        if limits.offline_left is not None:
            lines.append(
                f"Offline: {self._figure(max(limits.offline_left, 0))} left today at this till."
            )
        lines.append(
            f"{name.capitalize()} to use (at most {self._figure(limits.most)}; 0 for none):"
        )
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
        units = self._read(text)
        if units is None:
            example = "12.50" if self.is_money else "200"
            what = "an amount" if self.is_money else "a number of points"
            error.update(f"{text!r} is not {what}. Type it like {example}.")
            return
        if units and not self.limits.minimum <= units <= self.limits.most:
            low = self.limits.minimum
            least = self._figure(low) if self.is_money else formatting.points(low)
            error.update(f"Use from {least} to {self._figure(self.limits.most)}, or 0.")
            return
        self.dismiss(units)

    def _read(self, text: str) -> int | None:
        """The wallet's units the cashier typed, or None when it is not a figure."""
        if not self.is_money:
            return int(text) if text.isascii() and text.isdigit() else None
        try:
            return parse_money(text, self.currency).minor
        except InvalidAmount:
            return None

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
