"""Every account made again from the events alone: what ``verify`` and ``rebuild`` run.

The derived tables — the accounts and rewards, tiers, vouchers, offers held and the
dividend accrued in ``members``; ``lots`` and ``lot_moves``; ``tier_counts`` and
``tier_grants``; ``vouchers``, ``single_uses``, ``cap_awards`` and ``accruals`` — are
a function of the stored events (the tills' and the ledger's own), applied in the
ledger's order with :meth:`ledger.accounts.Accounts.apply`, and of the facts no event
carries: each member's opening points, imported tier, birth date and join date, the
offers assigned, the programme versions, the last settle date, and the anomalies
recorded (a member's ``flag_reasons`` are the kinds of the anomalies about them),
and the merges (an event of a merged member counts for the member kept:
:mod:`ledger.merges`). Voided events (:mod:`ledger.voids`) are passed over.
:func:`replay` applies them all to members reset to those facts, in memory.

What ``settle`` does without an event is done here the same way, as of the last
settle date: vouchers and offers past their last day leave the lists the tills hold,
and a tier whose grant ran out falls.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from ledger import programmes
from ledger.accounts import Accounts
from ledger.accruals import paid_periods
from ledger.db import Tx
from ledger.instants import instant
from ledger.member_book import MemberBook, WorkingMember, load_all_members, merge_map
from ledger.members import POINTS
from ledger.single_uses import SingleUses
from ledger.tier_keeping import settled_as_of
from loyalty.tier_metrics import SaleMemory

BATCH = 5000
"""Events read per query."""


@dataclass
class Replayed:
    """The accounts of every member as the events give them."""

    accounts: Accounts
    book: MemberBook
    events: int


def replay(tx: Tx) -> Replayed:
    """Apply every stored event, in the ledger's order, to every member reset to the
    facts no event carries (see the module doc)."""
    published = programmes.published(tx)
    settled = settled_as_of(tx)
    accounts = Accounts(published.versions, published.by_hash, settled)
    book = load_all_members(tx)
    merged = merge_map(tx)
    reasons = _reasons(tx, merged)
    for member in book.by_id.values():
        _reset(member, reasons.get(member.member_id, set()))
    accounts.offers.load_members(tx, sorted(book.by_id))
    for member_id in accounts.offers.by_member:
        if member_id in book.by_id:
            book.by_id[member_id].offers = accounts.offers.held(member_id, SingleUses())
    accounts.tiers.load_join_dates(tx)
    sales = SaleMemory(
        {str(r[0]) for r in tx.query("SELECT DISTINCT refers_to FROM events WHERE kind = 'refund'")}
    )
    count = 0
    for member_id, content, postings, business_at in _events(tx):
        member = book.by_id[merged.get(member_id, member_id)]
        refunded = sales.refund(content, postings) if content["kind"] == "refund" else None
        accounts.apply(member, content, postings, instant(business_at), refunded)
        sales.remember(content, postings)
        count += 1
    _as_of_settle(accounts, book)
    paid = paid_periods(tx)
    for member in book.by_id.values():
        accounts.refresh(member, paid)
    return Replayed(accounts, book, count)


def _reset(member: WorkingMember, reasons: set[str]) -> None:
    """The member before any event: opening points and the imported tier."""
    member.accounts = {POINTS: member.opening_balance} if member.opening_balance else {}
    member.rewards = []
    member.tier = member.base_tier
    member.reasons = set(reasons)
    member.expiring, member.progress, member.accrued = [], None, []
    member.birthday_claimed = 0
    member.vouchers, member.offers = [], []


def _reasons(tx: Tx, merged: dict[str, str]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for member_id, kind in tx.query(
        "SELECT DISTINCT member_id, kind FROM anomalies WHERE member_id IS NOT NULL"
    ):
        found.setdefault(merged.get(str(member_id), str(member_id)), set()).add(str(kind))
    return found


def _events(tx: Tx) -> Iterator[tuple[str, dict[str, object], dict[str, int], str]]:
    """Every stored event in the ledger's order, read in batches; its member, content
    and postings."""
    after = 0
    while True:
        rows = tx.query(
            "SELECT ledger_seq, member_id, document, postings, business_at FROM events "
            "WHERE ledger_seq > ? AND kind <> 'voided' ORDER BY ledger_seq LIMIT ?",
            (after, BATCH),
        )
        for _, member_id, document, postings, business_at in rows:
            moved = {str(k): int(v) for k, v in json.loads(postings).items()}
            yield str(member_id), json.loads(document), moved, str(business_at)
        if len(rows) < BATCH:
            return
        after = int(rows[-1][0])


def _as_of_settle(accounts: Accounts, book: MemberBook) -> None:
    """What the last settle run did without events: vouchers and offers past their
    last day leave the held lists. (A tier whose grant ran out by then is already
    lower: the replay's tier keeper evaluates every tier on the settle date at the
    earliest, as the push after a settle run does.)"""
    settled = accounts.settled
    if settled is None:
        return
    day = settled.isoformat()
    for member in book.by_id.values():
        member.vouchers = [v for v in member.vouchers if str(v["valid_until"]) >= day]
        member.offers = accounts.offers.held(member.member_id, accounts.uses, since=day)
