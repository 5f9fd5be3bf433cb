"""Staff at the cashier's till: sign-in, a manager's approval, and manager mode.

* **Sign-in.** When the till knows its store's staff and nobody is signed in (at
  start, after Ctrl+L), the sign-in screen covers the till until someone signs in.
* **Approval.** A sale, refund or redemption the programme says needs a manager is
  refused by the Till with :class:`~pos_client.errors.ApprovalRequired`; the App
  then asks a manager for their PIN in a modal (the cashier stays signed in) and
  runs the same call again with the approval, which the event records. Scans that
  arrive meanwhile wait for the dialog, as for every dialog.
* **Manager mode.** F1 and a manager's PIN open the manager's pages; Esc, or
  :data:`MANAGER_IDLE_SECONDS` without a key, closes them and the cashier carries on.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from loyalty.programme.approvals import ACTION_WORDS
from pos_client.ui.manager.screen import ManagerScreen
from pos_client.ui.messages import ApprovalAsked
from pos_client.ui.screens.pin_dialog import PinDialog
from pos_client.ui.screens.sign_in import SignInScreen

if TYPE_CHECKING:
    from pos_client.ui.app import TillApp

MANAGER_IDLE_SECONDS = 120.0
"""Manager mode closes after this long without a key or a click."""
IDLE_CHECK_SECONDS = 1.0


class StaffDesk:
    """The App's sign-in, approvals and manager mode."""

    def __init__(self, app: TillApp, idle_seconds: float = MANAGER_IDLE_SECONDS) -> None:
        self._app = app
        self.idle_seconds = idle_seconds
        self.last_input = time.monotonic()
        self.manager: ManagerScreen | None = None
        self.signing_in: SignInScreen | None = None

    # --- scans and activity -----------------------------------------------------------

    def touched(self) -> None:
        """A key or a click: manager mode is in use."""
        self.last_input = time.monotonic()

    def take_scan(self, text: str) -> bool:
        """Give a scan to the sign-in screen or manager mode when one is on top; True
        when it was theirs."""
        screen: Any = self._app.screen
        if screen is self._app.cashier or self._app.dialogs.shut:
            return False
        taker = getattr(screen, "take_scan", None)
        if taker is None:
            return False
        taker(text)
        return True

    # --- sign-in ------------------------------------------------------------------------

    def check_sign_in(self) -> None:
        """Cover the till with the sign-in screen if someone must sign in."""
        self._app.ask("needs sign-in", lambda till: till.needs_sign_in, self._needs_sign_in)

    def _needs_sign_in(self, needed: Any) -> None:
        if needed is True and self.signing_in is None:
            warnings = self._app.till.config_warnings
            self.signing_in = SignInScreen(self._app.till.config.store_name, warnings)
            self._app.push_screen(self.signing_in, self._signed_in)

    def _signed_in(self, staff: Any) -> None:
        self.signing_in = None
        self._app.cashier.show_info(f"{staff.name} is signed in. Every sale names them.")
        self._app.cashier.focus_scan()

    def sign_out(self) -> None:
        cashier = self._app.cashier
        if self._app.screen is not cashier or self._app.dialogs.shut:
            return
        if cashier.member is not None:
            cashier.show_error("Finish the sale or press Esc for the next customer first.")
            return
        self._app.ask("sign out", lambda till: till.sign_out(), lambda _: self.check_sign_in())

    # --- approvals ----------------------------------------------------------------------

    def approval_asked(self, asked: ApprovalAsked) -> None:
        words = ACTION_WORDS.get(asked.action, asked.action)
        explanation = (
            f"{asked.message}\nA manager approves {words} with their staff number and PIN; "
            "the cashier stays signed in."
        )
        action, amount = asked.action, asked.amount

        def check(till: Any, who: str, pin: str) -> Any:
            return till.approve(who, pin, action, amount)

        def answered(approval: Any) -> None:
            if approval is None:
                self._app.cashier.show_error("Not approved: nothing was recorded.")
                return
            self._app.retry_approved(asked, approval)

        self._app.dialogs.show(PinDialog("Manager approval", explanation, check), answered)

    # --- manager mode -------------------------------------------------------------------

    def open_manager(self) -> None:
        if self._app.screen is not self._app.cashier or self.manager is not None:
            return

        def check(till: Any, who: str, pin: str) -> Any:
            return till.enter_manager(who, pin)

        self._app.dialogs.show(
            PinDialog("Manager mode", "A manager's staff number and PIN open manager mode.", check),
            self._entered,
        )

    def _entered(self, staff: Any) -> None:
        if staff is None:
            return
        self.touched()
        self.manager = ManagerScreen(staff.name, staff.staff_id, self.idle_seconds / 60)
        self._app.push_screen(self.manager, self._left)
        self._app.set_timer(IDLE_CHECK_SECONDS, self._idle_check)

    def _idle_check(self) -> None:
        if self.manager is None:
            return
        if time.monotonic() - self.last_input >= self.idle_seconds:
            self.close_manager()
            self._app.cashier.show_info("Manager mode closed after no use; back to the cashier.")
            return
        self._app.set_timer(IDLE_CHECK_SECONDS, self._idle_check)

    def close_manager(self) -> None:
        """Back to the cashier: every screen over the manager's pages closes too."""
        manager = self.manager
        if manager is None:
            return
        while self._app.screen is not manager and len(self._app.screen_stack) > 2:
            self._app.pop_screen()
        manager.dismiss(None)

    def _left(self, _: Any) -> None:
        self.manager = None
        self._app.ask("leave manager mode", lambda till: till.leave_manager(), lambda _: None)
        self._app.cashier.focus_scan()
