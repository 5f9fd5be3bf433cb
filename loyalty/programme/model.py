"""One programme version as frozen data: one model per rule kind.

Every model is built by :mod:`loyalty.programme.document` from a validated document
and never changes afterwards; the evaluator (:mod:`loyalty.programme.evaluate`)
reads them. Amounts are integers in minor units or wallet units; rates and
percentages are exact fractions.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any, Final, Literal

from loyalty.programme.approvals import Approvals
from loyalty.programme.arithmetic import RoundingMode
from loyalty.programme.birthday import Birthday
from loyalty.programme.conditions import ALWAYS, Conditions
from loyalty.programme.offers import OfferTemplate
from loyalty.programme.settlements import Settlement

ENGINE_VERSION: Final = 2
"""The newest programme engine this code is. A document names the engine it needs
(``[programme] engine``); a newer one is refused whole, never half-applied. Engine 2
adds the ledger's lots and expiry (``[[wallets]] expiry``)."""
EXPIRY_ENGINE: Final = 2
"""The engine a document must name to declare expiry, tier qualification or
settlements."""

GroupMode = Literal["add", "add_increments", "multiply", "max", "newest_only", "first_by_priority"]
WalletKind = Literal["points", "money"]
ExpiryAlign = Literal["month_end", "day"]
TierWindow = Literal["calendar_year", "rolling_12_months", "membership_year"]
TierRetention = Literal["rest_of_window", "rest_and_next"]
TierDowngrade = Literal["to_held", "one_level"]
RewardKind = Literal["free_item", "amount_off", "percent_off"]
QUALIFYING_SPEND: Final = "qualifying_spend"
"""The account that counts qualifying spend in minor units (tiers use it)."""
VISITS: Final = "visits"
"""The tier metric that counts sales with qualifying spend (``metric = "visits"``)."""
UNITS: Final = "units"
"""The tier metric that counts units of tagged lines (``metric = "units"``, ``tag``)."""
STAMPS_PREFIX: Final = "stamps:"
"""Stamp cards are accounts named ``stamps:<card>``."""


def is_wallet_account(account: str) -> bool:
    """Whether an account is a wallet (kept as lots), not stamps or qualifying spend."""
    return account != QUALIFYING_SPEND and not account.startswith(STAMPS_PREFIX)


@dataclass(frozen=True)
class Expiry:
    """How long what a wallet earns lasts: ``months`` after the local day it was
    earned, to the end of that month (``month_end``: earned any day in March with 6
    months, usable to 30 September) or to the same day of the month (``day``: the
    last day of a shorter month when it has no such day)."""

    months: int
    align: ExpiryAlign = "month_end"
    extend_existing: bool = False
    """An extend-only change: from this version's start, points earned before it
    keep the later of their own last day and the one this rule gives them (from the
    day they were earned); a version never shortens a lot's life."""

    def last_day(self, earned_on: date) -> date:
        """The last day a lot earned on ``earned_on`` may be used."""
        index = earned_on.year * 12 + earned_on.month - 1 + self.months
        year, month = divmod(index, 12)
        days = calendar.monthrange(year, month + 1)[1]
        day = days if self.align == "month_end" else min(earned_on.day, days)
        return date(year, month + 1, day)


@dataclass(frozen=True)
class TierQualification:
    """How the ledger moves members between tiers (engine 2, ``[tiers.qualify]``).

    ``metric`` is counted per ``window``; when a window's count reaches a level's
    threshold the member holds that level for the ``retention`` the programme says.
    A refund lowers the count of its sale's window; with ``clawback`` a level whose
    threshold is no longer met there is taken back, without it a level once granted
    is kept. When the levels held run out, ``downgrade`` says how far the member
    falls. :mod:`loyalty.tiers`, :mod:`loyalty.tier_windows` and
    :mod:`loyalty.tier_metrics` hold the rules; docs/PROGRAMMES.md words them.
    """

    metric: str
    """``qualifying_spend`` (minor units), ``visits`` (sales with qualifying spend),
    ``units`` (units of lines tagged ``tag``), or a wallet id (units earned into it:
    status points)."""
    window: TierWindow
    """``calendar_year``, ``rolling_12_months`` or ``membership_year``."""
    thresholds: tuple[tuple[str, int], ...]
    """(level, count) for each level above the lowest, in level order, rising."""
    retention: TierRetention = "rest_and_next"
    clawback: bool = False
    tag: str | None = None
    """The line tag counted when ``metric`` is ``units`` (``night``); else None."""
    downgrade: TierDowngrade = "to_held"
    """``to_held``: fall to the highest level still held; ``one_level``: fall one
    level at a time, each held for one more window."""


@dataclass(frozen=True)
class Wallet:
    """A balance members earn into: points, or money-valued bonus in minor units."""

    id: str
    name: str
    kind: WalletKind
    """``points`` (whole points) or ``money`` (minor units of the programme currency)."""
    expiry: Expiry | None = None
    """When what it earns expires (engine 2); None: never."""


@dataclass(frozen=True)
class StackGroup:
    """How the matching rules of one group combine, per line and wallet."""

    id: str
    mode: GroupMode


@dataclass(frozen=True)
class EarnRate:
    """Points per whole currency unit of a line's earning amount."""

    id: str
    wallet: str
    rate: Fraction
    """e.g. 5/4 for "1.25 points per krone"."""
    group: str = "base"
    priority: int = 0
    """Lower first, for groups with ``mode = "first_by_priority"``."""
    when: Conditions = ALWAYS


@dataclass(frozen=True)
class EarnPercent:
    """A percentage of a line's earning amount, in the wallet's units (øre for money)."""

    id: str
    wallet: str
    percent: Fraction
    group: str = "base"
    priority: int = 0
    when: Conditions = ALWAYS


@dataclass(frozen=True)
class Multiplier:
    """An increment over what the earlier groups gave a line: ``1`` doubles it."""

    id: str
    increment: Fraction
    wallet: str | None = None
    """Only this wallet; None boosts every wallet."""
    group: str = "boost"
    priority: int = 0
    when: Conditions = ALWAYS


@dataclass(frozen=True)
class Cap:
    """At most ``count`` awards per member in any ``months`` months (engine 2): the
    ledger counts a member's awards across all tills by business time and reverses
    one over the cap with an event that says why (6 garment bags per 6 months)."""

    count: int
    months: int


@dataclass(frozen=True)
class FixedBonus:
    """A fixed amount for the basket when its conditions hold (≥ 500 kr → +100)."""

    id: str
    wallet: str
    amount: int
    group: str = "bonus"
    priority: int = 0
    when: Conditions = ALWAYS
    cap: Cap | None = None
    """How often one member may get it (a campaign's limit), checked by the ledger."""


@dataclass(frozen=True)
class StampRule:
    """A stamp card: stamps per unit of matching lines, a goal and its reward."""

    id: str
    card: str
    """The card's name; its account is ``stamps:<card>``."""
    goal: int
    """Stamps that complete the card."""
    reward: str
    """The reward (``[[rewards]]`` id) a completed card issues."""
    per_unit: int = 1
    extra_per_flag: dict[str, int] = field(default_factory=dict)
    """Extra stamps per unit of a line carrying the flag (``own_cup = 1``)."""
    carry_over: bool = True
    """Stamps beyond a completed card count towards the next one; else they lapse."""
    when: Conditions = ALWAYS


EarnRule = EarnRate | EarnPercent
BasketRule = EarnRate | EarnPercent | Multiplier | FixedBonus | StampRule


@dataclass(frozen=True)
class MemberPrice:
    """A member's unit price for matching lines: a price, or a percentage off."""

    id: str
    when: Conditions
    price_minor: int | None = None
    percent_off: Fraction | None = None


@dataclass(frozen=True)
class Reward:
    """Something a member applies in a basket: a free item or a discount.

    A reward is *issued* (a completed stamp card gives an instance with its own id)
    or *claimed* from a wallet for ``cost`` units.
    """

    id: str
    name: str
    kind: RewardKind
    when: Conditions = ALWAYS
    """Which lines it applies to (free item: the eligible lines)."""
    amount_minor: int = 0
    """``amount_off``: the discount."""
    percent: Fraction = Fraction(0)
    """``percent_off``: the percentage off the eligible lines."""
    min_spend_minor: int = 0
    """The eligible lines must add up to at least this before the reward."""
    cost: int | None = None
    """Wallet units a member may pay to claim it; None: only issued instances."""
    wallet: str | None = None
    """The wallet ``cost`` is paid from."""


@dataclass(frozen=True)
class Redeem:
    """Points as a discount: ``points`` points are worth ``value_minor``."""

    wallet: str
    points: int
    value_minor: int
    min_points: int


@dataclass(frozen=True)
class Action:
    """A non-purchase action recorded at the till (own bag, garment recycling)."""

    id: str
    name: str
    wallet: str
    amount: int
    cap: Cap | None = None
    """How often one member may be rewarded for it, checked by the ledger."""


StalePolicy = Literal["honour", "rerate"]


@dataclass(frozen=True)
class Offline:
    """Bounds on what a till that cannot reach the ledger may do (guarantee 5)."""

    redeem_cap: int = 1000
    """Points one member may redeem per day at a till that is offline."""
    max_offline_hours: int = 72
    """A till that has not synced for this long refuses new redemptions."""
    accept_previous_hours: int = 0
    """A version superseded less than this long ago is not a stale version."""
    stale: StalePolicy = "honour"
    """A sale computed under a stale version (engine 2): ``honour`` records it as it
    is and flags it; ``rerate`` also makes the ledger post the difference to what the
    version in force gives, as a correction."""


@dataclass(frozen=True)
class Programme:
    """One immutable programme version's content (its number and start are the
    ledger's, see :class:`loyalty.programme.versions.ProgrammeVersion`)."""

    id: str
    name: str
    engine: int
    currency: str
    timezone: str
    rounding: RoundingMode
    scope: Literal["receipt", "line"]
    earn_amount: Literal["paid", "list"]
    exclude_tags: frozenset[str]
    exclude_tenders: frozenset[str]
    wallets: tuple[Wallet, ...]
    tiers: tuple[str, ...]
    """Tier ids, lowest first; a member without a tier has the first."""
    tier_qualification: TierQualification | None
    store_groups: dict[str, frozenset[str]]
    groups: tuple[StackGroup, ...]
    """Every stack group in evaluation order, declared or implied."""
    rules: tuple[BasketRule, ...]
    prices: tuple[MemberPrice, ...]
    rewards: tuple[Reward, ...]
    redeem: Redeem | None
    actions: tuple[Action, ...]
    offline: Offline
    settlements: tuple[Settlement, ...]
    """Settlements the ledger makes (engine 2): period payouts, vouchers at thresholds."""
    offer_templates: tuple[OfferTemplate, ...]
    """Personal offers the ledger may assign (engine 2)."""
    birthday: Birthday | None
    """The birthday reward (engine 2)."""
    approvals: Approvals
    """Which till actions need a manager's approval (``[approvals]``)."""
    document: dict[str, Any] = field(compare=False, repr=False)
    """The document as written (TOML dates as ISO text): what :attr:`content_hash`
    covers and what travels to tills."""
    content_hash: str = ""

    def wallet(self, wallet_id: str) -> Wallet | None:
        return next((w for w in self.wallets if w.id == wallet_id), None)

    def reward(self, reward_id: str) -> Reward | None:
        return next((r for r in self.rewards if r.id == reward_id), None)

    def action(self, action_id: str) -> Action | None:
        return next((a for a in self.actions if a.id == action_id), None)

    def groups_of(self, store: str) -> frozenset[str]:
        """The store groups ``store`` belongs to."""
        return frozenset(g for g, stores in self.store_groups.items() if store in stores)

    def offer_template(self, template_id: str) -> OfferTemplate | None:
        return next((t for t in self.offer_templates if t.id == template_id), None)

    @property
    def main_wallet(self) -> Wallet | None:
        """The wallet a cashier talks about: the redeemable one, else the first."""
        if self.redeem is not None:
            return self.wallet(self.redeem.wallet)
        return next((w for w in self.wallets if w.kind == "points"), None) or (
            self.wallets[0] if self.wallets else None
        )

    @property
    def stamp_cards(self) -> tuple[StampRule, ...]:
        return tuple(r for r in self.rules if isinstance(r, StampRule))

    def tier_of(self, tier: str | None) -> str:
        """The member's tier as the programme counts it (no tier: the lowest)."""
        if tier and tier in self.tiers:
            return tier
        return self.tiers[0] if self.tiers else (tier or "")
