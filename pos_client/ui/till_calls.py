"""The till operations the App runs in worker threads, one at a time and in order.

Each function here returns a :data:`TillCall`: a callable that takes the Till, does
the blocking work (SQLite, later the network) and returns the message that carries
the answer. They run in a thread and never touch a widget; the App posts the
returned message and updates the screen in its handler.

Calls run strictly one after another (see :class:`pos_client.ui.call_queue.CallQueue`),
so a scan that arrives behind an earn never changes the member the earn is for.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.message import Message

from devices.simulator import ScannerSimulator
from loyalty.errors import (
    InvalidAmount,
    InvalidCardNumber,
    LoyaltyError,
    RedemptionRefused,
)
from loyalty.money import Money, parse_money
from loyalty.programme.redemption import check_redemption, max_redeemable, redeem_terms
from pos_client.errors import CardBlocked, UnknownCard, UnsupportedScan
from pos_client.till import Till
from pos_client.ui.messages import (
    DemoCardDrawn,
    DemoCardsLoaded,
    MemberCleared,
    MemberSelected,
    RedeemPreviewed,
    StatusChanged,
    TillFailed,
    TransactionRecorded,
)
from pos_client.views import receipt_number

SHORT_RECEIPT_DIGITS = 9
"""Up to this many digits alone are read as a receipt number of this till."""

TillCall = Callable[[Till], Message]
"""Blocking work against the Till that returns the message to post."""

_FIELD_OF_ERROR: tuple[tuple[type[LoyaltyError], str], ...] = (
    (InvalidCardNumber, "scan"),
    (UnknownCard, "scan"),
    (CardBlocked, "scan"),
    (UnsupportedScan, "scan"),
    (InvalidAmount, "amount"),
    (RedemptionRefused, "points"),
)


class MemberChanged(LoyaltyError):
    """The member on screen is no longer the till's current member."""

    def __init__(self) -> None:
        super().__init__(
            "The member changed before this was recorded. Check the member and try again."
        )


def failure(error: LoyaltyError, operation: str) -> TillFailed:
    """The message for a refused operation, naming the input to correct."""
    field = next((f for kind, f in _FIELD_OF_ERROR if isinstance(error, kind)), None)
    return TillFailed(error.message, operation, field)


def scan(text: str, source: str) -> TillCall:
    def call(till: Till) -> Message:
        return MemberSelected(till.scan(text), source)

    return call


def next_customer() -> TillCall:
    def call(till: Till) -> Message:
        till.clear_member()
        return MemberCleared()

    return call


def earn(card: str, amount: str) -> TillCall:
    def call(till: Till) -> Message:
        _require_member(till, card)
        receipt = till.earn(amount)
        return TransactionRecorded(receipt, till.member)

    return call


def preview_redeem(card: str, points: str, purchase: str) -> TillCall:
    """Check a redemption against the rules and price it, recording nothing."""

    def call(till: Till) -> Message:
        _require_member(till, card)
        programme = till.version().programme
        terms = redeem_terms(programme)
        member = till.lookup(card)
        cap = parse_money(purchase, programme.currency) if purchase.strip() else None
        if points.strip():
            wanted = parse_points(points)
        else:
            wanted = max_redeemable(terms, member.balance, None if cap is None else cap.minor)
            if wanted == 0:
                raise RedemptionRefused(
                    f"Not enough points to redeem: the member has {max(member.balance, 0)} "
                    f"points and the smallest redemption is {terms.min_points}."
                )
        discount = check_redemption(
            programme, wanted, member.balance, None if cap is None else cap.minor
        )
        return RedeemPreviewed(
            card,
            member.name,
            wanted,
            cap,
            Money(discount, programme.currency),
            member.balance - wanted,
        )

    return call


def redeem(card: str, points: int, purchase: Money | None) -> TillCall:
    def call(till: Till) -> Message:
        _require_member(till, card)
        receipt = till.redeem(points, purchase)
        return TransactionRecorded(receipt, till.member)

    return call


def refund(receipt_no: str) -> TillCall:
    """Refund by receipt number; a bare number means this till's receipt of that number."""

    def call(till: Till) -> Message:
        text = receipt_no.strip()
        if text.isascii() and text.isdigit() and len(text) <= SHORT_RECEIPT_DIGITS:
            text = receipt_number(till.config.terminal_id, int(text))
        receipt = till.refund(text)
        return TransactionRecorded(receipt, till.member)

    return call


def status() -> TillCall:
    def call(till: Till) -> Message:
        return StatusChanged(till.status(), till.refresh_member())

    return call


def demo_cards(count: int) -> TillCall:
    def call(till: Till) -> Message:
        return DemoCardsLoaded(till.store.members.sample_cards(count))

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


def parse_points(text: str) -> int:
    """Points as a cashier types them: a whole number, spaces allowed."""
    cleaned = text.strip().replace(" ", "")
    if not (cleaned.isascii() and cleaned.isdigit()):
        raise RedemptionRefused(f"{text.strip()!r} is not a number of points. Type it like 200.")
    return int(cleaned)


def _require_member(till: Till, card: str) -> None:
    if till.member is None or till.member.card != card:
        raise MemberChanged()
