"""Period settlements at the ledger: a member dividend, a monthly bonus by steps, a
challenge.

``pos-ledger settle --as-of DATE`` pays every period of every periodic
``[[settlements]]`` table that ended before DATE and was not paid yet: for each
member it pays something, one ``settlement`` event in the ledger's own chain posts
the payout into the settlement's wallet (its lots and expiry as for any earning) or
issues it as a voucher, and ``settlement_runs`` records that the period is paid and
up to which event of the ledger's order it counted (``last_seq``).

What a period counts (:func:`payouts`): each sale whose business time falls in it,
with its qualifying spend and its store, and every refund of such a sale, whatever
day the refund was made. The programme is the version in force at the period's last
instant.

A period already paid is settled again for the members with events counted in it
that the ledger applied after its last run (an offline till's late sale, a refund
that undoes a challenge's visit): each gets a ``settlement`` event for the
difference between what the period now gives and what was paid (negative takes a
payout back; a voucher once issued is not taken back). Running settle twice appends
nothing the second time. ``verify`` recomputes every payment from the events each
run counted.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ledger import programmes
from ledger.accounts import Accounts
from ledger.accruals import refresh_accrued
from ledger.db import Database, Tx
from ledger.instants import instant
from ledger.member_book import MemberBook, WorkingMember
from ledger.own_events import OwnEvent
from ledger.own_work import apply_ledger_events
from ledger.terminals import LEDGER_TERMINAL
from ledger.vouchers import voucher_entry
from loyalty.events import EventKind
from loyalty.programme import Programme, ProgrammeVersion
from loyalty.programme.model import QUALIFYING_SPEND
from loyalty.programme.settlements import (
    Period,
    PeriodPercent,
    PeriodSettlement,
    PeriodSteps,
    ThresholdVoucher,
    bounds,
    next_period,
    period_key,
    period_start,
)
from loyalty.timezones import local_time

LAST_YEAR = 9999
"""Periods are years 1 to 9998 (a date has four digits)."""


@dataclass(frozen=True)
class Payout:
    """What one member gets for one period."""

    member_id: str
    basis_minor: int
    amount: int


@dataclass
class _Receipt:
    """A sale of the period, with its refunds counted."""

    member_id: str
    spend: int
    store: str
    day: date
    """The local business day (a visit day for a challenge)."""


def payouts(
    tx: Tx,
    programme: Programme,
    settlement: PeriodSettlement,
    key: str,
    through_seq: int | None = None,
    member_ids: Sequence[str] | None = None,
) -> list[Payout]:
    """What ``settlement`` gives each member with purchases in period ``key`` (see
    the module doc; 0 included), counting the events the ledger applied up to
    ``through_seq`` when given, for ``member_ids`` when given."""
    start, end = bounds(settlement.period, key, programme.timezone)
    since, until = start.astimezone(UTC).isoformat(), end.astimezone(UTC).isoformat()
    limit = through_seq if through_seq is not None else 2**62
    only, params = "", list[Any]()
    if member_ids is not None:
        if not member_ids:
            return []
        only, params = tx.in_list("s.member_id", sorted(set(member_ids)))
        only = f" AND {only}"
    receipts: dict[str, _Receipt] = {}
    for event_id, member_id, postings, document, business_at in tx.query(
        "SELECT s.event_id, s.member_id, s.postings, s.document, s.business_at FROM events s "
        f"WHERE s.kind = 'sale' AND s.business_at >= ? AND s.business_at < ? "
        f"AND s.ledger_seq <= ?{only}",
        (since, until, limit, *params),
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
        f"AND s.business_at < ? AND r.ledger_seq <= ?{only}",
        (since, until, limit, *params),
    ):
        receipt = receipts.get(str(refers_to))
        if receipt is not None:
            receipt.spend += int(json.loads(postings).get(QUALIFYING_SPEND, 0))
    return _paid(programme, settlement, list(receipts.values()))


def _paid(
    programme: Programme, settlement: PeriodSettlement, receipts: list[_Receipt]
) -> list[Payout]:
    members: dict[str, list[_Receipt]] = {}
    for receipt in receipts:
        members.setdefault(receipt.member_id, []).append(receipt)
    found = []
    for member_id, theirs in sorted(members.items()):
        basis = sum(r.spend for r in theirs)
        if isinstance(settlement, PeriodPercent):
            at_rates: dict[str, int] = {}
            for r in theirs:
                rate = str(settlement.rate_for(programme.groups_of(r.store)))
                at_rates[rate] = at_rates.get(rate, 0) + r.spend
            amount = PeriodPercent.payout(programme.rounding, at_rates)
        elif isinstance(settlement, PeriodSteps):
            amount = settlement.pay_for(_units(settlement, [r.spend for r in theirs]))
        else:
            by_day: dict[date, int] = {}
            for r in theirs:
                by_day[r.day] = by_day.get(r.day, 0) + r.spend
            visits = sum(1 for spend in by_day.values() if spend >= settlement.min_visit_minor)
            amount = settlement.pay if visits >= settlement.visits else 0
        found.append(Payout(member_id, basis, max(0, amount)))
    return found


def _units(settlement: PeriodSteps, spent: list[int]) -> int:
    if settlement.scope == "receipt":
        return sum(max(0, s) // settlement.unit_minor for s in spent)
    return max(0, sum(spent)) // settlement.unit_minor


def settle_periods(db: Database, as_of: date) -> tuple[int, dict[str, int]]:
    """Pay every period ended before ``as_of`` and not paid yet, and settle again what
    changed in periods already paid; (events, paid per wallet or ``voucher``)."""
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
            found = _definition(versions, settlement_id, period, key)
            if found is not None:
                count, run_paid = _pay(db, *found, key, as_of)
                events += count
                for what, amount in run_paid.items():
                    paid[what] = paid.get(what, 0) + amount
            key = next_period(period, key)
    return events, paid


def _definition(
    versions: Sequence[ProgrammeVersion], settlement_id: str, period: Period, key: str
) -> tuple[ProgrammeVersion, PeriodSettlement] | None:
    """The settlement as the version in force at the period's end defines it."""
    version = _version_for(versions, period, key)
    if version is None:
        return None
    for settlement in version.programme.settlements:
        if (
            settlement.id == settlement_id
            and not isinstance(settlement, ThresholdVoucher)
            and settlement.period == period
        ):
            return version, settlement
    return None


def _settlements(versions: Sequence[ProgrammeVersion]) -> list[tuple[str, Period]]:
    found: dict[tuple[str, Period], None] = {}
    for version in versions:
        for settlement in version.programme.settlements:
            if not isinstance(settlement, ThresholdVoucher):
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


def paid_so_far(
    tx: Tx, settlement_id: str, key: str, member_ids: Sequence[str] | None = None
) -> dict[str, int]:
    """What the ``settlement`` events of a period gave each member: wallet units, or
    the value of the vouchers they issued."""
    rows = (
        tx.query(
            "SELECT member_id, postings, document FROM events WHERE kind = 'settlement' "
            "AND terminal_id = ?",
            (LEDGER_TERMINAL,),
        )
        if member_ids is None
        else _settlement_rows(tx, member_ids)
    )
    paid: dict[str, int] = {}
    for member_id, postings, document in rows:
        content = json.loads(document)
        ref = content["settlement"]
        if (ref["id"], ref.get("period")) != (settlement_id, key):
            continue
        amount = sum(int(v) for v in json.loads(postings).values())
        amount += sum(int(v["value_minor"]) for v in content.get("vouchers_issued", []))
        paid[str(member_id)] = paid.get(str(member_id), 0) + amount
    return paid


def _settlement_rows(tx: Tx, member_ids: Sequence[str]) -> list[Any]:
    if not member_ids:
        return []
    condition, params = tx.in_list("member_id", sorted(set(member_ids)))
    return tx.query(
        "SELECT member_id, postings, document FROM events WHERE kind = 'settlement' "
        f"AND {condition}",
        params,
    )


PAY_CHUNK = 1000
"""Members paid per write transaction: pushes wait for one chunk, never a whole run."""


def _pay(
    db: Database, version: ProgrammeVersion, settlement: PeriodSettlement, key: str, as_of: date
) -> tuple[int, dict[str, int]]:
    """Pay one period of one settlement: everyone if it was never paid, else the
    members with events applied since; (events, paid per wallet or ``voucher``).

    What is due is read from one snapshot, through the ledger's last event then; it
    is paid in chunks of :data:`PAY_CHUNK` members, one write transaction each, each
    member the difference between what is due and what the period's settlement
    events gave them already (so a run cut short pays the rest when run again, and
    nothing twice). The run is recorded last. A voucher paid is issued on the
    period's last day, or on the last day the run settles if that is later (a late
    run or a top-up never issues a voucher that has run out already)."""
    _, end = bounds(settlement.period, key, version.programme.timezone)
    issued_on = max(local_time(end, version.programme.timezone).date(), as_of - timedelta(days=1))
    with db.snapshot() as tx:
        run = tx.one(
            "SELECT last_seq FROM settlement_runs WHERE settlement_id = ? AND period = ?",
            (settlement.id, key),
        )
        counter = tx.one("SELECT value FROM counters WHERE name = 'ledger_seq'")
        through = int(counter[0]) if counter else 0
        if run is None:
            due = payouts(tx, version.programme, settlement, key, through)
        else:
            since = int(run[0])
            if since >= through:
                return 0, {}
            changed = _members_with_events_since(tx, version.programme, settlement, key, since)
            due = payouts(tx, version.programme, settlement, key, through, changed)
            due += [Payout(m, 0, 0) for m in sorted(set(changed) - {p.member_id for p in due})]
    count, total, members = 0, 0, 0
    for start in range(0, len(due), PAY_CHUNK):
        events, paid, paid_members = _pay_chunk(
            db, version, settlement, key, due[start : start + PAY_CHUNK], end, issued_on
        )
        count, total, members = count + events, total + paid, members + paid_members
    with db.write() as tx:  # another run of this period may have ended meanwhile
        recorded = tx.one(
            "SELECT last_seq FROM settlement_runs WHERE settlement_id = ? AND period = ?",
            (settlement.id, key),
        )
        if recorded is None:
            tx.execute(
                "INSERT INTO settlement_runs (settlement_id, period, first_seq, members, paid, "
                "last_seq) VALUES (?, ?, ?, ?, ?, ?)",
                (settlement.id, key, through + 1, members, total, through),
            )
        else:
            tx.execute(
                "UPDATE settlement_runs SET last_seq = ?, members = members + ?, "
                "paid = paid + ? WHERE settlement_id = ? AND period = ?",
                (max(through, int(recorded[0])), members, total, settlement.id, key),
            )
        if run is None:
            refresh_accrued(tx, settlement.id, key)  # paid: no longer accrued for anyone
    return count, ({settlement.wallet or "voucher": total} if members else {})


def _pay_chunk(
    db: Database,
    version: ProgrammeVersion,
    settlement: PeriodSettlement,
    key: str,
    due: list[Payout],
    end: datetime,
    issued_on: date,
) -> tuple[int, int, int]:
    """Pay ``due`` less what each member was paid already, in one write transaction
    (a voucher is never taken back); (events, amount paid, members paid)."""
    with db.write() as tx:
        before = paid_so_far(tx, settlement.id, key, [p.member_id for p in due])
        owed = [
            Payout(p.member_id, p.basis_minor, p.amount - before.get(p.member_id, 0)) for p in due
        ]
        owed = [p for p in owed if p.amount > 0 or (p.amount < 0 and settlement.wallet is not None)]

        def make(_: Accounts, book: MemberBook) -> list[OwnEvent]:
            return [
                _payout_event(version, settlement, key, p, book.by_id[p.member_id], end, issued_on)
                for p in owed
                if p.member_id in book.by_id
            ]

        count = apply_ledger_events(tx, [p.member_id for p in owed], make, end)
        return count, sum(p.amount for p in owed), len(owed)


def _payout_event(
    version: ProgrammeVersion,
    settlement: PeriodSettlement,
    key: str,
    payout: Payout,
    member: WorkingMember,
    end: datetime,
    issued_on: date,
) -> OwnEvent:
    """The ``settlement`` event paying ``payout`` (a difference when settled again)."""
    fields: dict[str, Any] = {
        "settlement": {"id": settlement.id, "period": key},
        "basis_minor": payout.basis_minor,
        "postings": {},
    }
    if settlement.wallet is not None:
        fields["postings"] = {settlement.wallet: payout.amount}
    elif isinstance(settlement, PeriodPercent) and settlement.voucher is not None:
        fields["vouchers_issued"] = [voucher_entry(payout.amount, settlement.voucher, issued_on)]
    return OwnEvent(
        str(uuid.uuid4()),
        member,
        EventKind.SETTLEMENT,
        fields,
        end,
        version.programme.currency,
    )


def _members_with_events_since(
    tx: Tx, programme: Programme, settlement: PeriodSettlement, key: str, since: int
) -> list[str]:
    """Members with a sale in the period, or a refund of one, that the ledger applied
    after ``since`` in its order."""
    start, end = bounds(settlement.period, key, programme.timezone)
    span = (start.astimezone(UTC).isoformat(), end.astimezone(UTC).isoformat(), since)
    rows = tx.query(
        "SELECT DISTINCT member_id FROM events WHERE kind = 'sale' AND business_at >= ? "
        "AND business_at < ? AND ledger_seq > ?",
        span,
    )
    rows += tx.query(
        "SELECT DISTINCT r.member_id FROM events r JOIN events s ON s.event_id = r.refers_to "
        "WHERE r.kind = 'refund' AND s.kind = 'sale' AND s.business_at >= ? "
        "AND s.business_at < ? AND r.ledger_seq > ?",
        span,
    )
    return sorted({str(r[0]) for r in rows})


def check_runs(tx: Tx, versions: Sequence[ProgrammeVersion]) -> list[str]:
    """``verify``: what every settled period paid each member against what the events
    it counted give (a voucher is never taken back, so one paid as vouchers may have
    paid more than a later refund leaves)."""
    differences = []
    for settlement_id, key, last_seq in tx.query(
        "SELECT settlement_id, period, last_seq FROM settlement_runs ORDER BY settlement_id, period"
    ):
        period: Period = "calendar_year" if len(str(key)) == 4 else "calendar_month"
        found = _definition(versions, str(settlement_id), period, str(key))
        if found is None:
            continue
        version, settlement = found
        want = {
            p.member_id: p.amount
            for p in payouts(tx, version.programme, settlement, str(key), int(last_seq))
        }
        have = paid_so_far(tx, str(settlement_id), str(key))
        for member_id in sorted(set(want) | set(have)):
            paid, due = have.get(member_id, 0), want.get(member_id, 0)
            if paid != due and not (settlement.wallet is None and paid > due):
                differences.append(
                    f"settlement {settlement_id} {key}: member {member_id} was paid {paid}, "
                    f"but the events it counted give {due}"
                )
    return differences
