"""The App's handlers for staff at the till: manager mode, sign-out, approvals, and
the answers of screens that ask the Till themselves (see :mod:`pos_client.ui.asking`).

A mixin of :class:`pos_client.ui.app.TillApp`; its handlers are found by name
(``on_<message>``), as Textual looks them up along the class's bases.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pos_client.approvals import Approval
from pos_client.ui.asking import Answered, Deliver, Work, ask_call
from pos_client.ui.messages import ApprovalAsked, ManagerRequested, SignOutRequested

if TYPE_CHECKING:
    from pos_client.ui.call_queue import CallQueue
    from pos_client.ui.manager_mode import StaffDesk
    from pos_client.ui.screens.cashier import CashierScreen


class StaffHandlers:
    """Routes the staff messages to :class:`~pos_client.ui.manager_mode.StaffDesk`."""

    if TYPE_CHECKING:
        staff: StaffDesk
        _calls: CallQueue
        _finishing: bool

        @property
        def cashier(self) -> CashierScreen: ...

    def on_manager_requested(self, _: ManagerRequested) -> None:
        self.staff.open_manager()

    def on_sign_out_requested(self, _: SignOutRequested) -> None:
        self.staff.sign_out()

    def on_approval_asked(self, message: ApprovalAsked) -> None:
        if message.operation == "finish":
            self._finishing = False
        if message.held:
            self.cashier.answered()
        else:
            self.cashier.release_keys()
        self.staff.approval_asked(message)

    def retry_approved(self, asked: ApprovalAsked, approval: Approval) -> None:
        """Run the refused call again with the manager's approval (a sale as F2 does:
        one sale at most, the keys typed meanwhile waiting for its receipt)."""
        if asked.held:
            if asked.operation == "finish":
                self._finishing = True
            self.cashier.hold_keys(for_answer=True)
        self._calls.submit(asked.operation, asked.retry(approval), held=asked.held)

    def on_answered(self, message: Answered) -> None:
        message.deliver(message.result)

    def ask(self, operation: str, work: Work, deliver: Deliver) -> None:
        """Run ``work`` on the Till in the call queue; ``deliver`` gets its answer (or
        the refusal) on the UI thread: for screens other than the cashier's."""
        self._calls.submit(operation, ask_call(work, deliver), with_status=False)
