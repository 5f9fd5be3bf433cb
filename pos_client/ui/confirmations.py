"""Questions the till asks before it does something the cashier may regret.

- A line or amount above the till's limit (``[till] large_amount``) asks for a
  second look before it is used.
- Unrecorded lines in the basket are never discarded without asking: not by Esc
  (next customer) and not by Ctrl+Q (quit).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from loyalty.errors import LoyaltyError
from loyalty.money import Money, parse_money
from pos_client.ui.screens.confirm_dialog import ConfirmDialog

if TYPE_CHECKING:
    from pos_client.ui.app import TillApp


class Confirmations:
    """Asks, through the App's dialog gate, then runs what was confirmed."""

    def __init__(self, app: TillApp) -> None:
        self._app = app

    def second_look(self, amount: str, then: Callable[[], None]) -> None:
        """Run ``then`` at once, or after the cashier confirms a large amount."""
        till = self._app.till
        try:
            money = parse_money(amount, till.version().programme.currency)
        except LoyaltyError:
            then()  # the till refuses it with the reason
            return
        if money.minor <= till.config.large_amount_minor:
            then()
            return
        limit = Money(till.config.large_amount_minor, money.currency)

        def answered(yes: bool | None) -> None:
            if yes:
                then()
            else:
                cashier = self._app.cashier
                cashier.show_info("Nothing was added. Check the amount and type it again.")
                cashier.focus_amount()

        question = f"{money} is more than this till's usual limit of {limit}.\nIs the amount right?"
        self._app.dialogs.show(
            ConfirmDialog("Check the amount", question, yes="It is right"), answered
        )

    def discard_basket(self, title: str, and_then: str, then: Callable[[], None]) -> None:
        """Run ``then`` at once if the basket holds nothing unrecorded, else only once
        the cashier agrees to discard those lines."""
        unrecorded = self._app.cashier.unrecorded_lines
        if not unrecorded:
            then()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                then()

        question = (
            f"The basket has {unrecorded} line(s) that are not recorded.\nDiscard them? ({title})"
        )
        self._app.dialogs.show(ConfirmDialog(title, question, yes="Discard"), answered)
