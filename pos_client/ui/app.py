"""The till's Textual App: owns the Till, runs its calls off the UI thread, routes scans.

Every scan, from the typed field, a keyboard wedge, the demo key or (later) a serial
scanner thread, goes through :meth:`TillApp.submit_scan`. A scanner thread hands a
scan over with ``app.post_message(ScanReceived(text, "serial"))`` and reports its
state with ``app.post_message(ScannerStatusChanged("serial /dev/ttyACM0"))``; both
are thread-safe.

While a dialog is open (or about to open) scans are held, not dropped and not fed to
the dialog, and are applied in order once it closes.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.worker import Worker

from devices.config import ScannerConfig
from devices.simulator import ScannerSimulator
from pos_client.till import Till
from pos_client.ui import till_calls
from pos_client.ui.background import BackgroundServices
from pos_client.ui.call_queue import CallQueue
from pos_client.ui.messages import (
    CashierReady,
    DemoCardDrawn,
    DemoCardsLoaded,
    EarnRequested,
    MemberCleared,
    MemberSelected,
    NextCustomerRequested,
    RedeemPreviewed,
    RedeemRequested,
    RefundRequested,
    ScannerStatusChanged,
    ScanReceived,
    ScanRefused,
    StatusChanged,
    SyncStatusChanged,
    TillFailed,
    TransactionRecorded,
)
from pos_client.ui.screens.cashier import CashierScreen
from pos_client.ui.screens.confirm_redeem import ConfirmRedeemScreen
from pos_client.ui.screens.refund_dialog import RefundDialog

DEMO_CARD_COUNT = 5
STATUS_INTERVAL = 2.0
"""Seconds between status bar refreshes while the till is idle."""
PREVIEW = "redeem-preview"


class TillApp(App[None]):
    """The cashier's terminal. Construct with an open Till; the caller closes it."""

    CSS_PATH = "till.tcss"
    TITLE = "Loyalty till"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f9", "simulate_scan", "Simulate scan", key_display="F9"),
        Binding("f8", "toggle_connection", "Cut/restore network", key_display="F8"),
    ]

    def __init__(
        self,
        till: Till,
        demo: bool = False,
        scanner: ScannerConfig | None = None,
        simulator: ScannerSimulator | None = None,
    ) -> None:
        """``scanner``: read a serial scanner; ``simulator``: the demo's simulated one,
        through which the demo's simulated scans travel (the real serial path)."""
        super().__init__()
        self.till = till
        self.demo = demo
        self.simulator = simulator
        self._background = BackgroundServices(self, till, scanner)
        self.input_cursor_blink = True
        """Set False before running for stable screenshots."""
        self.show_receipt_time = True
        """Set False before running for screenshots that do not depend on the clock."""
        self._calls = CallQueue(self, till)
        self._held_scans: list[tuple[str, str]] = []
        self._dialog_open = False
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

    def on_unmount(self) -> None:
        self._background.stop()

    def _refresh_status(self) -> None:
        if self._calls.idle:
            self._calls.submit("status", till_calls.status(), with_status=False)

    # --- the public API for scan sources --------------------------------------------

    def submit_scan(self, text: str, source: str) -> None:
        """The one entry point for a scan from any source (call on the UI thread).

        From another thread, post :class:`ScanReceived` instead.
        """
        if self._dialog_open:
            self._held_scans.append((text, source))
            self.cashier.show_info("Scan received; it applies when the dialog closes.")
            return
        self._calls.submit("scan", till_calls.scan(text, source))

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

    @on(EarnRequested)
    def _earn(self, message: EarnRequested) -> None:
        self._calls.submit("earn", till_calls.earn(message.card, message.amount))

    @on(RedeemRequested)
    def _redeem(self, message: RedeemRequested) -> None:
        if self._dialog_open:
            return
        self._dialog_open = True
        call = till_calls.preview_redeem(message.card, message.points, message.purchase)
        self._calls.submit(PREVIEW, call, with_status=False)

    @on(RefundRequested)
    def _refund(self) -> None:
        if self._dialog_open:
            return
        self._dialog_open = True

        def refund_answered(receipt_no: str | None) -> None:
            if receipt_no is not None:
                self._calls.submit("refund", till_calls.refund(receipt_no))
            self._dialog_closed()

        self.push_screen(RefundDialog(self.till.config.terminal_id), refund_answered)

    @on(NextCustomerRequested)
    def _next_customer(self) -> None:
        self._calls.submit("next customer", till_calls.next_customer(), with_status=False)

    def action_simulate_scan(self) -> None:
        self._calls.submit("demo", till_calls.demo_card(self.simulator), with_status=False)

    def action_toggle_connection(self) -> None:
        """Demo: pull or replug the till's network cable (the ledger keeps running)."""
        link = self.till.link
        if link is None:
            return
        link.set_connected(not link.connected)
        state = "restored: catching up" if link.connected else "cut: the till works offline"
        self.cashier.show_info(f"Network {state}.")
        self._refresh_status()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "simulate_scan":
            return self.demo
        if action == "toggle_connection":
            return self.demo and self.till.link is not None
        return True

    # --- answers from the till --------------------------------------------------------

    @on(Worker.StateChanged)
    def _worker_state_changed(self, event: Worker.StateChanged) -> None:
        self._calls.worker_state_changed(event.worker)

    @on(MemberSelected)
    def _member_selected(self, message: MemberSelected) -> None:
        self.cashier.show_member(message.member)
        self.cashier.clear_notice()
        self.cashier.focus_amount()

    @on(MemberCleared)
    def _member_cleared(self) -> None:
        self.cashier.clear_customer()

    @on(RedeemPreviewed)
    def _redeem_previewed(self, preview: RedeemPreviewed) -> None:
        def redeem_answered(accepted: bool | None) -> None:
            if accepted:
                call = till_calls.redeem(preview.card, preview.points, preview.purchase)
                self._calls.submit("redeem", call)
            else:
                self.cashier.show_info("Redemption cancelled. Nothing was recorded.")
            self._dialog_closed()

        dialog = ConfirmRedeemScreen(
            preview.member_name,
            preview.points,
            preview.discount,
            preview.purchase,
            preview.balance_after,
        )
        self.push_screen(dialog, redeem_answered)

    @on(TransactionRecorded)
    def _transaction_recorded(self, message: TransactionRecorded) -> None:
        self.cashier.show_receipt(message.receipt, message.member)

    @on(TillFailed)
    def _till_failed(self, message: TillFailed) -> None:
        if message.operation == PREVIEW:
            self._release_held_scans()
        self.cashier.show_error(message.message, message.field)

    @on(StatusChanged)
    def _status_changed(self, message: StatusChanged) -> None:
        self.cashier.show_status(message.status)
        shown, fresh = self.cashier.member, message.member
        if shown is not None and fresh is not None and fresh.card == shown.card:
            self.cashier.show_member(fresh)

    @on(DemoCardsLoaded)
    def _demo_cards_loaded(self, message: DemoCardsLoaded) -> None:
        self.cashier.show_demo_cards(message.cards)

    @on(DemoCardDrawn)
    def _demo_card_drawn(self, message: DemoCardDrawn) -> None:
        if message.card is not None:
            self.submit_scan(message.card, "demo")

    def _dialog_closed(self) -> None:
        self._release_held_scans()
        self.cashier.focus_scan()

    def _release_held_scans(self) -> None:
        """Apply the scans that arrived while a dialog was open, in arrival order."""
        self._dialog_open = False
        held, self._held_scans = self._held_scans, []
        for text, source in held:
            self.submit_scan(text, source)
