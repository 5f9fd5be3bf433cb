"""What the till shows: immutable views the UI and scripts read, never rows or SQL."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from loyalty.cards import mask_card_number
from loyalty.events import EventKind
from loyalty.money import Money
from loyalty.programme import Programme, RewardInstance
from loyalty.programme.birthday import Birthday
from loyalty.programme.model import QUALIFYING_SPEND, STAMPS_PREFIX, TierQualification, Wallet
from loyalty.programme.settlements import PeriodPercent
from pos_client.holdings import Accrual, HeldOffer, HeldVoucher, UsedHere
from pos_client.store.members import Expiring, Pending


@dataclass(frozen=True)
class WalletInfo:
    id: str
    name: str
    kind: str
    """``points`` or ``money`` (minor units of the currency)."""

    @classmethod
    def of(cls, wallet: Wallet) -> WalletInfo:
        return cls(wallet.id, wallet.name, wallet.kind)


@dataclass(frozen=True)
class CardInfo:
    card: str
    goal: int
    reward_name: str


@dataclass(frozen=True)
class ProgrammeInfo:
    """What the screen needs to know of the programme in force to label figures."""

    name: str
    currency: str
    wallets: tuple[WalletInfo, ...]
    stamp_cards: tuple[CardInfo, ...]
    main_wallet: str | None
    rewards: Mapping[str, str] = field(default_factory=dict)
    """Reward id → name."""
    line_flags: tuple[str, ...] = ()
    """Flags a cashier may set on a line because a rule rewards them (``own_cup``)."""
    tiers: tuple[str, ...] = ()
    tier_qualification: TierQualification | None = None
    """How the ledger qualifies tiers (for "312.00 NOK to gold"), if it does."""
    timezone: str = "UTC"
    birthday: Birthday | None = None
    """The birthday reward's rules, if the programme has one."""
    offers: Mapping[str, str] = field(default_factory=dict)
    """Offer template id → name."""
    settlement_names: Mapping[str, str] = field(default_factory=dict)
    """Period settlement id → what the member knows it as (a dividend)."""

    def tier_of(self, tier: str) -> str:
        """``tier`` as the programme counts it (unknown or empty: the lowest)."""
        if tier in self.tiers:
            return tier
        return self.tiers[0] if self.tiers else tier

    @classmethod
    def of(cls, programme: Programme) -> ProgrammeInfo:
        main = programme.main_wallet
        names = {r.id: r.name for r in programme.rewards}
        return cls(
            name=programme.name,
            currency=programme.currency,
            wallets=tuple(WalletInfo.of(w) for w in programme.wallets),
            stamp_cards=tuple(
                CardInfo(r.card, r.goal, names.get(r.reward, r.reward))
                for r in programme.stamp_cards
            ),
            main_wallet=None if main is None else main.id,
            rewards=names,
            line_flags=tuple(
                sorted({flag for r in programme.stamp_cards for flag in r.extra_per_flag})
            ),
            tiers=programme.tiers,
            tier_qualification=programme.tier_qualification,
            timezone=programme.timezone,
            birthday=programme.birthday,
            offers={t.id: t.name for t in programme.offer_templates},
            settlement_names={
                s.id: "Dividend" if s.wallet is None else _wallet_name(programme, s.wallet)
                for s in programme.settlements
                if isinstance(s, PeriodPercent)
            },
        )


def _wallet_name(programme: Programme, wallet: str) -> str:
    found = programme.wallet(wallet)
    return found.name if found is not None else wallet


@dataclass(frozen=True)
class MemberView:
    """A member as the cashier sees them."""

    card: str
    """The card the member was identified by (events recorded for them name it)."""
    member_id: str
    name: str
    tier: str
    confirmed: Mapping[str, int]
    """Balance per account the ledger has confirmed."""
    unconfirmed: Mapping[str, int]
    """This till's events the ledger has not confirmed yet, per account."""
    rewards: tuple[RewardInstance, ...] = ()
    """Issued rewards the member may use now."""
    blocked: bool = False
    """The ledger blocked the member."""
    card_replaced: bool = False
    """``card`` is no longer the member's card (replaced or revoked): a scan of it
    is refused; the member and the points are not affected."""
    programme: ProgrammeInfo | None = None
    expiring: tuple[Expiring, ...] = ()
    """Per wallet, the ledger's soonest-expiring lot (as of the last sync)."""
    progress: tuple[str, int] | None = None
    """The ledger's tier count so far: (window, count), as of the member's latest
    event there."""
    vouchers: tuple[HeldVoucher, ...] = ()
    """Bonus vouchers the member holds that this till has not seen used."""
    offers: tuple[HeldOffer, ...] = ()
    """Personal offers the ledger assigned (uses left as it counted them)."""
    accrued: tuple[Accrual, ...] = ()
    """A member dividend accrued so far, as the ledger last said."""
    used: UsedHere = field(default_factory=UsedHere)
    """What this till's unconfirmed events used of the vouchers, offers and
    birthday reward."""
    birthday_held: bool = False
    """The year's birthday reward is among :attr:`rewards` today."""
    accrued_unsynced: Mapping[str, int] = field(default_factory=dict)
    """Per member dividend, what this till's unsynced sales add (an estimate)."""
    as_of: date | None = None
    """The till's business day when this view was made: what the vouchers, offers
    and tier window shown are judged on."""
    unsynced: tuple[Pending, ...] = ()
    """This till's events the ledger has not confirmed yet, one by one in order (the
    tier progress counts them)."""

    def total(self, account: str) -> int:
        return self.confirmed.get(account, 0) + self.unconfirmed.get(account, 0)

    @property
    def main_wallet(self) -> str:
        if self.programme is not None and self.programme.main_wallet is not None:
            return self.programme.main_wallet
        return "points"

    @property
    def balance(self) -> int:
        """The balance shown of the main wallet: confirmed + unconfirmed (guarantee 4)."""
        return self.total(self.main_wallet)

    @property
    def confirmed_points(self) -> int:
        return self.confirmed.get(self.main_wallet, 0)

    @property
    def unconfirmed_points(self) -> int:
        return self.unconfirmed.get(self.main_wallet, 0)

    def stamps(self, card: str) -> int:
        return self.total(STAMPS_PREFIX + card)

    @property
    def qualifying_spend_minor(self) -> int:
        return self.total(QUALIFYING_SPEND)

    @property
    def masked_card(self) -> str:
        return mask_card_number(self.card)


@dataclass(frozen=True)
class SaleLineView:
    """One line of the basket being sold, with what it earns."""

    line: int
    sku: str
    name: str
    qty: int
    unit_minor: int
    paid_minor: int
    tags: tuple[str, ...]
    flags: tuple[str, ...]
    wallets: Mapping[str, int]
    stamps: Mapping[str, int]
    rules: tuple[str, ...]


@dataclass(frozen=True)
class SaleView:
    """The basket being sold and, with a member, what finishing it would record."""

    lines: tuple[SaleLineView, ...]
    currency: str
    list_minor: int
    paid_minor: int
    redeem_points: int = 0
    rewards: tuple[str, ...] = ()
    """Names of the rewards applied."""
    wallets: Mapping[str, int] = field(default_factory=dict)
    """Earned per wallet (empty without a member)."""
    spent: Mapping[str, int] = field(default_factory=dict)
    stamps: Mapping[str, int] = field(default_factory=dict)
    rewards_issued: tuple[str, ...] = ()
    """Names of rewards a card completed here would issue."""
    problem: str | None = None
    """Why the outcome cannot be shown (no member yet, a reward that no longer fits)."""
    programme: ProgrammeInfo | None = None
    offers: tuple[tuple[str, int], ...] = ()
    """Personal offers applied: (name, money off)."""
    vouchers: tuple[tuple[str, int], ...] = ()
    """Vouchers in the basket: (number, money off; 0 while it cannot apply yet)."""

    @property
    def empty(self) -> bool:
        return not self.lines

    @property
    def discount_minor(self) -> int:
        return self.list_minor - self.paid_minor


@dataclass(frozen=True)
class ReceiptLine:
    line: int
    name: str
    qty: int
    paid_minor: int
    wallets: Mapping[str, int] = field(default_factory=dict)
    stamps: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Receipt:
    """One recorded transaction, as printed and as listed under "last receipts"."""

    receipt_no: str
    """``TERMINAL-000042``: the terminal id and the event's sequence number."""
    kind: EventKind
    card: str
    member_name: str
    postings: Mapping[str, int]
    """Signed change per account."""
    amount: Money
    """Sale: paid; refund: money back; redeem: discount; otherwise zero."""
    balance_after: int | None
    """Main wallet balance shown right after this event (None when listed later)."""
    recorded_at: str
    event_id: str
    lines: tuple[ReceiptLine, ...] = ()
    rewards_issued: tuple[str, ...] = ()
    main_wallet: str = "points"
    programme: ProgrammeInfo | None = None
    member_id: str = ""
    """The member's id (empty for release 0.1.0's events, which name only the card)."""
    savings: tuple[tuple[str, int], ...] = ()
    """A sale's personal offers and vouchers used: (what, money off)."""
    vouchers: tuple[HeldVoucher, ...] = ()
    """The bonus vouchers the member holds after it (printed with their barcodes)."""

    @property
    def points(self) -> int:
        """The change to the main wallet."""
        return self.postings.get(self.main_wallet, 0)

    @property
    def masked_card(self) -> str:
        return mask_card_number(self.card)


@dataclass(frozen=True)
class RefundPreview:
    """What a refund will take back, shown before the cashier confirms it."""

    receipt_no: str
    member_name: str
    lines: tuple[tuple[int, str, int, int], ...]
    """(line, name, sold, left to return) per line of the sale."""
    returning: Mapping[int, int]
    postings: Mapping[str, int]
    refund_minor: int
    currency: str
    rewards_revoked: int
    balance_after: int
    programme: ProgrammeInfo | None = None
    rewards_already_used: int = 0
    """Of ``rewards_revoked``, those the member no longer holds (used since): the
    refund cannot take them back, and the ledger flags it for review."""


@dataclass(frozen=True)
class TillStatus:
    """The status bar's facts."""

    terminal_id: str
    pending_events: int
    """Events recorded here and not yet confirmed by the ledger."""
    ledger_state: str
    """``offline (no ledger configured)``, ``online``, ``offline``, ..."""
    members_cached: int
    last_sync: str | None = None
    """When the last sync succeeded (UTC, ISO 8601), None if never."""
    last_error: str | None = None
    """Why the last sync failed, in words, None after a success."""
    parked_events: int = 0
    """Events the ledger refused, waiting for a manager."""
    oldest_pending_at: str | None = None
    """When the oldest unconfirmed event was recorded."""
    oldest_pending_age_s: float | None = None
    """How long ago that was, in seconds (how far behind the ledger this till is)."""
    printer_error: str | None = None
    """Why the last receipt did not print; None when printing works or is off."""
    programme: str = ""
    """The programme version in force (``Coffee club v3``)."""
    programme_warning: str | None = None
    """A version the till cannot run, if one was published."""


def receipt_number(terminal_id: str, seq: int) -> str:
    return f"{terminal_id}-{seq:06d}"


def parse_receipt_number(text: str) -> tuple[str, int] | None:
    """``("OSLO01-T1", 42)`` from ``"OSLO01-T1-000042"``, or None if malformed."""
    terminal_id, sep, number = text.strip().rpartition("-")
    if not sep or not terminal_id or not number.isdigit():
        return None
    return terminal_id, int(number)
