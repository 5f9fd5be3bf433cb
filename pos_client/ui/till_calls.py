"""The till operations the App runs in worker threads, one at a time and in order.

Each function here returns a :data:`TillCall`: a callable that takes the Till, does
the blocking work (SQLite, sometimes the network) and returns the message that
carries the answer. They run in a thread and never touch a widget; the App posts the
returned message and updates the screen in its handler.

Calls run strictly one after another (see :class:`pos_client.ui.call_queue.CallQueue`),
so a scan that arrives behind a finished sale never changes the member it is for.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Mapping

from textual.message import Message

from devices.simulator import ScannerSimulator
from loyalty.errors import (
    InvalidAmount,
    InvalidCardNumber,
    LoyaltyError,
    RedemptionRefused,
)
from loyalty.programme.redemption import RedeemLimits
from pos_client.approvals import Approval
from pos_client.errors import (
    ApprovalRequired,
    CardBlocked,
    NoMemberSelected,
    SaleRefused,
    UnknownCard,
    UnknownProduct,
    UnsupportedScan,
)
from pos_client.holdings import vouchers_usable
from pos_client.till import Till
from pos_client.ui import formatting
from pos_client.ui.messages import (
    ActionsListed,
    ApprovalAsked,
    DemoCardDrawn,
    DemoCardsLoaded,
    DemoQrIssued,
    MemberCleared,
    MemberSelected,
    QuickKeysListed,
    RedeemLimitsRead,
    RefundPreviewed,
    RewardsListed,
    SaleChanged,
    SaleRecorded,
    StatusChanged,
    TillFailed,
)
from pos_client.views import MemberView, WalletInfo, receipt_number
from sync.errors import SyncError

SHORT_RECEIPT_DIGITS = 9
"""Up to this many digits alone are read as a receipt number of this till."""

TillCall = Callable[[Till], Message]
"""Blocking work against the Till that returns the message to post."""

_FIELD_OF_ERROR: tuple[tuple[type[LoyaltyError], str], ...] = (
    (InvalidCardNumber, "scan"),
    (UnknownCard, "scan"),
    (CardBlocked, "scan"),
    (UnsupportedScan, "scan"),
    (UnknownProduct, "scan"),
    (InvalidAmount, "amount"),
)


class MemberChanged(LoyaltyError):
    """The member on screen is no longer the till's current member."""

    def __init__(self) -> None:
        super().__init__(
            "The member changed before this was recorded. Check the member and try again."
        )


def failure(error: LoyaltyError, operation: str, till: Till) -> TillFailed:
    """The message for a refused operation, naming the input to correct."""
    field = next((f for kind, f in _FIELD_OF_ERROR if isinstance(error, kind)), None)
    cleared = operation == "scan" and till.member is None
    return TillFailed(error.message, operation, field, member_cleared=cleared)


def scan(text: str, source: str) -> TillCall:
    def call(till: Till) -> Message:
        before = till.member
        found = till.scan_code(text)
        if isinstance(found, MemberView):
            return MemberSelected(found, source, till.sale())
        now = till.member
        if now is not None and (before is None or before.member_id != now.member_id):
            return MemberSelected(now, source, found)  # a voucher selected its member
        return SaleChanged(found)

    return call


def add_amount(amount: str) -> TillCall:
    def call(till: Till) -> Message:
        return SaleChanged(till.add_amount(amount))

    return call


def finish(card: str, amount: str, approval: Approval | None = None) -> TillCall:
    """Finish the sale; an amount still typed is added as a line first (and taken off
    again if the sale cannot be finished, so nothing half-done stays behind). A sale
    that needs a manager's approval answers :class:`ApprovalAsked`."""

    def call(till: Till) -> Message:
        _require_member(till, card)
        added = bool(amount.strip())
        if added:
            till.add_amount(amount)
        try:
            receipt = till.finish_sale(approval=approval)
        except ApprovalRequired as asked:
            if added:
                till.remove_line(len(till.draft.lines))
            return ApprovalAsked(
                asked.action,
                asked.amount,
                str(asked),
                lambda given: finish(card, amount, given),
                "finish",
                held=True,
            )
        except LoyaltyError:
            if added:
                till.remove_line(len(till.draft.lines))
            raise
        return SaleRecorded(receipt, till.member, till.sale())

    return call


def redeem_limits(card: str) -> TillCall:
    def call(till: Till) -> Message:
        _require_member(till, card)
        limits = till.redeem_limits()
        programme = till.version().programme
        terms = programme.redeem
        assert terms is not None  # redeem_limits refuses a programme without [redeem]
        member = till.member
        assert member is not None
        found = programme.wallet(terms.wallet)
        assert found is not None  # the document names one of its wallets (validated)
        wallet = WalletInfo.of(found)
        if limits.most == 0:
            raise RedemptionRefused(_nothing_to_redeem(limits, member, wallet, programme.currency))
        return RedeemLimitsRead(
            card,
            member.name,
            limits,
            programme.currency,
            (terms.points, terms.value_minor),
            wallet,
        )

    return call


def _nothing_to_redeem(
    limits: RedeemLimits, member: MemberView, wallet: WalletInfo, currency: str
) -> str:
    def figure(value: int) -> str:
        return formatting.wallet_figure(max(value, 0), wallet, currency)

    name = wallet.name.lower()
    if limits.balance < limits.minimum:
        return (
            f"Not enough {name} to redeem: the member has {figure(limits.balance)} and the "
            f"smallest redemption is {figure(limits.minimum)}."
        )
    if limits.offline_left is not None and limits.offline_left < limits.minimum:
        return (
            f"While offline a member may redeem only so much a day here; "
            f"{figure(limits.offline_left)} left today for {member.name}."
        )
    return "The basket is too small for the smallest redemption."


def set_redeem(card: str, points: int) -> TillCall:
    def call(till: Till) -> Message:
        _require_member(till, card)
        return SaleChanged(till.set_redeem(points))

    return call


def refund_preview(receipt_no: str, lines: Mapping[int, int] | None) -> TillCall:
    """Preview a refund; a bare number means this till's receipt of that number."""

    def call(till: Till) -> Message:
        return RefundPreviewed(till.refund_preview(_receipt_no(till, receipt_no), lines))

    return call


def refund(
    receipt_no: str, lines: Mapping[int, int] | None, approval: Approval | None = None
) -> TillCall:
    def call(till: Till) -> Message:
        try:
            receipt = till.refund(_receipt_no(till, receipt_no), lines, approval=approval)
        except ApprovalRequired as asked:
            return ApprovalAsked(
                asked.action,
                asked.amount,
                str(asked),
                lambda given: refund(receipt_no, lines, given),
                "refund",
            )
        return SaleRecorded(receipt, till.member, till.sale())

    return call


def _receipt_no(till: Till, text: str) -> str:
    text = text.strip()
    if text.isascii() and text.isdigit() and len(text) <= SHORT_RECEIPT_DIGITS:
        return receipt_number(till.config.terminal_id, int(text))
    return text


def rewards(card: str) -> TillCall:
    def call(till: Till) -> Message:
        _require_member(till, card)
        found = till.usable_rewards()
        if not found:
            raise RedemptionRefused("The member has no reward to use now.")
        return RewardsListed(card, found)

    return call


def apply_reward(card: str, reward: str, instance: str | None) -> TillCall:
    def call(till: Till) -> Message:
        _require_member(till, card)
        return SaleChanged(till.apply_reward(reward, instance))

    return call


def quick_keys(amount: str) -> TillCall:
    def call(till: Till) -> Message:
        keys = [(q.key, q.name) for q in till.config.quick_keys]
        if not keys:
            raise InvalidAmount("No quick keys are set up on this till ([[quick_keys]]).")
        return QuickKeysListed(keys, amount)

    return call


def quick_key(key: str, amount: str) -> TillCall:
    def call(till: Till) -> Message:
        return SaleChanged(till.add_quick_key(key, amount))

    return call


def actions(card: str) -> TillCall:
    def call(till: Till) -> Message:
        _require_member(till, card)
        programme = till.version().programme
        found = [(a.id, f"{a.name} (+{a.amount} {a.wallet})") for a in programme.actions]
        if not found:
            raise RedemptionRefused(f"The {programme.name} programme has no actions.")
        return ActionsListed(card, found)

    return call


def record_action(card: str, action_id: str) -> TillCall:
    def call(till: Till) -> Message:
        _require_member(till, card)
        receipt = till.record_action(action_id)
        return SaleRecorded(receipt, till.member, till.sale())

    return call


def change_line(line: int, change: str) -> TillCall:
    def call(till: Till) -> Message:
        if change == "remove":
            return SaleChanged(till.remove_line(line))
        if change.startswith("flag:"):
            return SaleChanged(till.toggle_flag(line, change.removeprefix("flag:")))
        current = till.draft.line(line).qty
        qty = current + 1 if change == "more" else current - 1
        if qty < 1:
            return SaleChanged(till.remove_line(line))
        return SaleChanged(till.set_quantity(line, qty))

    return call


def next_customer() -> TillCall:
    def call(till: Till) -> Message:
        till.clear_member()
        return MemberCleared()

    return call


def status() -> TillCall:
    def call(till: Till) -> Message:
        return StatusChanged(till.status(), till.refresh_member())

    return call


def demo_cards(count: int) -> TillCall:
    def call(till: Till) -> Message:
        cards = till.store.members.sample_cards(count)
        products = till.store.catalogue.sample_products(count)
        return DemoCardsLoaded(cards, [(p.sku, p.name) for p in products])

    return call


def demo_card(simulator: ScannerSimulator | None = None) -> TillCall:
    """Draw a random member; with a simulator, "scan" the card through its pty.

    Through the simulator the card travels the real serial path (pty, reader
    thread, framing) and arrives as a ``serial`` scan; the message returned then
    carries no card, so it is not submitted twice.
    """

    def call(till: Till) -> Message:
        card = till.store.members.random_card()
        if card is None:
            raise UnknownCard("This demo till has no members to scan.")
        if simulator is not None:
            simulator.send(card)
            return DemoCardDrawn(None)
        return DemoCardDrawn(card)

    return call


def demo_product(simulator: ScannerSimulator | None = None) -> TillCall:
    """Draw a random product of the catalogue and "scan" it, like :func:`demo_card`."""

    def call(till: Till) -> Message:
        products = till.store.catalogue.sample_products(100)
        if not products:
            raise UnknownProduct("This demo till has no products to scan.")
        sku = random.choice(products).sku
        if simulator is not None:
            simulator.send(sku)
            return DemoCardDrawn(None)
        return DemoCardDrawn(sku)

    return call


def demo_voucher(simulator: ScannerSimulator | None = None) -> TillCall:
    """Scan a bonus voucher the member at the till holds, like :func:`demo_card`."""

    def call(till: Till) -> Message:
        member = till.member
        if member is None:
            raise NoMemberSelected()
        in_basket = {v.number for v in till.draft.vouchers}
        held = [
            v
            for v in vouchers_usable(member.vouchers, till.clock().date(), member.used)
            if v.number not in in_basket
        ]
        if not held:
            raise SaleRefused(
                f"{member.name} holds no voucher this till may take. Sell to them: when "
                "the sale reaches the ledger, points over the threshold become a voucher."
            )
        if simulator is not None:
            simulator.send(held[0].number)
            return DemoCardDrawn(None)
        return DemoCardDrawn(held[0].number)

    return call


def demo_member_qr(issue: Callable[[str], str]) -> TillCall:
    """Draw a random member and have the demo ledger issue their app's QR token."""

    def call(till: Till) -> Message:
        card = till.store.members.random_card()
        if card is None:
            raise UnknownCard("This demo till has no members to show a QR code for.")
        member = till.lookup(card)
        who = f"{member.name or member.member_id} {member.masked_card}"
        return DemoQrIssued(issue(card), who)

    return call


def demo_settle(settle: Callable[[], str]) -> TillCall:
    """Run the demo ledger's settle for today, then sync: what it paid or expired
    reaches the member panel."""

    def call(till: Till) -> Message:
        report = settle()
        if till.link is not None:
            with contextlib.suppress(SyncError):
                till.link.sync_now()
        return SaleChanged(till.sale(), notice=report)

    return call


def parse_points(text: str) -> int:
    """Points as a cashier types them: a whole number, spaces allowed."""
    cleaned = text.strip().replace(" ", "")
    if not (cleaned.isascii() and cleaned.isdigit()):
        raise RedemptionRefused(f"{text.strip()!r} is not a number of points. Type it like 200.")
    return int(cleaned)


def _require_member(till: Till, card: str) -> None:
    if till.member is None or till.member.card != card:
        raise MemberChanged()
