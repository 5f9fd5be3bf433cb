"""A member as the ledger sends it to tills (push answers, the changes feed, a lookup).

Part of the wire protocol (:mod:`sync.protocol` re-exports every model here).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from sync.unknowns import note_unknown
from sync.wire_base import _Answer

KNOWN_MEMBER_STATUSES = ("active", "blocked")


def _known_status(status: str) -> str:
    """A status this till does not know is read as ``blocked`` (:mod:`sync.unknowns`)."""
    if status in KNOWN_MEMBER_STATUSES:
        return status
    note_unknown("member status", status, "such members are treated as blocked here")
    return "blocked"


MemberStatus = Annotated[str, AfterValidator(_known_status)]
"""``active`` or ``blocked``; any other status from a newer ledger reads as blocked."""


class RewardHeld(_Answer):
    """An issued reward a member holds (from a completed stamp card, say)."""

    id: str
    reward: str
    """The programme's reward id (``free-coffee``)."""


class Expiring(_Answer):
    """A wallet's soonest-expiring lot: ``amount`` may be used up to and including
    the local day ``on`` (``YYYY-MM-DD``), then it expires."""

    wallet: str
    amount: int
    on: str


class TierProgress(_Answer):
    """The member's tier metric counted in a window, as of their latest event at the
    ledger; the programme's ``[tiers.qualify]`` says what it counts. The window is a
    label of :mod:`loyalty.tier_windows`: a year (``"2026"``), the 12 months ending
    with a month (``"2026-03"``) or a membership year (``"2026-04-15/2027-04-14"``)."""

    window: str
    count: int


class VoucherHeld(_Answer):
    """A bonus voucher the member holds: issued by the ledger, not used yet."""

    number: str
    """``VCH-...``, printed as Code 128."""
    value_minor: int
    currency: str
    min_spend_minor: int = 0
    """The basket must be paid at least this before the voucher."""
    valid_until: str
    """The last local day it may be used (``YYYY-MM-DD``)."""


class OfferHeld(_Answer):
    """A personal offer assigned to the member, with uses left."""

    id: str
    template: str
    """The programme's ``[[offer_templates]]`` id: what it takes off, and its offline
    policy."""
    valid_from: str
    valid_until: str
    """The first and last local days it may be used (``YYYY-MM-DD``)."""
    uses_left: int
    """Uses left as the ledger counts them (a till subtracts its own unsynced uses)."""


class Accrued(_Answer):
    """What a period settlement would pay the member for a period so far (a member
    dividend accrued this year): provisional until the period is settled."""

    settlement: str
    period: str
    """``2026`` or ``2026-03``."""
    amount: int
    """Minor units of the programme currency (a money wallet, or a voucher's value)."""
    wallet: str | None = None
    """The wallet it will be paid into; None: paid as a voucher."""


class MemberState(_Answer):
    """A member as the ledger knows it now: the confirmed balance and status."""

    member_id: str
    card: str
    """The member's current card."""
    name: str
    tier: str
    balance: int
    """Confirmed ``points`` account (kept for release 0.1.0 tills; see ``accounts``)."""
    accounts: dict[str, int] = Field(default_factory=dict)
    """Confirmed balance of every account: wallets, ``stamps:<card>``,
    ``qualifying_spend``; zeros left out. Negative after an overdraft or a refund of
    points already spent (a debt)."""
    rewards: list[RewardHeld] = Field(default_factory=list)
    """Issued rewards the member holds and may use."""
    status: MemberStatus
    flagged: bool
    """Set for review by a manager (overdraft, unknown or blocked card, rule mismatch)."""
    flag_reasons: list[str]
    """Distinct reasons, e.g. ``["overdraft"]``; empty when not flagged."""
    version: int
    """The ledger change number of this state; larger is newer. A till keeps the
    state with the highest version it has seen and ignores older ones."""
    expiring: list[Expiring] = Field(default_factory=list)
    """Per wallet with lots that expire, the soonest one (the ledger's lots)."""
    progress: TierProgress | None = None
    """Tier qualification so far, for programmes that qualify tiers."""
    birthday: str = ""
    """The member's birthday as ``MM-DD`` (never the year), empty when unknown: the
    till opens the birthday reward's window from it, offline too."""
    birthday_claimed: int = 0
    """The year of the birthday whose reward the member last used (0: never)."""
    vouchers: list[VoucherHeld] = Field(default_factory=list)
    """Bonus vouchers the member holds."""
    offers: list[OfferHeld] = Field(default_factory=list)
    """Personal offers the member holds."""
    accrued: list[Accrued] = Field(default_factory=list)
    """Period settlements accrued so far for the member's latest period."""
    phone: str = ""
    """The member's phone number (``+`` and digits), for a manager's search at the
    till; empty when unknown. E-mail and consent stay at the ledger."""
