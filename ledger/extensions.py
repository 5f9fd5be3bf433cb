"""Extend-only expiry: a version that lets points already earned live longer.

A wallet's expiry is computed once, when the points are earned, from the version
in force then, and a later version never shortens it. A version whose wallet expiry
says ``extend_existing = true`` lengthens it: from its start, every lot of that
wallet earned before it and not expired then gets the later of its own last day and
the one the new rule gives the day it was earned (the latest earning into the lot,
from its moves). ``pos-ledger settle`` applies each such version once, before it
expires anything: one ledger ``extend`` event per member lists the lots moved
(``extended``: wallet, old last day, new last day, amount), so the lots replay from
the events like any other. ``meta`` remembers the versions applied.
"""

from __future__ import annotations

import uuid
from datetime import date

from ledger import programmes
from ledger.accounts import Accounts
from ledger.db import Database
from ledger.lot_keeping import day_text, earned_days
from ledger.member_book import MemberBook
from ledger.own_events import OwnEvent
from ledger.own_work import apply_ledger_events
from loyalty.events import EventKind
from loyalty.programme import ProgrammeVersion
from loyalty.programme.model import Wallet
from loyalty.timezones import local_time

CHUNK = 500


def extend_lots(db: Database, as_of: date) -> int:
    """Apply every extend-only rule of a version started by ``as_of`` and not applied
    yet; the number of members whose lots moved."""
    with db.snapshot() as tx:
        versions = programmes.published(tx).versions
        done = {
            str(r[0]) for r in tx.query("SELECT key FROM meta WHERE key LIKE ?", ("extended:%",))
        }
    moved = 0
    for version in versions:
        start = local_time(version.effective_from, version.programme.timezone).date()
        if start > as_of:
            continue
        for wallet in version.programme.wallets:
            key = f"extended:{version.version}:{wallet.id}"
            if wallet.expiry is None or not wallet.expiry.extend_existing or key in done:
                continue
            after: str | None = ""
            while after is not None:
                after, count = _chunk(db, version, wallet, start, after)
                moved += count
            with db.write() as tx:
                tx.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, as_of.isoformat()))
    return moved


def _chunk(
    db: Database, version: ProgrammeVersion, wallet: Wallet, start: date, after: str
) -> tuple[str | None, int]:
    """Lengthen the lots of up to :data:`CHUNK` members after ``after``."""
    expiry = wallet.expiry
    assert expiry is not None
    with db.write() as tx:
        rows = tx.query(
            "SELECT DISTINCT member_id FROM lots WHERE member_id > ? AND wallet = ? "
            "AND last_day <> '' AND last_day >= ? AND remaining > 0 ORDER BY member_id LIMIT ?",
            (after, wallet.id, start.isoformat(), CHUNK),
        )
        member_ids = [str(r[0]) for r in rows]
        if not member_ids:
            return None, 0
        earned = earned_days(tx, member_ids, wallet.id)

        def make(accounts: Accounts, book: MemberBook) -> list[OwnEvent]:
            events = []
            for member_id in member_ids:
                lots = dict(accounts.lots.held(member_id)).get(wallet.id, {})
                extended = []
                for day, amount in sorted(lots.items(), key=lambda item: str(item[0])):
                    if day is None or day < start or amount <= 0:
                        continue
                    on = earned.get((member_id, day_text(day)))
                    later = expiry.last_day(on) if on is not None and on < start else day
                    if later > day:
                        extended.append(
                            {
                                "wallet": wallet.id,
                                "last_day": day_text(day),
                                "to": later.isoformat(),
                                "amount": amount,
                            }
                        )
                if extended:
                    events.append(
                        OwnEvent(
                            str(uuid.uuid4()),
                            book.by_id[member_id],
                            EventKind.EXTEND,
                            {"postings": {}, "extended": extended},
                            version.effective_from,
                            version.programme.currency,
                        )
                    )
            return events

        count = apply_ledger_events(tx, member_ids, make, version.effective_from)
        return member_ids[-1], count
