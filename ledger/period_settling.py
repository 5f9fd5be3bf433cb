"""Period settlements at the ledger: a member dividend, a monthly bonus by steps.

``pos-ledger settle --as-of DATE`` pays every period of every ``[[settlements]]``
table that ended before DATE and was not paid yet: for each member with purchases
in the period, one ``settlement`` event in the ledger's own chain posts the payout
into the settlement's wallet (its lots and expiry as for any earning), and
``settlement_runs`` records that the period is paid, so a second run pays nothing.

What a period counts (:func:`payouts`): each sale whose business time falls in it,
with its qualifying spend and its store, and every refund of such a sale, whatever
day the refund was made. The programme is the version in force at the period's last
instant. A sale of a paid period that reaches the ledger later (an offline till) is
not paid; ``verify`` recomputes each run from the events the ledger held when it ran.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

from ledger import programmes
from ledger.db import Database, Tx
from ledger.instants import instant
from ledger.lot_keeping import LotKeeper
from ledger.member_book import load_members_by_id
from ledger.own_events import OwnEvent, append_own_events
from loyalty.events import EventKind
from loyalty.programme import Programme, ProgrammeVersion
from loyalty.programme.arithmetic import round_ratio
from loyalty.programme.model import QUALIFYING_SPEND
from loyalty.programme.settlements import Period, PeriodPercent, PeriodSteps, Settlement
from loyalty.timezones import local_time, programme_zone

LAST_YEAR = 9999
"""Periods are years 1 to 9998 (a date has four digits)."""


@dataclass(frozen=True)
class Payout:
    """What one member gets for one period."""

    member_id: str
    basis_minor: int
    amount: int


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


@dataclass
class _Receipt:
    """A sale of the period, with its refunds counted."""

    member_id: str
    spend: int
    store: str
    day: date
    """The local business day (a visit day for a challenge)."""


def payouts(
    tx: Tx, programme: Programme, settlement: Settlement, key: str, before_seq: int | None = None
) -> list[Payout]:
    """What ``settlement`` pays each member for period ``key`` (see the module doc),
    counting only events the ledger applied before ``before_seq`` when given."""
    start, end = bounds(settlement.period, key, programme.timezone)
    since, until = start.astimezone(UTC).isoformat(), end.astimezone(UTC).isoformat()
    limit = before_seq if before_seq is not None else 2**62
    receipts: dict[str, _Receipt] = {}
    for event_id, member_id, postings, document, business_at in tx.query(
        "SELECT event_id, member_id, postings, document, business_at FROM events "
        "WHERE kind = 'sale' AND business_at >= ? AND business_at < ? AND ledger_seq < ?",
        (since, until, limit),
    ):
        receipts[str(event_id)] = _Receipt(
            str(member_id),
            int(json.loads(postings).get(QUALIFYING_SPEND, 0)),
            str(json.loads(document).get("store", "")),
            local_time(instant(str(business_at)), programme.timezone).date(),
        )
    for refers_to, postings in tx.query(
        "SELECT r.refers_to, r.postings FROM events r JOIN events s ON s.event_id = r.refers_to "
        "WHERE r.kind = 'refund' AND s.kind = 'sale' AND s.business_at >= ? "
        "AND s.business_at < ? AND r.ledger_seq < ?",
        (since, until, limit),
    ):
        receipt = receipts.get(str(refers_to))
        if receipt is not None:
            receipt.spend += int(json.loads(postings).get(QUALIFYING_SPEND, 0))
    return _paid(programme, settlement, list(receipts.values()))


def _paid(programme: Programme, settlement: Settlement, receipts: list[_Receipt]) -> list[Payout]:
    members: dict[str, list[_Receipt]] = {}
    for receipt in receipts:
        members.setdefault(receipt.member_id, []).append(receipt)
    found = []
    for member_id, theirs in sorted(members.items()):
        basis = sum(r.spend for r in theirs)
        if isinstance(settlement, PeriodPercent):
            exact = sum(
                (r.spend * settlement.rate_for(_groups(programme, r.store)) / 100 for r in theirs),
                Fraction(0),
            )
            amount = round_ratio(exact.numerator, exact.denominator, programme.rounding)
        elif isinstance(settlement, PeriodSteps):
            amount = settlement.pay_for(_units(settlement, [r.spend for r in theirs]))
        else:
            by_day: dict[date, int] = {}
            for r in theirs:
                by_day[r.day] = by_day.get(r.day, 0) + r.spend
            visits = sum(1 for spend in by_day.values() if spend >= settlement.min_visit_minor)
            amount = settlement.pay if visits >= settlement.visits else 0
        if amount > 0:
            found.append(Payout(member_id, basis, amount))
    return found


def _units(settlement: PeriodSteps, spent: list[int]) -> int:
    if settlement.scope == "receipt":
        return sum(max(0, s) // settlement.unit_minor for s in spent)
    return max(0, sum(spent)) // settlement.unit_minor


def _groups(programme: Programme, store: str) -> frozenset[str]:
    return frozenset(g for g, stores in programme.store_groups.items() if store in stores)


def settle_periods(db: Database, as_of: date) -> tuple[int, dict[str, int]]:
    """Pay every period ended before ``as_of`` and not paid yet; (events, paid per
    wallet)."""
    with db.snapshot() as tx:
        versions = programmes.published(tx).versions
        first = tx.one("SELECT MIN(business_at) FROM events WHERE kind = 'sale'")
    if first is None or first[0] is None:
        return 0, {}
    first_day = datetime.fromisoformat(str(first[0])).date() - timedelta(days=1)
    events = 0
    paid: dict[str, int] = {}
    for settlement_id, period in _settlements(versions):
        key = period_key(period, first_day)
        while int(key[:4]) < LAST_YEAR and period_start(period, next_period(period, key)) <= as_of:
            version = _version_for(versions, period, key)
            settlement = None
            if version is not None:
                settlement = next(
                    (s for s in version.programme.settlements if s.id == settlement_id), None
                )
            if version is not None and settlement is not None and settlement.period == period:
                count, wallet_paid = _pay(db, version, settlement, key)
                events += count
                for wallet, amount in wallet_paid.items():
                    paid[wallet] = paid.get(wallet, 0) + amount
            key = next_period(period, key)
    return events, paid


def _settlements(versions: Sequence[ProgrammeVersion]) -> list[tuple[str, Period]]:
    found: dict[tuple[str, Period], None] = {}
    for version in versions:
        for settlement in version.programme.settlements:
            found[(settlement.id, settlement.period)] = None
    return list(found)


def _version_for(
    versions: Sequence[ProgrammeVersion], period: Period, key: str
) -> ProgrammeVersion | None:
    """The version in force at the period's last instant, each version's start and
    the period's end read in that version's own time zone."""
    best: ProgrammeVersion | None = None
    for version in versions:
        _, end = bounds(period, key, version.programme.timezone)
        if version.effective_from < end and (
            best is None
            or (version.effective_from, version.version) > (best.effective_from, best.version)
        ):
            best = version
    return best


def _pay(
    db: Database, version: ProgrammeVersion, settlement: Settlement, key: str
) -> tuple[int, dict[str, int]]:
    """Pay one period of one settlement in one write transaction, unless paid."""
    _, end = bounds(settlement.period, key, version.programme.timezone)
    with db.write() as tx:
        if tx.one(
            "SELECT 1 FROM settlement_runs WHERE settlement_id = ? AND period = ?",
            (settlement.id, key),
        ):
            return 0, {}
        counter = tx.one("SELECT value FROM counters WHERE name = 'ledger_seq'")
        next_seq = int(counter[0]) + 1 if counter else 1
        found = payouts(tx, version.programme, settlement, key)
        book = load_members_by_id(tx, [p.member_id for p in found])
        keeper = LotKeeper(programmes.published(tx).versions)
        keeper.load(tx, [p.member_id for p in found])
        own = [
            OwnEvent(
                str(uuid.uuid4()),
                book.by_id[p.member_id],
                EventKind.SETTLEMENT,
                {
                    "postings": {settlement.wallet: p.amount},
                    "settlement": {"id": settlement.id, "period": key},
                    "basis_minor": p.basis_minor,
                },
            )
            for p in found
            if p.member_id in book.by_id
        ]
        for event, item in zip(
            append_own_events(tx, own, end, version.programme.currency), own, strict=True
        ):
            member = item.member
            keeper.apply(member.member_id, member.accounts, event.content, event.postings, end)
            for wallet, amount in event.postings.items():
                member.accounts[wallet] = member.accounts.get(wallet, 0) + amount
            member.changed = True
            member.expiring = keeper.next_expiry(member.member_id)
        keeper.write(tx)
        book.write(tx)
        total = sum(int(item.fields["postings"][settlement.wallet]) for item in own)
        tx.execute(
            "INSERT INTO settlement_runs (settlement_id, period, first_seq, members, paid) "
            "VALUES (?, ?, ?, ?, ?)",
            (settlement.id, key, next_seq, len(own), total),
        )
        return len(own), ({settlement.wallet: total} if own else {})


def check_runs(tx: Tx, versions: Sequence[ProgrammeVersion]) -> list[str]:
    """``verify``: every paid period's settlement events against the payouts computed
    again from the events the ledger held when it paid them."""
    differences = []
    paid: dict[tuple[str, str], dict[str, int]] = {}
    for member_id, postings, document in tx.query(
        "SELECT member_id, postings, document FROM events WHERE kind = 'settlement'"
    ):
        ref = json.loads(document)["settlement"]
        amount = sum(int(v) for v in json.loads(postings).values())
        paid.setdefault((str(ref["id"]), str(ref["period"])), {})[str(member_id)] = amount
    for settlement_id, key, first_seq in tx.query(
        "SELECT settlement_id, period, first_seq FROM settlement_runs "
        "ORDER BY settlement_id, period"
    ):
        found = None
        for version in versions:
            for settlement in version.programme.settlements:
                if settlement.id == settlement_id:
                    found = (version, settlement)
        if found is None:
            continue
        version = _version_for(versions, found[1].period, str(key)) or found[0]
        settlement = next(
            (s for s in version.programme.settlements if s.id == settlement_id), found[1]
        )
        want = {
            p.member_id: p.amount
            for p in payouts(tx, version.programme, settlement, str(key), int(first_seq))
        }
        have = paid.get((str(settlement_id), str(key)), {})
        if want != have:
            differences.append(
                f"settlement {settlement_id} {key}: paid {have}, but the events it counted "
                f"give {want}"
            )
    return differences
