"""What the manager's member desk shows: immutable views of a search, a member's
status, their history and an enrolment. Never rows or SQL.

Card numbers are shown masked (``•••• 1234``) and phone numbers all but their last
three digits, so a screen over a customer's shoulder gives little away; the full
card travels with each view for the actions that need it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

from loyalty.cards import mask_card_number
from pos_client.holdings import HeldOffer, HeldVoucher
from pos_client.store.members import Expiring
from pos_client.views import MemberView

CARD_REASONS: Final[Mapping[str, str]] = {
    "lost": "Card lost",
    "stolen": "Card stolen",
    "damaged": "Card damaged",
    "other": "Other (say why in the note)",
}
"""Why a card is replaced or blocked, with their words; ``other`` needs a note."""

CardState = Literal["active", "replaced", "revoked"]
HistorySource = Literal["ledger", "this till (offline)"]
RowState = Literal["confirmed", "pending", "ledger"]


def mask_phone(phone: str) -> str:
    """``+•••••••567``: a phone number with all but its last three digits hidden."""
    if not phone:
        return ""
    head = "+" if phone.startswith("+") else ""
    digits = phone[len(head) :]
    return head + "•" * max(len(digits) - 3, 0) + digits[-3:]


@dataclass(frozen=True)
class MemberHit:
    """One member a search found."""

    member_id: str
    name: str
    card: str
    """The card shown: the one searched for, else the member's active card ('' when
    they have none: a blocked card not replaced yet)."""
    card_state: CardState | None
    """The state of :attr:`card` at this till (None without a card)."""
    masked_phone: str
    tier: str
    blocked: bool
    """The ledger blocked the member."""

    @property
    def masked_card(self) -> str:
        return mask_card_number(self.card) if self.card else ""


@dataclass(frozen=True)
class MemberCard:
    """One card a member has or had, as this till knows it."""

    card: str
    state: CardState

    @property
    def masked_card(self) -> str:
        return mask_card_number(self.card)


@dataclass(frozen=True)
class AccountLine:
    """One account of a member: what the ledger confirmed and what this till's
    unsynced events add (the shown balance is their sum, guarantee 4)."""

    account: str
    confirmed: int
    pending: int

    @property
    def total(self) -> int:
        return self.confirmed + self.pending


@dataclass(frozen=True)
class StampLine:
    card: str
    """The stamp card (the programme's id, e.g. ``coffee``)."""
    stamps: int
    goal: int
    reward_name: str


@dataclass(frozen=True)
class MemberStatus:
    """Everything the manager sees of one member, read from this till's cache."""

    member: MemberView
    """As a cashier would see them, under their active card (or the newest one)."""
    accounts: tuple[AccountLine, ...]
    """Every wallet of the programme, then any other account the member has."""
    tier: str
    next_tier: tuple[str, int] | None
    """The next tier and what today's window still needs for it; None at the top,
    without tier rules, or when the till cannot know."""
    stamps: tuple[StampLine, ...]
    vouchers: tuple[HeldVoucher, ...]
    offers: tuple[HeldOffer, ...]
    expiring: tuple[Expiring, ...]
    flagged: bool
    flag_reasons: tuple[str, ...]
    cards: tuple[MemberCard, ...]
    """Every card, the active one first."""
    phone: str
    """``+`` and digits; empty when unknown."""
    pending_events: int
    """This till's events of the member the ledger has not confirmed yet."""


@dataclass(frozen=True)
class HistoryRow:
    """One event in a member's history."""

    when: str
    """Local time of the till, ``YYYY-MM-DD HH:MM``."""
    what: str
    """The kind in words (``Purchase``, ``Points corrected``)."""
    where: str
    """``store / terminal``."""
    receipt_no: str
    """This till's receipt number; empty for another till's or the ledger's events."""
    points: Mapping[str, int]
    """Change per wallet (stamps and spend left out)."""
    operator: str
    state: RowState
    """``confirmed``: this till's, held by the ledger; ``pending``: this till's, not
    synced yet; ``ledger``: recorded elsewhere (another till, the ledger)."""
    flags: tuple[str, ...] = ()
    """What the ledger flagged on the event (empty offline)."""


@dataclass(frozen=True)
class HistoryPage:
    rows: tuple[HistoryRow, ...]
    page: int
    has_more: bool
    source: HistorySource


@dataclass(frozen=True)
class Enrolled:
    """A member just enrolled at this till, with their new card."""

    member: MemberView
    card: str
    numbers_left: int = 0
    """Card numbers this till has left after this one."""
