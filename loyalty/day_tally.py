"""What a day's events add up to, per person: one rule for the till's end-of-day
report (:mod:`pos_client.day_report`) and the ledger's day page (:mod:`ledger.day_report`).

Points are per account (wallets and stamp cards; the qualifying spend is left out).
A sale's ``postings`` are what it earned less what it spent, so what it earned is
``postings + spent``; what it spent counts as redeemed together with the standalone
redemptions. Refunds and corrections (a manager's ``adjust`` at a till, the ledger's
own ``correction``, e.g. an award cut to its cap) are their net change; money refunded is per
currency, in minor units.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from loyalty.events import Event, EventKind
from loyalty.programme.model import QUALIFYING_SPEND

NO_OPERATOR = ""
"""The operator of events that name none (recorded before anyone signed in)."""


@dataclass(frozen=True)
class CashierDay:
    """One cashier's day at this till (or, as ``DayReport.totals``, everyone's)."""

    operator: str
    """The staff number the events name; empty for events that name none."""
    name: str
    """The staff member's name when the till knows its staff, else the number."""
    sales: int = 0
    """Sales (and release 0.1.0's earns)."""
    refunds: int = 0
    redemptions: int = 0
    """Standalone redemptions (points spent inside a sale count in ``redeemed``)."""
    corrections: int = 0
    """A manager's adjustments (``adjust``) and the ledger's ``correction`` events."""
    actions: int = 0
    enrolments: int = 0
    replacements: int = 0
    blocks: int = 0
    members_served: int = 0
    """Distinct members (by member id; release 0.1.0's events by card)."""
    earned: Mapping[str, int] = field(default_factory=dict)
    """Units earned per account by sales and actions."""
    redeemed: Mapping[str, int] = field(default_factory=dict)
    """Units spent per account: redemptions and points spent in sales (positive)."""
    returned: Mapping[str, int] = field(default_factory=dict)
    """Net change per account made by refunds (usually negative)."""
    corrected: Mapping[str, int] = field(default_factory=dict)
    """Net change per account made by corrections."""
    refunded: Mapping[str, int] = field(default_factory=dict)
    """Money given back per currency, in minor units."""


def operator_of(event: Event) -> str:
    """The staff number an event names (empty when none)."""
    return str(event.get("operator") or NO_OPERATOR)


def tally(events: Iterable[Event], operator: str, name: str) -> CashierDay:
    """Count ``events`` (one cashier's, or all) into a :class:`CashierDay`."""
    kinds: Counter[EventKind] = Counter()
    earned: Counter[str] = Counter()
    redeemed: Counter[str] = Counter()
    returned: Counter[str] = Counter()
    corrected: Counter[str] = Counter()
    refunded: Counter[str] = Counter()
    members: set[tuple[str, str]] = set()
    for event in events:
        kind = event.kind
        kinds[kind] += 1
        members.add(("member", event.member_id) if event.member_id else ("card", event.card))
        postings = {a: v for a, v in event.postings.items() if a != QUALIFYING_SPEND}
        if kind in (EventKind.SALE, EventKind.EARN, EventKind.ACTION):
            spent = {a: int(v) for a, v in event.get("spent", {}).items()}
            for account in postings.keys() | spent.keys():
                earned[account] += max(0, postings.get(account, 0) + spent.get(account, 0))
                redeemed[account] += spent.get(account, 0)
        elif kind is EventKind.REDEEM:
            for account, value in postings.items():
                redeemed[account] += max(0, -value)
        elif kind is EventKind.REFUND:
            returned.update(postings)
            minor = event.get("refund_minor", event.get("amount_minor", 0))
            refunded[event.currency] += int(minor or 0)
        elif kind in (EventKind.ADJUST, EventKind.CORRECTION):
            corrected.update(postings)
    return CashierDay(
        operator=operator,
        name=name,
        sales=kinds[EventKind.SALE] + kinds[EventKind.EARN],
        refunds=kinds[EventKind.REFUND],
        redemptions=kinds[EventKind.REDEEM],
        corrections=kinds[EventKind.ADJUST] + kinds[EventKind.CORRECTION],
        actions=kinds[EventKind.ACTION],
        enrolments=kinds[EventKind.ENROL],
        replacements=kinds[EventKind.REPLACE],
        blocks=kinds[EventKind.BLOCK],
        members_served=len(members),
        earned=_nonzero(earned),
        redeemed=_nonzero(redeemed),
        returned=_nonzero(returned),
        corrected=_nonzero(corrected),
        refunded=_nonzero(refunded),
    )


def _nonzero(counts: Mapping[str, int]) -> dict[str, int]:
    return {key: value for key, value in sorted(counts.items()) if value}
