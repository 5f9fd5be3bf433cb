"""The store's day at one till: what each cashier did, and the end-of-day report.

:func:`tally` counts one cashier's events (or all of them) of a business day;
:class:`DayReport` holds a block per cashier, the totals, how many of the day's
events the ledger has not confirmed yet, and the close when the day was closed.
``DayReport.text_lines`` is the printed report, laid out for a receipt printer.

Points are per account (wallets and stamp cards; the ledger's qualifying spend is
left out). A sale's ``postings`` are what it earned less what it spent, so what it
earned is ``postings + spent``; what it spent counts as redeemed together with the
standalone redemptions. Refunds and corrections are shown as their net change.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from devices.escpos import DEFAULT_WIDTH, two_columns
from loyalty.events import Event, EventKind
from loyalty.money import Money, format_money
from loyalty.programme.model import QUALIFYING_SPEND
from pos_client import wording
from pos_client.views import ProgrammeInfo

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


@dataclass(frozen=True)
class DayClose:
    """When and by whom a day was closed at this till."""

    closed_at: str
    """UTC, ISO 8601."""
    closed_by: str
    closed_by_name: str
    approval: Mapping[str, Any] | None = None
    """The manager's approval (manager, action, amount) when one was needed."""


@dataclass(frozen=True)
class DayReport:
    """A business day at this till, read from its journal."""

    day: date
    store_name: str
    store_id: str
    terminal_id: str
    cashiers: tuple[CashierDay, ...]
    """One block per operator, in staff-number order."""
    totals: CashierDay
    """Everyone's events together (``members_served`` counts each member once)."""
    events: int
    """The day's events in the journal."""
    unsynced: int
    """The day's events the ledger has not confirmed yet."""
    closed: DayClose | None = None
    info: ProgrammeInfo | None = field(default=None, compare=False, repr=False)
    """The programme in force, to name accounts (``Kiwi bonus``) on paper."""

    def to_json(self) -> dict[str, Any]:
        """The report as stored with a day's close (JSON-ready)."""
        data = asdict(self)
        data.pop("info")
        data["day"] = self.day.isoformat()
        return data

    def text_lines(self, width: int = DEFAULT_WIDTH) -> list[str]:
        """The printable end-of-day report, every line at most ``width`` columns."""
        rule = "=" * width
        lines = [
            self.store_name or "Loyalty till",
            two_columns("End of day", self.day.isoformat(), width),
            two_columns("Terminal", self.terminal_id, width),
        ]
        if self.store_id:
            lines.append(two_columns("Store", self.store_id, width))
        lines.append(rule)
        for cashier in self.cashiers:
            lines.append(_cashier_title(cashier))
            lines += self._block(cashier, width)
            lines.append("-" * width)
        lines.append("All cashiers")
        lines += self._block(self.totals, width)
        lines.append(rule)
        lines.append(two_columns("Events", str(self.events), width))
        lines.append(two_columns("Not yet at the ledger", str(self.unsynced), width))
        if self.closed is None:
            lines.append("Day not closed")
        else:
            at = self.closed.closed_at[:16].replace("T", " ")
            lines.append(two_columns("Closed (UTC)", at, width))
            lines.append(two_columns("Closed by", _who(self.closed), width))
            if self.closed.approval:
                lines.append(
                    two_columns("Approved by", str(self.closed.approval["manager"]), width)
                )
        return [line[:width] for line in lines]

    def _block(self, day: CashierDay, width: int) -> list[str]:
        counts = [
            ("Sales", day.sales),
            ("Refunds", day.refunds),
            ("Redemptions", day.redemptions),
            ("Corrections", day.corrections),
            ("Actions", day.actions),
            ("Enrolments", day.enrolments),
            ("Cards replaced", day.replacements),
            ("Cards blocked", day.blocks),
            ("Members served", day.members_served),
        ]
        lines = [two_columns(f"  {label}", str(n), width) for label, n in counts]
        for label, accounts, sign in (
            ("Points earned", day.earned, False),
            ("Points redeemed", day.redeemed, False),
            ("Points refunded", day.returned, True),
            ("Points corrected", day.corrected, True),
        ):
            for account, value in sorted(accounts.items()):
                amount = wording.account_amount(account, value, self.info, sign=sign)
                lines.append(two_columns(f"  {label}", amount, width))
        for currency, minor in sorted(day.refunded.items()):
            lines.append(
                two_columns("  Money refunded", format_money(Money(minor, currency)), width)
            )
        return lines


def _cashier_title(day: CashierDay) -> str:
    if not day.operator:
        return "No cashier signed in"
    if day.name and day.name != day.operator:
        return f"Cashier {day.name} ({day.operator})"
    return f"Cashier {day.operator}"


def _who(close: DayClose) -> str:
    if close.closed_by_name and close.closed_by_name != close.closed_by:
        return f"{close.closed_by_name} ({close.closed_by})"
    return close.closed_by


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
        elif kind is EventKind.ADJUST:
            corrected.update(postings)
    return CashierDay(
        operator=operator,
        name=name,
        sales=kinds[EventKind.SALE] + kinds[EventKind.EARN],
        refunds=kinds[EventKind.REFUND],
        redemptions=kinds[EventKind.REDEEM],
        corrections=kinds[EventKind.ADJUST],
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


def cashier_days(events: list[Event], names: Mapping[str, str]) -> tuple[CashierDay, ...]:
    """One :class:`CashierDay` per operator of ``events``, by staff number."""
    by_operator: dict[str, list[Event]] = {}
    for event in events:
        by_operator.setdefault(operator_of(event), []).append(event)
    return tuple(
        tally(mine, operator, names.get(operator, operator))
        for operator, mine in sorted(by_operator.items())
    )
