"""Messages between the till's workers, its screens and the App.

Requests travel up from the cashier screen to the App; answers travel from the
worker threads to the App, which sets attributes on the widgets. Every message here
is safe to post from any thread with ``app.post_message``, which is how a scanner
thread hands over a scan.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual.message import Message

from loyalty.programme.redemption import RedeemLimits
from pos_client.approvals import Approval
from pos_client.views import MemberView, Receipt, RefundPreview, SaleView, TillStatus, WalletInfo


@dataclass
class ScanReceived(Message):
    """A code arrived from any scan source; the App routes it via ``submit_scan``."""

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
class AmountEntered(Message):
    """The cashier typed an amount and pressed Enter: a line for goods without a
    barcode."""

    amount: str
    """The amount as typed."""
    field: str = "amount"
    """Where it was typed: ``amount``, or ``scan`` (an amount typed in the Scan field)."""


class KeyHandled(Message):
    """The cashier screen has posted what a command key asked for (Enter in the scan
    or amount field, F2-F7, Esc): the keys typed after it may flow again, into the
    dialog it opened if any, unless the till's answer holds them (a card lookup, a
    sale being recorded)."""


@dataclass
class FinishRequested(Message):
    """The cashier asked to finish the sale (F2)."""

    card: str
    """The card of the member on screen when the key was pressed."""
    amount: str
    """An amount still in the Amount field: added as a line first (the one-field flow)."""


@dataclass
class RedeemRequested(Message):
    """The cashier asked to use points as a discount (F3); the dialog comes first."""

    card: str


@dataclass
class RefundRequested(Message):
    """The cashier asked to refund an earlier purchase by its receipt number."""


@dataclass
class RewardRequested(Message):
    """The cashier asked which rewards the member can use (F5)."""

    card: str


@dataclass
class QuickKeysRequested(Message):
    """The cashier opened the quick keys (F6)."""

    amount: str
    """The amount in the Amount field, for quick keys without a price."""


@dataclass
class ActionRequested(Message):
    """The cashier opened the programme's actions (F7)."""

    card: str


@dataclass
class LineChangeRequested(Message):
    """The cashier changed a basket line: a quantity, removal or a flag."""

    line: int
    change: str
    """``more``, ``fewer``, ``remove`` or ``flag:<name>``."""


@dataclass
class NextCustomerRequested(Message):
    """The cashier finished with this member and basket."""


@dataclass
class MemberSelected(Message):
    """A scan identified a member, who is now the till's current member."""

    member: MemberView
    """The member as the till sees them now."""
    source: str
    """The scan source, as given to ``submit_scan``."""
    sale: SaleView
    """The basket, evaluated for this member."""


@dataclass
class MemberCleared(Message):
    """The till has no current member and no basket any more."""


@dataclass
class SaleChanged(Message):
    """The basket changed (a line, a reward, points as a discount)."""

    sale: SaleView
    notice: str | None = None
    """Something to tell the cashier about the change."""


@dataclass
class SaleRecorded(Message):
    """A sale, redemption, refund or action is durable in the journal."""

    receipt: Receipt
    """The receipt of the recorded event."""
    member: MemberView | None
    """The till's current member after the event (balances updated)."""
    sale: SaleView
    """The basket now (empty after a sale)."""


@dataclass
class RedeemLimitsRead(Message):
    """What bounds points as a discount now; the App opens the redeem dialog."""

    card: str
    member_name: str
    limits: RedeemLimits
    currency: str
    points_per_value: tuple[int, int]
    """(points, value in minor units): the exchange, for the dialog's wording."""
    wallet: WalletInfo
    """The wallet redeemed from (points, stars, a money bonus), for its wording."""


@dataclass
class RefundPreviewed(Message):
    """What a refund would take back; the App asks the cashier to confirm."""

    preview: RefundPreview


@dataclass
class RewardsListed(Message):
    """Rewards the member can use now: (reward, instance, label)."""

    card: str
    rewards: list[tuple[str, str | None, str]]


@dataclass
class QuickKeysListed(Message):
    """The till's quick keys: (key, label)."""

    keys: list[tuple[str, str]]
    amount: str


@dataclass
class ActionsListed(Message):
    """The programme's actions: (id, label)."""

    card: str
    actions: list[tuple[str, str]]


@dataclass
class TillFailed(Message):
    """A till operation was refused or failed; nothing was recorded by it."""

    message: str
    """The error in words a cashier understands."""
    operation: str
    """The operation that failed: ``scan``, ``finish``, ``redeem``, ``refund``, ..."""
    field: str | None = None
    """The input the cashier should correct: ``scan``, ``amount`` or None."""
    member_cleared: bool = False
    """The failure cleared the member (a scan that could have been a card)."""
    held: bool = False
    """The call held the cashier's keys until its answer (a card scan, a sale)."""


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
    products: list[tuple[str, str]]
    """A few products (barcode, name) to type or scan."""


@dataclass
class DemoCardDrawn(Message):
    """A random member's card (or product), to be scanned as if the scanner read it."""

    card: str | None
    """The code to submit as a scan; None when it was sent through the demo's
    simulated serial scanner and arrives from there."""


@dataclass
class DemoQrIssued(Message):
    """Demo mode: a member-app QR token the demo ledger issued, to show (and scan)."""

    token: str
    who: str
    """Whose it is, for the caption (name and masked card)."""


@dataclass
class ApprovalAsked(Message):
    """A till call was refused because it needs a manager's approval: the App asks a
    manager for their PIN and, once approved, runs ``retry`` with the approval.
    Nothing was recorded."""

    action: str
    amount: int
    message: str
    retry: Callable[[Approval], Callable[[Any], Message]]
    """The same call again, with the approval."""
    operation: str
    held: bool = False


class ManagerRequested(Message):
    """F1: a manager's PIN, then manager mode."""


class SignOutRequested(Message):
    """Ctrl+L: the cashier signs out (the sign-in screen covers the till)."""
