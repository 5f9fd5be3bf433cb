"""The till's Textual App: owns the Till, runs its calls off the UI thread, routes scans.

Every scan, from the typed field, a keyboard wedge, the demo key or a serial scanner
thread, goes through :meth:`TillApp.submit_scan`. A scanner thread hands a scan over
with ``app.post_message(ScanReceived(text, "serial"))`` and reports its state with
``app.post_message(ScannerStatusChanged("serial /dev/ttyACM0"))``; both are
thread-safe.

While a dialog is open (or about to open) scans are held, not dropped and not fed to
the dialog, and are applied in order once it closes. One F2 finishes at most one
sale: a second press while the first is being recorded is ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import events, on
from textual.app import App
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.worker import Worker

from devices.config import ScannerConfig
from devices.simulator import ScannerSimulator
from loyalty.scans import ScanKind, classify_scan
from pos_client.till import Till
from pos_client.ui import till_calls
from pos_client.ui.answer_dialogs import AnswerDialogs
from pos_client.ui.asking import Answered
from pos_client.ui.background import BackgroundServices
from pos_client.ui.call_queue import CallQueue
from pos_client.ui.confirmations import Confirmations
from pos_client.ui.demo_keys import DEMO_BINDINGS, DemoKeys
from pos_client.ui.dialog_gate import DialogGate
from pos_client.ui.manager_mode import MANAGER_IDLE_SECONDS, StaffDesk
from pos_client.ui.messages import (
    ActionRequested,
    ActionsListed,
    AmountEntered,
    ApprovalAsked,
    CashierReady,
    DemoCardDrawn,
    DemoCardsLoaded,
    FinishRequested,
    KeyHandled,
    LineChangeRequested,
    MemberCleared,
    MemberSelected,
    NextCustomerRequested,
    QuickKeysListed,
    QuickKeysRequested,
    RedeemLimitsRead,
    RedeemRequested,
    RefundPreviewed,
    RefundRequested,
    RewardRequested,
    RewardsListed,
    SaleChanged,
    SaleRecorded,
    ScannerStatusChanged,
    ScanReceived,
    ScanRefused,
    StatusChanged,
    SyncStatusChanged,
    TillFailed,
)
from pos_client.ui.screens.cashier import CashierScreen
from pos_client.ui.screens.refund_dialog import RefundDialog
from pos_client.ui.staff_handlers import StaffHandlers

_ANSWERS = (
    ActionsListed,
    Answered,
    ApprovalAsked,
    DemoCardDrawn,
    DemoCardsLoaded,
    MemberCleared,
    MemberSelected,
    QuickKeysListed,
    RedeemLimitsRead,
    RefundPreviewed,
    RewardsListed,
    SaleChanged,
    SaleRecorded,
    StatusChanged,
    KeyHandled,
    SyncStatusChanged,
    ScannerStatusChanged,
    ScanReceived,
    ScanRefused,
    TillFailed,
)
"""Messages the App only shows on the cashier screen."""

DEMO_CARD_COUNT = 5
STATUS_INTERVAL = 2.0
"""Seconds between status bar refreshes while the till is idle."""
DIALOG_CALLS = frozenset({"redeem limits", "refund preview", "rewards", "quick keys", "actions"})
"""Calls whose answer opens a dialog: scans wait for them as for the dialog."""


class TillApp(StaffHandlers, DemoKeys, App[None]):
    """The cashier's terminal. Construct with an open Till; the caller closes it."""

    CSS_PATH = "till.tcss"
    TITLE = "Loyalty till"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", key_display="^Q", priority=True),
        *DEMO_BINDINGS,
    ]

    def __init__(
        self,
        till: Till,
        demo: bool = False,
        scanner: ScannerConfig | None = None,
        simulator: ScannerSimulator | None = None,
        demo_settle: Callable[[], str] | None = None,
        demo_member_qr: Callable[[str], str] | None = None,
        manager_idle: float = MANAGER_IDLE_SECONDS,
    ) -> None:
        """``scanner``: read a serial scanner; ``simulator``: the demo's simulated one,
        through which the demo's simulated scans travel (the real serial path);
        ``demo_settle``: runs the demo ledger's settle for today (F12);
        ``demo_member_qr``: the demo ledger's app token for a card (Ctrl+O);
        ``manager_idle``: seconds without a key before manager mode closes."""
        super().__init__()
        self.till = till
        self.demo = demo
        self.simulator = simulator
        self.demo_settle = demo_settle
        self.demo_member_qr = demo_member_qr
        self._background = BackgroundServices(self, till, scanner)
        self.input_cursor_blink = True
        """Set False before running for stable screenshots."""
        self.show_receipt_time = True
        """Set False before running for screenshots that do not depend on the clock."""
        self._calls = CallQueue(self, till)
        self.dialogs = DialogGate(self)
        self._answers = AnswerDialogs(self)
        self._confirm = Confirmations(self)
        self.staff = StaffDesk(self, manager_idle)
        self._finishing = False
        config = till.config
        parts = [config.store_name, config.terminal_id] + (["DEMO"] if demo else [])
        self.sub_title = " · ".join(part for part in parts if part)

    def get_default_screen(self) -> Screen[None]:
        return CashierScreen(
            demo=self.demo,
            cursor_blink=self.input_cursor_blink,
            receipt_time=self.show_receipt_time,
        )

    @property
    def cashier(self) -> CashierScreen:
        screen = self.screen_stack[0]
        assert isinstance(screen, CashierScreen)
        return screen

    @property
    def idle(self) -> bool:
        """No till call is running or waiting (held scans wait for a dialog, not here)."""
        return self._calls.idle

    @on(CashierReady)
    def _cashier_ready(self) -> None:
        self._calls.submit("status", till_calls.status(), with_status=False)
        if self.demo:
            self._calls.submit("demo", till_calls.demo_cards(DEMO_CARD_COUNT), with_status=False)
        self.set_interval(STATUS_INTERVAL, self._refresh_status)
        self._background.start()
        self.staff.check_sign_in()

    def on_unmount(self) -> None:
        self._background.stop()

    def _refresh_status(self) -> None:
        if self._calls.idle:
            self._calls.submit("status", till_calls.status(), with_status=False)

    # --- the public API for scan sources --------------------------------------------

    def submit_scan(self, text: str, source: str) -> None:
        """The one entry point for a scan from any source (call on the UI thread).

        From another thread, post :class:`ScanReceived` instead. Keys typed while a
        card is looked up are held and replayed where its answer puts the focus.
        """
        if self.staff.take_scan(text):
            return
        if self.dialogs.hold(text, source):
            self.cashier.show_info("Scan received; it applies when the dialog closes.")
            return
        # A card (or what may be one) selects a member: the keys after it wait for the
        # answer, which puts the focus on the Amount field. A product or a voucher
        # changes the basket and leaves the focus where it is.
        held = classify_scan(text.strip()).kind not in (ScanKind.PRODUCT, ScanKind.VOUCHER)
        if held:
            self.cashier.hold_keys(for_answer=True)
        self._calls.submit("scan", till_calls.scan(text, source), held=held)

    def set_scanner_status(self, text: str) -> None:
        """Show the scanner's state in the status bar (call on the UI thread)."""
        self.cashier.show_scanner(text)

    @on(ScanReceived)
    def _scan_received(self, message: ScanReceived) -> None:
        self.submit_scan(message.text, message.source)

    @on(ScannerStatusChanged)
    def _scanner_status_changed(self, message: ScannerStatusChanged) -> None:
        self.set_scanner_status(message.text)

    @on(ScanRefused)
    def _scan_refused(self, message: ScanRefused) -> None:
        self.cashier.show_error(message.message, "scan")

    @on(SyncStatusChanged)
    def _sync_status_changed(self) -> None:
        self._refresh_status()

    # --- requests from the cashier screen -------------------------------------------

    @on(AmountEntered)
    def _amount_entered(self, message: AmountEntered) -> None:
        def add() -> None:
            if message.field == "amount":  # typed in the Scan field: Amount keeps its text
                self.cashier.clear_amount()
            self._calls.submit("amount", till_calls.add_amount(message.amount))

        self._confirm.second_look(message.amount, add)

    @on(FinishRequested)
    def _finish(self, message: FinishRequested) -> None:
        if self._finishing or self.dialogs.shut:
            return  # one keypress finishes at most one sale

        def finish() -> None:
            self._finishing = True
            self.cashier.hold_keys(for_answer=True)  # the next card waits for the receipt
            call = till_calls.finish(message.card, message.amount)
            self._calls.submit("finish", call, held=True)

        self._confirm.second_look(message.amount, finish)

    @on(RedeemRequested)
    def _redeem(self, message: RedeemRequested) -> None:
        self.dialogs.expect("redeem limits", till_calls.redeem_limits(message.card))

    @on(RefundRequested)
    def _refund(self) -> None:
        def receipt_answered(receipt_no: str | None) -> None:
            if receipt_no is not None:
                self.dialogs.expect("refund preview", till_calls.refund_preview(receipt_no, None))

        self.dialogs.show(RefundDialog(self.till.config.terminal_id), receipt_answered)

    @on(RewardRequested)
    def _reward(self, message: RewardRequested) -> None:
        self.dialogs.expect("rewards", till_calls.rewards(message.card))

    @on(QuickKeysRequested)
    def _quick(self, message: QuickKeysRequested) -> None:
        self.dialogs.expect("quick keys", till_calls.quick_keys(message.amount))

    @on(ActionRequested)
    def _action(self, message: ActionRequested) -> None:
        self.dialogs.expect("actions", till_calls.actions(message.card))

    @on(LineChangeRequested)
    def _line_change(self, message: LineChangeRequested) -> None:
        self._calls.submit("line", till_calls.change_line(message.line, message.change))

    @on(NextCustomerRequested)
    def _next_customer(self) -> None:
        def next_customer() -> None:
            self._calls.submit("next customer", till_calls.next_customer(), with_status=False)

        self._confirm.discard_basket("Next customer", "start with the next customer", next_customer)

    async def action_quit(self) -> None:
        """Ctrl+Q: quit, after asking if the basket holds unrecorded lines (from a
        dialog too; Ctrl+Q at that question quits)."""
        self._confirm.quit(self.exit)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.demo_key_enabled(action)

    # --- answers from the till --------------------------------------------------------

    @on(Worker.StateChanged)
    def _worker_state_changed(self, event: Worker.StateChanged) -> None:
        self._calls.worker_state_changed(event.worker)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown):
            self.staff.touched()
        if (
            isinstance(event, events.Key)
            and not event.is_forwarded
            and event.key != "ctrl+q"
            and self.screen_stack
        ):
            await self._route_key(event)
        else:
            await super().on_event(event)

    async def _route_key(self, event: events.Key) -> None:
        """Keys (but the quit key) typed while a dialog is on its way, or before the
        keys typed for it are replayed into it, are the dialog's; while a command key
        is handled (Enter in the scan or amount field, F2-F7, Esc), or the till's
        answer is awaited (a card lookup, a sale being recorded), the screen holds
        them (:class:`TypeAhead`); a code typed on the basket goes to the Scan field."""
        cashier = self.cashier
        if self.dialogs.keeps_keys:
            self.dialogs.keep_key(event)
        elif self.screen is cashier and cashier.holding:
            cashier.type_ahead.keep(event)
        elif self.screen is cashier and cashier.starts_code(event):
            cashier.type_code(event)  # typed on the basket: for the Scan field
        else:
            focused, on_cashier = self.focused, self.screen is cashier
            await super().on_event(event)
            if on_cashier and cashier.holds_after(event.key, focused):
                cashier.hold_keys()

    @on(KeyHandled)
    def _key_handled(self) -> None:
        cashier = self.cashier
        cashier.command_pending = False
        if self.dialogs.shut:  # the key opened a dialog: what follows is the dialog's
            self.dialogs.adopt_keys(cashier.take_keys())
        else:
            cashier.release_keys()  # unless a till answer is still awaited

    async def _on_message(self, message: Message) -> None:
        """Answers that arrive while the App is closing (no cashier screen any more)
        are dropped: there is nothing left to show them on."""
        closing = not self.screen_stack or not self.is_running  # shutting down
        if closing and isinstance(message, _ANSWERS):
            return
        await super()._on_message(message)

    @on(MemberSelected)
    def _member_selected(self, message: MemberSelected) -> None:
        cashier = self.cashier
        cashier.show_member(message.member)
        cashier.show_sale(message.sale)
        cashier.clear_notice()
        amount = cashier.query_one("#amount")
        if cashier.holding or cashier.held_for_answer:
            cashier.answered(amount)
        else:
            cashier.focus_amount()

    @on(MemberCleared)
    def _member_cleared(self) -> None:
        self.cashier.clear_customer()

    @on(SaleChanged)
    def _sale_changed(self, message: SaleChanged) -> None:
        self.cashier.show_sale(message.sale)
        self.cashier.release_keys()
        if message.notice:
            self.cashier.show_info(message.notice)
        else:
            self.cashier.clear_notice()

    @on(SaleRecorded)
    def _sale_recorded(self, message: SaleRecorded) -> None:
        finished, self._finishing = self._finishing, False
        self.cashier.show_receipt(message.receipt, message.member, message.sale)
        self.cashier.keys_after_receipt(finished)

    @on(RedeemLimitsRead)
    def _redeem_limits_read(self, message: RedeemLimitsRead) -> None:
        self._answers.redeem_limits(message)

    @on(RefundPreviewed)
    def _refund_previewed(self, message: RefundPreviewed) -> None:
        self._answers.refund_preview(message)

    @on(RewardsListed)
    def _rewards_listed(self, message: RewardsListed) -> None:
        self._answers.rewards(message)

    @on(QuickKeysListed)
    def _quick_keys_listed(self, message: QuickKeysListed) -> None:
        self._answers.quick_keys(message)

    @on(ActionsListed)
    def _actions_listed(self, message: ActionsListed) -> None:
        self._answers.actions(message)

    @on(TillFailed)
    def _till_failed(self, message: TillFailed) -> None:
        cashier = self.cashier
        if message.operation == "finish":
            self._finishing = False
        typed = self.dialogs.expected_failed() if message.operation in DIALOG_CALLS else []
        dropped = 0
        if message.held:  # the keys waited for this answer; a failed card scan drops them
            dropped = cashier.answered(drop=message.operation == "scan")
        else:
            cashier.release_keys()
        text = message.message
        if message.member_cleared and cashier.member is not None:
            text += f" {cashier.member.name} is no longer selected: scan their card again."
        if message.member_cleared:
            cashier.show_member(None)
        if dropped:
            text += f" ({dropped} key(s) typed during the scan were not used.)"
        cashier.show_error(text, message.field)
        for key in typed:  # after the focus change show_error asked for
            self.post_message(key)

    @on(StatusChanged)
    def _status_changed(self, message: StatusChanged) -> None:
        self.cashier.show_status(message.status)
        shown, fresh = self.cashier.member, message.member
        if shown is not None and fresh is not None and fresh.card == shown.card:
            self.cashier.show_member(fresh)

    # --- dialogs ----------------------------------------------------------------------

    def run_call(self, operation: str, call: till_calls.TillCall) -> None:
        """Queue a till call whose answer opens a dialog (see :class:`DialogGate`)."""
        self._calls.submit(operation, call, with_status=False)

    def submit_call(self, operation: str, call: till_calls.TillCall) -> None:
        """Queue a till call that changes the sale (the status bar refreshes after)."""
        self._calls.submit(operation, call)

    def after_dialog(self) -> None:
        """A dialog closed and no other opened: back to the scan field."""
        self.cashier.focus_scan()
