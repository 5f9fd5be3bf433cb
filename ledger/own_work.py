"""The ledger's own events, applied: after a push, and by ``settle``.

Whatever the ledger appends of its own (:mod:`ledger.own_events`) is applied to its
members' accounts with the same :meth:`ledger.accounts.Accounts.apply` as a till's
event, right after it is appended, and then the members it touched are written with
what they see of their accounts. A member whose wallet reaches a voucher threshold
through the ledger's own event (a dividend paid into points) is converted in the
same transaction (:mod:`ledger.conversions`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from ledger import programmes
from ledger.accounts import Accounts
from ledger.accruals import paid_periods
from ledger.conversions import conversions_due
from ledger.db import Tx
from ledger.locking import member_keys
from ledger.member_book import MemberBook, load_members_by_id
from ledger.own_events import OwnEvent, append_own_events
from ledger.tier_keeping import settled_as_of

MakeEvents = Callable[[Accounts, MemberBook], list[OwnEvent]]


def apply_own_events(tx: Tx, accounts: Accounts, own: list[OwnEvent]) -> None:
    """Append the ledger's own events after everything applied so far, and apply them
    to their members' accounts."""
    if not own:
        return
    for event, item in zip(append_own_events(tx, own), own, strict=True):
        accounts.apply(item.member, event.content, event.postings, item.at.astimezone(UTC))


def finish(tx: Tx, accounts: Accounts, book: MemberBook) -> None:
    """Write the accounts and the members a transaction changed, with what the members
    see of them (soonest expiry, tier progress, dividend accrued)."""
    write_accounts(tx, accounts, book)
    book.write(tx)


def write_accounts(tx: Tx, accounts: Accounts, book: MemberBook) -> None:
    """:func:`finish` but the members' rows, which take change numbers: a push writes
    them last, so that it holds the ``changes`` counter only from there to its commit
    (:mod:`ledger.db`)."""
    others = sorted({a.member_id for a in accounts.anomalies if a.member_id} - set(book.by_id))
    if others:  # an overuse found on another member's earlier event
        tx.lock_keys(member_keys(others))  # out of the usual order: see ledger.locking
        flagged = load_members_by_id(tx, others)
        for anomaly in accounts.anomalies:
            found = flagged.by_id.get(anomaly.member_id or "")
            if found is not None and anomaly.kind not in found.reasons:
                found.reasons.add(anomaly.kind)
                found.changed = True
        for member in flagged.by_id.values():
            book.add(member)
    paid = paid_periods(tx)
    for member in book.by_id.values():
        if member.member_id in accounts.touched:
            accounts.refresh(member, paid)
    accounts.write(tx)


def apply_ledger_events(tx: Tx, member_ids: Sequence[str], make: MakeEvents, now: datetime) -> int:
    """Load these members, append and apply the events ``make`` decides for them
    (given their accounts), convert wallets that reached a voucher threshold, and
    write it all; how many events ``make`` made."""
    published = programmes.published(tx)
    book = load_members_by_id(tx, list(member_ids))
    accounts = Accounts(published.versions, published.by_hash, settled_as_of(tx))
    accounts.load(tx, book.by_id.values(), [])
    own = make(accounts, book)
    apply_own_events(tx, accounts, own)
    touched = [m for m in book.by_id.values() if m.member_id in accounts.touched]
    apply_own_events(tx, accounts, conversions_due(published.versions, touched, now))
    finish(tx, accounts, book)
    return len(own)
