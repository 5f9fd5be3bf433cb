"""Dialogs that a till answer opens, and where the cashier's choice goes next.

The cashier asks (redeem, refund, reward, quick key, action); the till answers with
what is possible (limits, a preview, the rewards, the keys, the actions); the dialog
shows exactly that, and the choice goes back to the till as one call. Cancelling a
dialog records nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pos_client.ui import till_calls
from pos_client.ui.messages import (
    ActionsListed,
    QuickKeysListed,
    RedeemLimitsRead,
    RefundPreviewed,
    RewardsListed,
)
from pos_client.ui.screens.choice_dialog import ChoiceDialog
from pos_client.ui.screens.redeem_dialog import RedeemDialog
from pos_client.ui.screens.refund_confirm import RefundAnswer, RefundConfirmDialog

if TYPE_CHECKING:
    from pos_client.ui.app import TillApp


class AnswerDialogs:
    """Opens the dialog for one till answer (through the App's dialog gate)."""

    def __init__(self, app: TillApp) -> None:
        self._app = app

    def _submit(self, operation: str, call: till_calls.TillCall) -> None:
        self._app.submit_call(operation, call)

    def redeem_limits(self, message: RedeemLimitsRead) -> None:
        """The real limit is stated before the cashier types the points."""

        def answered(points: int | None) -> None:
            if points is None:
                self._app.cashier.show_info(f"{message.wallet.name} not used: no discount.")
            else:
                self._submit("redeem", till_calls.set_redeem(message.card, points))

        dialog = RedeemDialog(
            message.member_name,
            message.limits,
            message.currency,
            message.points_per_value,
            message.wallet,
        )
        self._app.dialogs.show(dialog, answered, expected=True)

    def refund_preview(self, message: RefundPreviewed) -> None:
        """What the refund takes back, to confirm, or to change the lines (a new
        preview)."""
        preview = message.preview

        def answered(answer: RefundAnswer | None) -> None:
            if answer is None:
                self._app.cashier.show_info("Refund cancelled. Nothing was recorded.")
                return
            what, lines = answer
            if what == "confirm":
                self._submit("refund", till_calls.refund(preview.receipt_no, lines))
            else:
                self._app.dialogs.expect(
                    "refund preview", till_calls.refund_preview(preview.receipt_no, lines)
                )

        self._app.dialogs.show(RefundConfirmDialog(preview), answered, expected=True)

    def rewards(self, message: RewardsListed) -> None:
        choices = [(str(i), label) for i, (_, _, label) in enumerate(message.rewards)]

        def answered(choice: str | None) -> None:
            if choice is not None:
                reward, instance, _ = message.rewards[int(choice)]
                self._submit("reward", till_calls.apply_reward(message.card, reward, instance))

        self._app.dialogs.show(ChoiceDialog("Use a reward", choices), answered, expected=True)

    def quick_keys(self, message: QuickKeysListed) -> None:
        def answered(key: str | None) -> None:
            if key is not None:
                self._app.cashier.clear_amount()
                self._submit("quick key", till_calls.quick_key(key, message.amount))

        keys = [key for key, _ in message.keys]
        dialog = ChoiceDialog("Quick keys", list(message.keys), keys)
        self._app.dialogs.show(dialog, answered, expected=True)

    def actions(self, message: ActionsListed) -> None:
        def answered(action: str | None) -> None:
            if action is not None:
                self._submit("action", till_calls.record_action(message.card, action))

        dialog = ChoiceDialog("Record an action", message.actions)
        self._app.dialogs.show(dialog, answered, expected=True)
