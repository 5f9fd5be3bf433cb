"""Messages between the till's workers, its screens and the App.

Requests travel up from the cashier screen to the App; answers travel from the
worker threads to the App, which sets attributes on the widgets. Every message here
is safe to post from any thread with ``app.post_message``, which is how a scanner
thread hands over a scan.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from loyalty.money import Money
from pos_client.views import MemberView, Receipt, TillStatus


@dataclass
class ScanReceived(Message):
    """A card number arrived from any scan source; the App routes it via ``submit_scan``."""

    text: str
    """The scanned or typed text, as received (surrounding whitespace allowed)."""
    source: str
    """Where it came from: ``keyboard``, ``wedge``, ``serial``, ``demo``."""


@dataclass
class ScannerStatusChanged(Message):
    """The scanner's state changed; the status bar shows ``text``."""

    text: str
    """What to show after ``scanner:``, e.g. ``keyboard`` or ``serial /dev/ttyACM0``."""


@dataclass
class ScanRefused(Message):
    """The serial scanner delivered bytes that are not a scan (garbage, cut off)."""

    message: str
    """Why, in words for the cashier."""


@dataclass
class SyncStatusChanged(Message):
    """Background sync finished a run; the status bar should be refreshed."""


@dataclass
class CashierReady(Message):
    """The cashier screen is mounted; the App may now fill it with the Till's data."""


@dataclass
class EarnRequested(Message):
    """The cashier asked to record points earned on a purchase."""

    card: str
    """The card of the member on screen when the key was pressed."""
    amount: str
    """The purchase amount as typed."""


@dataclass
class RedeemRequested(Message):
    """The cashier asked to redeem points; the App asks for confirmation first."""

    card: str
    """The card of the member on screen when the key was pressed."""
    points: str
    """Points as typed; empty means the most the member may redeem now."""
    purchase: str
    """The purchase amount as typed; caps the discount, empty means no cap."""


@dataclass
class RefundRequested(Message):
    """The cashier asked to refund an earlier purchase by its receipt number."""


@dataclass
class NextCustomerRequested(Message):
    """The cashier finished with this member."""


@dataclass
class MemberSelected(Message):
    """A scan identified a member, who is now the till's current member."""

    member: MemberView
    """The member as the till sees them now."""
    source: str
    """The scan source, as given to ``submit_scan``."""


@dataclass
class MemberCleared(Message):
    """The till has no current member any more."""


@dataclass
class RedeemPreviewed(Message):
    """A redemption the programme allows, waiting for the cashier's confirmation."""

    card: str
    """The member's card, checked again when the redemption is recorded."""
    member_name: str
    """Shown in the confirm dialog so the cashier can check the person."""
    points: int
    """Points to redeem."""
    purchase: Money | None
    """The purchase that caps the discount, if one was typed."""
    discount: Money
    """The discount these points give."""
    balance_after: int
    """The balance shown once the redemption is recorded."""


@dataclass
class TransactionRecorded(Message):
    """An earn, redeem or refund is durable in the journal."""

    receipt: Receipt
    """The receipt of the recorded event."""
    member: MemberView | None
    """The till's current member after the event (balance updated)."""


@dataclass
class TillFailed(Message):
    """A till operation was refused or failed; nothing was recorded by it."""

    message: str
    """The error in words a cashier understands."""
    operation: str
    """The operation that failed: ``scan``, ``earn``, ``redeem``, ``refund``, ..."""
    field: str | None = None
    """The input the cashier should correct: ``scan``, ``amount``, ``points`` or None."""


@dataclass
class StatusChanged(Message):
    """Fresh facts for the status bar."""

    status: TillStatus
    """Ledger state, pending events and terminal id."""
    member: MemberView | None = None
    """The current member re-read with the status (sync may have confirmed points)."""


@dataclass
class DemoCardsLoaded(Message):
    """Card numbers the demo's help panel lists."""

    cards: list[str]
    """A few active members' card numbers."""


@dataclass
class DemoCardDrawn(Message):
    """A random member's card, to be scanned as if the scanner had read it."""

    card: str | None
    """The card number to submit as a scan; None when it was sent through the
    demo's simulated serial scanner and arrives from there."""
