"""Settlements (engine 2, ``[[settlements]]``): what the ledger pays a member between
receipts, from many receipts at once.

``threshold_voucher`` converts a wallet into bonus vouchers: whenever the wallet
holds at least ``threshold`` units, the ledger takes ``threshold`` units for each
voucher of ``value_minor`` it issues (H&M: 150 points → a 3.00 GBP voucher). A
voucher has a number (printed as Code 128), a value, a minimum spend and a last day,
and is used once.

The other three pay for a whole period of purchases, once the period is over, all
over the member's qualifying spend (excluded tags never count; a refund counts in its
sale's period):

* ``period_percent``: a percentage of the period's qualifying spend, with a rate per
  store group (a cooperative's member dividend: 3 % in the member's own society's
  stores, 1 % elsewhere; a store in several groups gets the highest of their
  rates), rounded once per member and period as the programme's
  ``[arithmetic] rounding`` says, paid into a wallet or as a voucher.
* ``period_steps``: a table of steps over the period's spend counted in whole units
  (``unit_minor``, e.g. 100 øre = one point per krone), counted per receipt (each
  receipt rounded down first) or over the period (the sum rounded down once), and
  the highest step reached is paid into a wallet (ICA's monthly bonus).
* ``visit_challenge``: enough days in the period with enough spend that day pay a
  fixed amount (5 visit days of at least 50.00 in a month: 100 points). A refund
  counts against its sale's day, so returning a visit's purchase undoes the visit.

Periods are calendar months or years in the programme's time zone. The ledger's
``pos-ledger settle`` pays each member once per settlement and period
(:mod:`ledger.period_settling`), and pays the difference when events of a period
already paid arrive later (an offline till's sale, a refund that undoes a visit).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Literal

from loyalty.programme.arithmetic import RoundingMode, round_ratio
from loyalty.programme.reader import IDENTIFIER, Table
from loyalty.timezones import programme_zone

Period = Literal["calendar_month", "calendar_year"]
MAX_VOUCHER_DAYS = 3660
"""The longest a voucher may be valid (ten years)."""


@dataclass(frozen=True)
class VoucherTerms:
    """How a voucher the ledger issues may be used."""

    valid_days: int
    """It may be used on the day it is issued and this many days after it."""
    min_spend_minor: int = 0
    """The basket must be paid at least this before the voucher."""


@dataclass(frozen=True)
class ThresholdVoucher:
    """Vouchers of ``value_minor`` for every ``threshold`` units a wallet holds."""

    id: str
    wallet: str
    threshold: int
    value_minor: int
    terms: VoucherTerms


@dataclass(frozen=True)
class PeriodPercent:
    """A percentage of the period's qualifying spend, by store group."""

    id: str
    period: Period
    wallet: str | None
    """The wallet it is paid into; None when it is paid as a voucher."""
    percent: Fraction
    """The rate where no store group's applies."""
    by_store_group: tuple[tuple[str, Fraction], ...] = ()
    """(group, percent): a sale in a store of some of these groups gets the highest of
    their rates (whatever order the document lists them in)."""
    voucher: VoucherTerms | None = None
    """Paid as a voucher of the amount (``pay_as = "voucher"``) on these terms."""

    def rate_for(self, groups: frozenset[str]) -> Fraction:
        """The percent for a sale in a store of these groups."""
        rates = [p for g, p in self.by_store_group if g in groups]
        return max(rates) if rates else self.percent

    @staticmethod
    def payout(rounding: RoundingMode, at_rates: Mapping[str, int]) -> int:
        """What spend at each rate (``{"3": 100000, "1": 5000}``, rates as written by
        ``str(Fraction)``) pays: the exact sum of spend × rate / 100, rounded once."""
        exact = sum((Fraction(rate) * spend / 100 for rate, spend in at_rates.items()), Fraction(0))
        return round_ratio(exact.numerator, exact.denominator, rounding)


@dataclass(frozen=True)
class PeriodSteps:
    """The highest step the period's spend in whole units reaches, paid out."""

    id: str
    period: Period
    wallet: str
    unit_minor: int
    scope: Literal["receipt", "period"]
    steps: tuple[tuple[int, int], ...]
    """(from units, pay), rising."""

    def pay_for(self, units: int) -> int:
        paid = 0
        for start, pay in self.steps:
            if units >= start:
                paid = pay
        return paid


@dataclass(frozen=True)
class VisitChallenge:
    """A challenge: at least ``visits`` days in the period on which the member's
    qualifying spend (that day's receipts, less their refunds) reaches
    ``min_visit_minor`` earn ``pay`` into the wallet (5 visits of 50.00 in a month:
    100 points)."""

    id: str
    period: Period
    wallet: str
    visits: int
    min_visit_minor: int
    pay: int


PeriodSettlement = PeriodPercent | PeriodSteps | VisitChallenge
Settlement = PeriodSettlement | ThresholdVoucher
KINDS = ("period_percent", "period_steps", "visit_challenge", "threshold_voucher")


def period_key(period: Period, day: date) -> str:
    return f"{day.year:04d}" if period == "calendar_year" else f"{day.year:04d}-{day.month:02d}"


def period_start(period: Period, key: str) -> date:
    return date(int(key[:4]), 1 if period == "calendar_year" else int(key[5:7]), 1)


def next_period(period: Period, key: str) -> str:
    start = period_start(period, key)
    if period == "calendar_year":
        return f"{start.year + 1:04d}"
    return period_key(period, (start + timedelta(days=32)).replace(day=1))


def bounds(period: Period, key: str, timezone: str) -> tuple[datetime, datetime]:
    """The period's first instant and the first instant after it (local midnights)."""
    zone = programme_zone(timezone)
    start = period_start(period, key)
    end = period_start(period, next_period(period, key))
    return (
        datetime(start.year, start.month, start.day, tzinfo=zone),
        datetime(end.year, end.month, end.day, tzinfo=zone),
    )


def settlement(table: Table, wallet_ids: list[str], store_groups: list[str]) -> Settlement:
    """One ``[[settlements]]`` table, checked key by key."""
    settlement_id = table.text("id", pattern=IDENTIFIER)
    kind = table.text("kind", choices=KINDS)
    if kind == "threshold_voucher":
        wallet = _wallet(table, wallet_ids)
        threshold = table.integer("threshold", minimum=1)
        value = table.integer("value_minor", minimum=1)
        terms = _voucher_terms(table)
        table.done()
        return ThresholdVoucher(settlement_id, wallet, threshold, value, terms)
    period = table.text("period", choices=("calendar_month", "calendar_year"))
    if kind == "period_percent":
        pay_as = table.text("pay_as", "wallet", choices=("wallet", "voucher"))
        voucher = None
        if pay_as == "voucher":
            if table.has("wallet"):
                raise table.error("wallet", 'does not go with pay_as = "voucher".')
            voucher = _voucher_terms(table)
        paid_into = _wallet(table, wallet_ids) if pay_as == "wallet" else None
        percent = _percent(table, "percent")
        rates = table.table("by_store_group")
        by_group: list[tuple[str, Fraction]] = []
        if rates is not None:
            for group in list(rates.data):
                if group not in store_groups:
                    raise rates.error(group, "is not a store group of this programme.")
                by_group.append((group, _percent(rates, group)))
            rates.done()
        table.done()
        return PeriodPercent(settlement_id, period, paid_into, percent, tuple(by_group), voucher)
    wallet = _wallet(table, wallet_ids)
    if kind == "visit_challenge":
        visits = table.integer("visits", minimum=1)
        if visits > 31:
            raise table.error("visits", "must be at most 31 (days in a month).")
        least = table.integer("min_visit_minor", 0, minimum=0)
        pay = table.integer("pay", minimum=1)
        table.done()
        return VisitChallenge(settlement_id, period, wallet, visits, least, pay)
    unit = table.integer("unit_minor", 100, minimum=1)
    scope = table.text("scope", choices=("receipt", "period"))
    steps = []
    for index, step in enumerate(table.tables("steps")):
        steps.append((step.integer("from", minimum=0), step.integer("pay", minimum=1)))
        step.done()
        if index and steps[-1][0] <= steps[-2][0]:
            raise step.error("from", "must be more than the step before (steps rise).")
        if index and steps[-1][1] < steps[-2][1]:
            raise step.error("pay", "must be at least the step before's (a higher step pays more).")
    if not steps:
        raise table.error("steps", "must list at least one step: [[settlements.steps]].")
    table.done()
    return PeriodSteps(settlement_id, period, wallet, unit, scope, tuple(steps))


def _wallet(table: Table, wallet_ids: list[str]) -> str:
    wallet: str = table.text("wallet", pattern=IDENTIFIER)
    if wallet not in wallet_ids:
        options = ", ".join(wallet_ids) or "none"
        raise table.error("wallet", f"{wallet!r} is not a wallet of this programme ({options}).")
    return wallet


def _voucher_terms(table: Table) -> VoucherTerms:
    days = table.integer("valid_days", minimum=1)
    if days > MAX_VOUCHER_DAYS:
        raise table.error("valid_days", f"must be at most {MAX_VOUCHER_DAYS}.")
    return VoucherTerms(days, table.integer("min_spend_minor", 0))


def _percent(table: Table, key: str) -> Fraction:
    value: Fraction = table.decimal(key, minimum=Fraction(0))
    if value > 100:
        raise table.error(key, f"must be at most 100, not {value}.")
    return value


def period_conflict(
    earlier: Iterable[Sequence[Settlement]], new: Sequence[Settlement]
) -> str | None:
    """Why settlements ``new`` cannot follow versions with the settlements ``earlier``:
    a settlement id that changes its period would pay the same spend twice (its
    months, then its year); one that turns from a period payout into a threshold
    conversion or back would mix two kinds of record under one id."""
    known = {s.id: _period_of(s) for settlements in earlier for s in settlements}
    for settlement in new:
        if settlement.id not in known:
            continue
        before, now = known[settlement.id], _period_of(settlement)
        if (before is None) != (now is None):
            return f"settlement {settlement.id!r} changes its kind; a new kind needs another id"
        if before is not None and now is not None and before != now:
            return (
                f"settlement {settlement.id!r} is paid per {before.removeprefix('calendar_')}; "
                f"one paid per {now.removeprefix('calendar_')} needs another id"
            )
    return None


def _period_of(settlement: Settlement) -> Period | None:
    return None if isinstance(settlement, ThresholdVoucher) else settlement.period
