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
        self._quit_question: ConfirmDialog | None = None

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
        question = self._discard_question(title, then)
        if question is not None:
            self._app.dialogs.show(question, question.answered_with)

    def quit(self, then: Callable[[], None]) -> None:
        """Ctrl+Q: :meth:`discard_basket` from the cashier screen; from a dialog the
        question opens over it (the basket is only in memory), and Ctrl+Q at the
        question itself quits."""
        app = self._app
        if not app.screen_stack or app.screen is self._quit_question:
            then()
        elif app.screen is app.cashier:
            self.discard_basket("Quit", "quit", then)
        else:
            question = self._discard_question("Quit", then)
            if question is not None:
                app.push_screen(question, question.answered_with)

    def _discard_question(self, title: str, then: Callable[[], None]) -> _Discard | None:
        """The question before discarding the basket's unrecorded lines (None, and
        ``then`` run at once, when there are none)."""
        unrecorded = self._app.cashier.unrecorded_lines
        if not unrecorded:
            then()
            return None
        lines = "1 line that is" if unrecorded == 1 else f"{unrecorded} lines that are"
        them = "it" if unrecorded == 1 else "them"
        question = f"The basket has {lines} not recorded.\nDiscard {them}? ({title})"
        dialog = _Discard(title, question, then)
        if title == "Quit":
            self._quit_question = dialog
        return dialog


class _Discard(ConfirmDialog):
    """The discard question, with what to run if the cashier agrees."""

    def __init__(self, title: str, question: str, then: Callable[[], None]) -> None:
        super().__init__(title, question, yes="Discard")
        self._then = then

    def answered_with(self, yes: bool | None) -> None:
        if yes:
            self._then()
