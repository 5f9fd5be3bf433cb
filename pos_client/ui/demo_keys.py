"""The demo's own keys: simulated scans through the simulated serial scanner, the
network cable, and the demo ledger's settle run.

F9 scans a random member and F10 a random product; F11 scans a bonus voucher of the
member at the till (the real serial path, as F9 and F10); Ctrl+O shows a random
member's app QR code, fresh from the demo ledger, and S in it scans the code through
the simulated scanner with the AIM identifier ``]Q1``; F8 cuts or restores the
till's network; F12 asks the demo's ledger to settle for today (pay what is due,
expire points past their last day) and syncs, so the member panel shows it. None of
them exists outside demo mode.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.binding import Binding

from pos_client.ui import till_calls
from pos_client.ui.messages import DemoCardDrawn, DemoCardsLoaded, DemoQrIssued
from pos_client.ui.screens.member_qr_dialog import MemberQrDialog

if TYPE_CHECKING:
    from devices.simulator import ScannerSimulator
    from pos_client.till import Till
    from pos_client.ui.call_queue import CallQueue
    from pos_client.ui.screens.cashier import CashierScreen

DEMO_BINDINGS = (
    Binding("f9", "simulate_scan", "Simulate scan", key_display="F9", show=False),
    Binding("f10", "simulate_product", "Simulate product", key_display="F10", show=False),
    Binding("f11", "simulate_voucher", "Simulate voucher", key_display="F11", show=False),
    Binding("f12", "demo_settle", "Settle", key_display="F12", show=False),
    Binding("f8", "toggle_connection", "Network", key_display="F8", show=False),
    Binding("ctrl+o", "demo_member_qr", "Member QR", key_display="^O", show=False),
)
_SCAN_KEYS = ("simulate_scan", "simulate_product", "simulate_voucher")


class DemoKeys:
    """The demo keys' actions, for :class:`pos_client.ui.app.TillApp`."""

    till: Till
    demo: bool
    simulator: ScannerSimulator | None
    demo_settle: Callable[[], str] | None
    demo_member_qr: Callable[[str], str] | None
    _calls: CallQueue

    if TYPE_CHECKING:

        @property
        def cashier(self) -> CashierScreen: ...
        def submit_scan(self, text: str, source: str) -> None: ...
        def _refresh_status(self) -> None: ...

    def demo_key_enabled(self, action: str) -> bool:
        if action in _SCAN_KEYS:
            return self.demo
        if action == "toggle_connection":
            return self.demo and self.till.link is not None
        if action == "demo_settle":
            return self.demo and self.demo_settle is not None
        if action == "demo_member_qr":
            return self.demo and self.demo_member_qr is not None
        return True

    def action_simulate_scan(self) -> None:
        self._calls.submit("demo", till_calls.demo_card(self.simulator), with_status=False)

    def action_simulate_product(self) -> None:
        self._calls.submit("demo", till_calls.demo_product(self.simulator), with_status=False)

    def action_simulate_voucher(self) -> None:
        self._calls.submit("demo", till_calls.demo_voucher(self.simulator), with_status=False)

    def action_demo_settle(self) -> None:
        if self.demo_settle is not None:
            self.cashier.show_info("The demo ledger settles for today…")
            self._calls.submit("demo", till_calls.demo_settle(self.demo_settle))

    def action_demo_member_qr(self) -> None:
        if self.demo_member_qr is not None:
            self._calls.submit("demo", till_calls.demo_member_qr(self.demo_member_qr))

    def action_toggle_connection(self) -> None:
        """Demo: pull or replug the till's network cable (the ledger keeps running)."""
        link = self.till.link
        if link is None:
            return
        link.set_connected(not link.connected)
        state = "restored: catching up" if link.connected else "cut: the till works offline"
        self.cashier.show_info(f"Network {state}.")
        self._refresh_status()

    # Handlers by name (``on_<message>``): Textual finds those through the MRO of a
    # mixin, where ``@on`` handlers of a class that is not a widget are not collected.

    def on_demo_cards_loaded(self, message: DemoCardsLoaded) -> None:
        self.cashier.show_demo_help(message.cards, message.products)

    def on_demo_qr_issued(self, message: DemoQrIssued) -> None:
        def scan(chosen: bool | None) -> None:
            if chosen and self.simulator is not None:
                self.simulator.send_raw(b"]Q1" + message.token.encode("ascii") + b"\r\n")

        app: Any = self  # the TillApp this mixin is part of
        app.push_screen(MemberQrDialog(message.token, message.who), scan)

    def on_demo_card_drawn(self, message: DemoCardDrawn) -> None:
        if message.card is not None:
            self.submit_scan(message.card, "demo")
