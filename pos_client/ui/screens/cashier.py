"""The cashier's one screen: scan, see the member and the basket, finish the sale.

The screen turns key presses into request messages for the App and exposes a few
``show_*`` methods the App calls with the Till's answers. It never calls the Till.

While a scan is being looked up, keys the cashier types are held
(:class:`~pos_client.ui.components.type_ahead.TypeAhead`, fed by the App) and replayed into the
field the answer focuses, so an amount typed straight after a card scan lands in
the Amount field, and an F2 typed with it finishes the sale for that member.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Header, Input

from loyalty.scans import looks_like_typed_amount
from pos_client.ui import formatting
from pos_client.ui.components.basket_panel import BasketPanel
from pos_client.ui.components.demo_help import DemoHelp
from pos_client.ui.components.member_panel import MemberPanel
from pos_client.ui.components.notice_line import Notice, NoticeLine
from pos_client.ui.components.scan_field import ScanField
from pos_client.ui.components.status_bar import StatusBar
from pos_client.ui.components.steady_footer import SteadyFooter
from pos_client.ui.components.totals_bar import TotalsBar
from pos_client.ui.components.type_ahead import TypeAhead
from pos_client.ui.messages import (
    ActionRequested,
    AmountEntered,
    CashierReady,
    FinishRequested,
    KeyHandled,
    ManagerRequested,
    NextCustomerRequested,
    QuickKeysRequested,
    RedeemRequested,
    RefundRequested,
    RewardRequested,
    ScanReceived,
    SignOutRequested,
)
from pos_client.ui.wedge import split_wedge_scan
from pos_client.views import MemberView, Receipt, SaleView, TillStatus

NEEDS_MEMBER = frozenset({"finish", "redeem", "reward", "action"})


class CashierScreen(Screen[None]):
    """The till's main screen. :attr:`member` is the member the cashier sees."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "manager", "Manager", key_display="F1", show=False),
        Binding("ctrl+l", "sign_out", "Sign out", key_display="^L", show=False),
        Binding("f2", "finish", "Finish", key_display="F2"),
        Binding("f3", "redeem", "Redeem", key_display="F3"),
        Binding("f4", "refund", "Refund", key_display="F4"),
        Binding("f5", "reward", "Reward", key_display="F5"),
        Binding("f6", "quick", "Quick", key_display="F6"),
        Binding("f7", "action", "Action", key_display="F7"),
        Binding("escape", "next_customer", "Next", key_display="Esc"),
    ]
    AUTO_FOCUS = "#scan"

    member: reactive[MemberView | None] = reactive(None, init=False, repaint=False)
    """Only the bindings depend on it (the member panel draws the member): a repaint
    of the whole screen per scan would cost more than the scan."""

    def __init__(
        self, demo: bool = False, cursor_blink: bool = True, receipt_time: bool = True
    ) -> None:
        super().__init__()
        self.demo = demo
        self.cursor_blink = cursor_blink
        self.receipt_time = receipt_time
        self.sale: SaleView | None = None
        self.holding = False
        """Keys are held while a scan is looked up (see module doc)."""
        self.type_ahead = TypeAhead()
        self._awaited = 0
        """Till answers the held keys wait for (card lookups, sales being recorded),
        in the order asked: the keys flow only once the last has come."""
        self.command_pending = False
        """A command key's keys are held until the screen has handled it
        (``KeyHandled``), whatever till answer comes first."""
        self._focus_after_hold: Widget | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            with Vertical(id="till"):
                with Horizontal(id="entry"):
                    yield ScanField(id="scan")
                    amount = Input(placeholder="then Enter", id="amount")
                    amount.border_title = "Amount"
                    yield amount
                yield MemberPanel(id="member")
                yield BasketPanel(id="basket")
            if self.demo:
                yield DemoHelp(id="demo-help")
        yield TotalsBar(id="totals")  # the whole width, beside the demo's help too
        yield NoticeLine(id="notice")
        yield StatusBar(id="status")
        yield SteadyFooter()

    def on_mount(self) -> None:
        for field in self.query(Input):
            field.cursor_blink = self.cursor_blink
        self.post_message(CashierReady())

    # --- what the App tells the screen (attributes down) --------------------------

    def show_member(self, member: MemberView | None) -> None:
        """Show the till's current member (None: nobody at the till)."""
        self.member = member
        self.query_one(MemberPanel).member = member

    def show_sale(self, sale: SaleView) -> None:
        """Show the basket as the till evaluated it."""
        self.sale = sale
        self.query_one(BasketPanel).show_sale(sale)
        self.query_one(TotalsBar).show_sale(sale)
        self.refresh_bindings()

    def show_receipt(self, receipt: Receipt, member: MemberView | None, sale: SaleView) -> None:
        """Something is recorded: show the receipt until the next line or customer."""
        self.sale = sale
        self.show_member(member)
        self.query_one(BasketPanel).show_receipt(receipt)
        self.query_one(TotalsBar).show_receipt(receipt, formatting.balance_after(receipt, member))
        self.query_one("#amount", Input).clear()
        self.clear_notice()
        self.focus_scan()

    def clear_customer(self) -> None:
        """Next customer: nothing of the last member or basket stays on screen."""
        self.show_member(None)
        self.query_one(BasketPanel).clear()
        self.query_one(TotalsBar).update("")
        self.sale = None
        self.query_one("#amount", Input).clear()
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

    def show_demo_help(self, cards: list[str], products: list[tuple[str, str]]) -> None:
        for help_panel in self.query(DemoHelp):
            help_panel.cards = tuple(cards)
            help_panel.products = tuple(products)

    @property
    def unrecorded_lines(self) -> int:
        """Lines in the basket that finishing would record (0 after a sale)."""
        return 0 if self.sale is None else len(self.sale.lines)

    def focus_scan(self) -> None:
        self.query_one(ScanField).focus()

    def focus_amount(self) -> None:
        """After a card scan the cashier types an amount or scans products next; a
        wedge scan typed into the amount field is still recognised as a scan."""
        self.query_one("#amount").focus()

    def clear_amount(self) -> None:
        self.query_one("#amount", Input).clear()

    # --- keys typed while a scan is looked up -------------------------------------

    @property
    def held_for_answer(self) -> bool:
        """The held keys wait for a till answer, not only for a command key."""
        return self._awaited > 0

    def hold_keys(self, for_answer: bool = False) -> None:
        """From now until :meth:`release_keys`, keep what the cashier types
        (``for_answer``: also until the till answers this call; see :meth:`answered`)."""
        if for_answer:
            self._awaited += 1
        else:
            self.command_pending = True
        if not self.holding:
            self.holding = True
            self._focus_after_hold = self.focused

    def holds_after(self, key: str, focused: Widget | None) -> bool:
        """A command key: Enter in the scan or amount field, or an enabled F2-F7 or
        Esc. The keys typed after it wait until the screen has handled it (they must
        not reach a field, or miss the dialog it opens)."""
        if key == "enter":
            return isinstance(focused, Input) and focused.id in ("scan", "amount")
        action = next(
            (b.action for b in self.BINDINGS if isinstance(b, Binding) and b.key == key), None
        )
        return action is not None and self.check_action(action, ()) is True

    def starts_code(self, event: events.Key) -> bool:
        """A printable key that is not one of the basket's own (``+``, ``-``, ``f``),
        typed while the basket has focus: a code being typed or wedge-scanned there."""
        basket = self.focused
        return (
            isinstance(basket, BasketPanel)
            and event.is_printable
            and event.key not in basket.OWN_KEYS
        )

    def type_code(self, event: events.Key) -> None:
        """Hold ``event`` and the keys after it, then replay them into the Scan field
        once it has the focus: held in the order the App received them, so none can
        overtake another."""
        self.holding = True  # not a command key: nothing else to wait for
        self.type_ahead.keep(event)
        self.app.call_later(self.release_keys, self.query_one(ScanField))

    def answered(self, target: Widget | None = None, drop: bool = False) -> int:
        """A till answer the held keys waited for has come; it puts the focus on
        ``target``. When it was the last awaited, the keys flow into ``target`` (or
        are dropped if ``drop``: the scan they were typed for failed); the number
        dropped is returned."""
        self._awaited = max(0, self._awaited - 1)
        if target is not None:
            self._focus_after_hold = target
        if self._awaited or self.command_pending:
            return 0  # the keys wait for the rest (KeyHandled releases them)
        if drop:
            return self.drop_keys()
        self.release_keys(target)
        return 0

    def keys_after_receipt(self, finished: bool) -> None:
        """Something was recorded: held keys go to the Scan field (the next customer).
        ``finished``: it was the sale the keys waited for (F2)."""
        scan = self.query_one(ScanField)
        if finished:
            self.answered(scan)
        else:
            self.release_keys(scan)

    def release_keys(self, target: Widget | None = None) -> None:
        """Replay the held keys into ``target`` (by default what had focus), unless a
        till answer or a command key is still awaited (then they wait for it)."""
        if not self.holding or self._awaited or self.command_pending:
            return
        self.holding = False
        held = self.type_ahead.take()
        focus = target or self._focus_after_hold or self.query_one(ScanField)
        if focus is not self.focused:
            focus.focus()
        for key in held:
            self.app.post_message(key)

    def take_keys(self) -> list[events.Key]:
        """Stop holding and hand the held keys over (to a dialog that just opened)."""
        self.holding = False
        return self.type_ahead.take()

    def drop_keys(self) -> int:
        """Forget the held keys (the scan failed: they were meant for its member)."""
        if not self.holding:
            return 0
        self.holding = False
        held = self.type_ahead.take()
        self.focus_scan()
        return len(held)

    # --- what the cashier does (messages up) --------------------------------------

    def watch_member(self) -> None:
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys that need a member show as disabled while none is selected."""
        if action in NEEDS_MEMBER and self.member is None:
            return None
        return True

    def action_finish(self) -> None:
        try:
            if self.member is None:
                return
            amount = self.query_one("#amount", Input).value
            basket_empty = self.sale is None or self.sale.empty
            if basket_empty and not amount.strip():
                self.show_error("The basket is empty: scan a product or type an amount.", "amount")
                return
            self.post_message(FinishRequested(self.member.card, amount))
        finally:
            self.post_message(KeyHandled())

    def _request(self, message: Message | None) -> None:
        """Post what a command key asks for (None: nothing to ask), then that the key
        is handled."""
        if message is not None:
            self.post_message(message)
        self.post_message(KeyHandled())

    def action_redeem(self) -> None:
        self._request(RedeemRequested(self.member.card) if self.member else None)

    def action_refund(self) -> None:
        self._request(RefundRequested())

    def action_reward(self) -> None:
        self._request(RewardRequested(self.member.card) if self.member else None)

    def action_quick(self) -> None:
        self._request(QuickKeysRequested(self.query_one("#amount", Input).value))

    def action_action(self) -> None:
        self._request(ActionRequested(self.member.card) if self.member else None)

    def action_next_customer(self) -> None:
        self._request(NextCustomerRequested())

    def action_manager(self) -> None:
        self._request(ManagerRequested())

    def action_sign_out(self) -> None:
        self._request(SignOutRequested())

    @on(Input.Submitted, "#scan")
    def _scan_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text, source = self.query_one(ScanField).take()
        if looks_like_typed_amount(text):  # an amount typed in the wrong field
            self.post_message(AmountEntered(text, "scan"))
        elif text.strip():
            self.post_message(ScanReceived(text, source))
        self.post_message(KeyHandled())

    @on(Input.Submitted, "#amount")
    def _amount_submitted(self, event: Input.Submitted) -> None:
        """Enter in the Amount field adds a line; a wedge scan typed into it goes to
        the scan path and the typed amount stays."""
        event.stop()
        kept, code = split_wedge_scan(event.value)
        if code is not None:
            event.input.value = kept
            self.post_message(ScanReceived(code, "wedge"))
        elif event.value.strip():
            self.post_message(AmountEntered(event.value))
        self.post_message(KeyHandled())
