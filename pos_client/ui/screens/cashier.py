"""The cashier's one screen: scan, see the member, earn, redeem, refund.

The screen turns key presses into request messages for the App and exposes a few
``show_*`` methods the App calls with the Till's answers. It never calls the Till.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Header, Input

from pos_client.ui.components.demo_help import DemoHelp
from pos_client.ui.components.member_panel import MemberPanel
from pos_client.ui.components.notice_line import Notice, NoticeLine
from pos_client.ui.components.receipt_panel import ReceiptPanel
from pos_client.ui.components.sale_fields import SaleFields
from pos_client.ui.components.scan_field import ScanField
from pos_client.ui.components.status_bar import StatusBar
from pos_client.ui.messages import (
    CashierReady,
    EarnRequested,
    NextCustomerRequested,
    RedeemRequested,
    RefundRequested,
    ScanReceived,
)
from pos_client.ui.wedge import split_wedge_scan
from pos_client.views import MemberView, Receipt, TillStatus

NEEDS_MEMBER = frozenset({"earn", "redeem"})


class CashierScreen(Screen[None]):
    """The till's main screen. :attr:`member` is the member the cashier sees."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2", "earn", "Earn", key_display="F2"),
        Binding("f3", "redeem", "Redeem", key_display="F3"),
        Binding("f4", "refund", "Refund", key_display="F4"),
        Binding("escape", "next_customer", "Next customer", key_display="Esc"),
    ]
    AUTO_FOCUS = "#scan"

    member: reactive[MemberView | None] = reactive(None, init=False)

    def __init__(
        self, demo: bool = False, cursor_blink: bool = True, receipt_time: bool = True
    ) -> None:
        super().__init__()
        self.demo = demo
        self.cursor_blink = cursor_blink
        self.receipt_time = receipt_time

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            with Vertical(id="till"):
                yield ScanField(id="scan")
                yield MemberPanel(id="member")
                yield SaleFields(id="sale")
                receipt = ReceiptPanel(id="receipt")
                receipt.show_time = self.receipt_time
                yield receipt
            if self.demo:
                yield DemoHelp(id="demo-help")
        yield NoticeLine(id="notice")
        yield StatusBar(id="status")
        yield Footer()

    def on_mount(self) -> None:
        for field in self.query(Input):
            field.cursor_blink = self.cursor_blink
        self.post_message(CashierReady())

    # --- what the App tells the screen (attributes down) --------------------------

    def show_member(self, member: MemberView | None) -> None:
        """Show the till's current member (None: nobody at the till)."""
        self.member = member
        self.query_one(MemberPanel).member = member

    def show_receipt(self, receipt: Receipt, member: MemberView | None) -> None:
        """A transaction is recorded: show it, clear the sale, wait for the next scan."""
        self.query_one(ReceiptPanel).receipt = receipt
        self.show_member(member)
        self.query_one(SaleFields).clear()
        self.clear_notice()
        self.focus_scan()

    def clear_customer(self) -> None:
        """Next customer: nothing of the last member stays on screen."""
        self.show_member(None)
        self.query_one(ReceiptPanel).receipt = None
        self.query_one(SaleFields).clear()
        self.clear_notice()
        self.focus_scan()

    def show_error(self, message: str, field: str | None = None) -> None:
        """Show ``message``; focus the input to correct, keeping what it holds."""
        self.query_one(NoticeLine).notice = Notice(message)
        target = self.query_one(f"#{field}", Input) if field else self.query_one(ScanField)
        target.focus()
        if field and field != "scan":
            target.select_all()

    def show_info(self, message: str) -> None:
        self.query_one(NoticeLine).notice = Notice(message, is_error=False)

    def clear_notice(self) -> None:
        self.query_one(NoticeLine).notice = None

    def show_status(self, status: TillStatus) -> None:
        self.query_one(StatusBar).status = status

    def show_scanner(self, text: str) -> None:
        self.query_one(StatusBar).scanner = text

    def show_demo_cards(self, cards: list[str]) -> None:
        for help_panel in self.query(DemoHelp):
            help_panel.cards = tuple(cards)

    def focus_scan(self) -> None:
        self.query_one(ScanField).focus()

    def focus_amount(self) -> None:
        """After a scan the cashier types the purchase amount next; a wedge scan
        typed into the amount field is still recognised as a scan."""
        self.query_one("#amount").focus()

    # --- what the cashier does (messages up) --------------------------------------

    def watch_member(self) -> None:
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Earn and Redeem show as disabled while no member is selected."""
        if action in NEEDS_MEMBER and self.member is None:
            return None
        return True

    def action_earn(self) -> None:
        if self.member is not None:
            self.post_message(EarnRequested(self.member.card, self.query_one(SaleFields).amount))

    def action_redeem(self) -> None:
        if self.member is not None:
            sale = self.query_one(SaleFields)
            self.post_message(RedeemRequested(self.member.card, sale.points, sale.amount))

    def action_refund(self) -> None:
        self.post_message(RefundRequested())

    def action_next_customer(self) -> None:
        self.post_message(NextCustomerRequested())

    @on(Input.Submitted, "#scan")
    def _scan_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text, source = self.query_one(ScanField).take()
        if text.strip():
            self.post_message(ScanReceived(text, source))

    @on(Input.Submitted, "#amount, #points")
    def _sale_field_submitted(self, event: Input.Submitted) -> None:
        """A wedge scan typed into a sale field goes to the scan path, the rest stays."""
        event.stop()
        kept, card = split_wedge_scan(event.value)
        if card is not None:
            event.input.value = kept
            self.post_message(ScanReceived(card, "wedge"))
