"""``pos-ledger settle --as-of DATE``: the ledger's own work between receipts.

The parts, in order:

* lots lengthened by a version whose wallet expiry is extend-only
  (:mod:`ledger.extensions`), before anything expires;
* period settlements (:mod:`ledger.period_settling`): every period of a member
  dividend, monthly bonus or challenge that ended before DATE and was not paid yet
  is paid, with one ``settlement`` event per member, and periods already paid are
  settled again for the members whose events in them arrived since;
* expiry: every lot whose last day is before DATE is emptied, with one ``expire``
  event per member;
* vouchers and offers whose last day is before DATE leave the lists the tills hold;
* tiers: a member whose tier came from a grant no longer held on DATE falls to the
  tier still held then (:func:`ledger.tier_keeping.lower_expired`).

The events are the ledger's own (:mod:`ledger.own_events`), in the same ``events``
table as the tills', so the changes feed carries the members' new state and
``pos-ledger verify`` replays them like any other. Running it again for the same
date finds nothing left to do and appends nothing. Members are expired in chunks of
:data:`CHUNK`, each in its own write transaction, so tills keep pushing while a
large sweep runs; a sweep that stops half way is finished by running it again.
"""

from __future__ import annotations

import sys
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from ledger import programmes
from ledger.accounts import Accounts
from ledger.db import Database
from ledger.extensions import extend_lots
from ledger.lot_keeping import day_text
from ledger.member_book import MemberBook, load_members_by_id
from ledger.offers import refresh_held_offers
from ledger.own_events import OwnEvent
from ledger.own_work import apply_ledger_events
from ledger.period_settling import settle_periods
from ledger.quiet_tills import DEFAULT_QUIET_HOURS, flag_quiet_tills
from ledger.tier_keeping import lower_expired, record_settled, settled_as_of
from loyalty.events import EventKind
from loyalty.programme import ProgrammeVersion, version_in_force
from loyalty.timezones import local_time, programme_zone

CHUNK = 500
"""Members settled per write transaction."""


@dataclass
class SettleReport:
    """What one ``settle`` run appended."""

    as_of: date
    events: int = 0
    members: int = 0
    expired: dict[str, int] = field(default_factory=dict)
    """Units expired per wallet."""
    tiers_lowered: int = 0
    """Members whose tier ran out and fell to the one they still hold."""
    settlement_events: int = 0
    """``settlement`` events: period settlements paid to members."""
    paid: dict[str, int] = field(default_factory=dict)
    """Units paid per wallet by period settlements."""
    extended: int = 0
    """``extend`` events: members whose lots an extend-only expiry rule lengthened."""


def settle_due(db: Database, now: datetime) -> SettleReport:
    """Settle as of today in the time zone of the version in force at ``now``: lots
    whose last day was yesterday or before expire, today's last day still counts."""
    with db.snapshot() as tx:
        versions = programmes.published(tx).versions
    version = version_in_force(versions, now)
    zone = version.programme.timezone if version is not None else "UTC"
    return settle(db, local_time(now, zone).date())


class SettleSchedule(threading.Thread):
    """``pos-ledger serve --settle-every SECONDS``: :func:`settle_due` in a background
    thread every ``every`` seconds (first after one interval) until :meth:`stop`, then
    the quiet tills (:func:`ledger.quiet_tills.flag_quiet_tills`). A run that fails is
    reported on stderr and tried again at the next interval."""

    def __init__(
        self,
        db: Database,
        every: float,
        clock: Callable[[], datetime],
        quiet_hours: int = DEFAULT_QUIET_HOURS,
    ) -> None:
        super().__init__(name="settle-schedule", daemon=True)
        self.db, self.every, self.clock, self.quiet_hours = db, every, clock, quiet_hours
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(self.every):
            try:
                report = settle_due(self.db, self.clock())
                with self.db.write() as tx:  # and the tills gone quiet meanwhile
                    flag_quiet_tills(tx, self.clock(), self.quiet_hours)
            except Exception as exc:  # keep serving; say why it failed
                print(f"pos-ledger: scheduled settle failed: {exc}", file=sys.stderr)
                continue
            if report.events or report.tiers_lowered or report.settlement_events:
                print(
                    f"pos-ledger: settled as of {report.as_of}: "
                    f"{report.settlement_events} settlement events, {report.events} expire "
                    f"events, {report.tiers_lowered} tiers lowered",
                    file=sys.stderr,
                )

    def stop(self) -> None:
        self._stopped.set()
        self.join(timeout=30)


def settle(db: Database, as_of: date) -> SettleReport:
    """Run every settlement due by ``as_of`` (see the module doc)."""
    report = SettleReport(as_of)
    report.settlement_events, report.paid = settle_periods(db, as_of)
    report.extended = extend_lots(db, as_of)
    after: str | None = ""
    while after is not None:
        after = _expire_chunk(db, as_of, report, after)
    _lapse_vouchers_and_offers(db, as_of)
    with db.write() as tx:
        record_settled(tx, as_of)
    after = ""
    while after is not None:
        with db.write() as tx:
            lowered, after = lower_expired(tx, programmes.published(tx).versions, as_of, after)
        report.tiers_lowered += len(lowered)
    return report


def _expire_chunk(db: Database, as_of: date, report: SettleReport, after: str) -> str | None:
    """Expire the lots of up to :data:`CHUNK` members with ids after ``after`` (walking
    the lots in member order, so each chunk reads only its own members); the last
    member id settled, or None when none was left."""
    with db.write() as tx:
        rows = tx.query(
            "SELECT DISTINCT member_id FROM lots WHERE member_id > ? AND last_day <> '' "
            "AND last_day < ? AND remaining > 0 ORDER BY member_id LIMIT ?",
            (after, as_of.isoformat(), CHUNK),
        )
        member_ids = [str(r[0]) for r in rows]
        if not member_ids:
            return None
        published = programmes.published(tx).versions
        at = _business_time(published, as_of)
        currency = _currency(published, at)

        def make(accounts: Accounts, book: MemberBook) -> list[OwnEvent]:
            events = []
            for member_id in member_ids:
                expired = [
                    {"wallet": wallet, "last_day": day_text(day), "amount": held[day]}
                    for wallet, held in accounts.lots.held(member_id)
                    for day in sorted(d for d in held if d is not None and d < as_of)
                ]
                postings: dict[str, int] = {}
                for lot in expired:
                    wallet, amount = str(lot["wallet"]), int(str(lot["amount"]))
                    postings[wallet] = postings.get(wallet, 0) - amount
                    report.expired[wallet] = report.expired.get(wallet, 0) + amount
                fields = {"postings": postings, "expired": expired}
                member = book.by_id[member_id]
                events.append(
                    OwnEvent(str(uuid.uuid4()), member, EventKind.EXPIRE, fields, at, currency)
                )
            return events

        count = apply_ledger_events(tx, member_ids, make, at)
        report.events += count
        report.members += count
        return member_ids[-1]


def _lapse_vouchers_and_offers(db: Database, as_of: date) -> int:
    """Take vouchers and offers whose last day is before ``as_of`` (and after the last
    settle date) off the lists the members' tills hold; how many members changed."""
    with db.write() as tx:
        since = settled_as_of(tx)
        low = since.isoformat() if since is not None else ""
        day = as_of.isoformat()
        holders = {
            str(r[0])
            for r in tx.query(
                "SELECT DISTINCT member_id FROM vouchers WHERE valid_until < ? "
                "AND valid_until >= ?",
                (day, low),
            )
        }
        book = load_members_by_id(tx, sorted(holders))
        for member in book.by_id.values():
            held = [v for v in member.vouchers if str(v["valid_until"]) >= day]
            if held != member.vouchers:
                member.vouchers, member.changed = held, True
        book.write(tx)
        offered = sorted(
            str(r[0])
            for r in tx.query(
                "SELECT DISTINCT member_id FROM offers WHERE valid_until < ? AND valid_until >= ?",
                (day, low),
            )
        )
        refresh_held_offers(tx, offered, since=day)
        return sum(1 for m in book.by_id.values() if m.changed) + len(offered)


def _business_time(versions: Sequence[ProgrammeVersion], as_of: date) -> datetime:
    """The start of ``as_of`` in the time zone of the version in force that day (UTC
    before any version): the expiry's business time."""
    version = version_in_force(versions, datetime.combine(as_of, time(12), tzinfo=UTC))
    zone = programme_zone(version.programme.timezone if version else "UTC")
    return datetime.combine(as_of, time(0), tzinfo=zone)


def _currency(versions: Sequence[ProgrammeVersion], at: datetime) -> str:
    version = version_in_force(versions, at)
    return version.programme.currency if version else "NOK"
