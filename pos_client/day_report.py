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

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from devices.escpos import DEFAULT_WIDTH, two_columns
from loyalty.day_tally import CashierDay, operator_of, tally
from loyalty.events import Event
from loyalty.money import Money, format_money
from pos_client import wording
from pos_client.views import ProgrammeInfo


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


def cashier_days(events: list[Event], names: Mapping[str, str]) -> tuple[CashierDay, ...]:
    """One :class:`CashierDay` per operator of ``events``, by staff number."""
    by_operator: dict[str, list[Event]] = {}
    for event in events:
        by_operator.setdefault(operator_of(event), []).append(event)
    return tuple(
        tally(mine, operator, names.get(operator, operator))
        for operator, mine in sorted(by_operator.items())
    )
