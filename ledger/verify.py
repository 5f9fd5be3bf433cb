"""``pos-ledger verify``: recompute what the ledger holds and report any difference.

Checks, in one snapshot:

* every member's accounts equal its opening points plus the postings of the events
  applied to it, and every event belongs to a member that exists;
* every lot, and each member's soonest expiry, is what replaying every event from
  the opening points in the ledger's order gives (:mod:`ledger.lot_keeping`), and so
  are the tier counts and grants (:mod:`ledger.tier_keeping`), and every paid period
  settlement is what the events it counted give (:mod:`ledger.period_settling`);
* every terminal's stored events form an unbroken chain 1..n (each hash matches its
  content, each ``prev_hash`` the previous hash) and the terminal's recorded high
  water and last hash are that chain's end.

Stream stops the ledger answered at push time (gaps, forks, conflicts, malformed
events) are listed too, for information: they were refused, so they do not make the
stored data wrong.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from ledger import programmes
from ledger.db import Database, Tx
from ledger.instants import instant
from ledger.lot_keeping import LotKeeper, day_text
from ledger.members import POINTS, decode_accounts
from ledger.period_settling import check_runs
from ledger.tier_keeping import TierKeeper
from loyalty.errors import ChainBroken
from loyalty.events import GENESIS_HASH, Event, verify_chain
from loyalty.lots import WalletLots
from loyalty.programme.model import is_wallet_account
from loyalty.tier_metrics import SaleMemory


@dataclass
class VerifyReport:
    members: int = 0
    events: int = 0
    terminals: int = 0
    differences: list[str] = field(default_factory=list)
    stops: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences


def verify(db: Database) -> VerifyReport:
    report = VerifyReport()
    with db.snapshot() as tx:
        _check_balances(tx, report)
        _check_lots(tx, report)
        _check_chains(tx, report)
        for kind, terminal, seq, detail in tx.query(
            "SELECT kind, terminal_id, seq, detail FROM anomalies "
            "WHERE kind IN ('gap', 'fork', 'conflict', 'malformed') ORDER BY terminal_id, seq"
        ):
            report.stops.append(f"terminal {terminal} event {seq}: {kind}: {detail}")
    return report


def _check_balances(tx: Tx, report: VerifyReport) -> None:
    expected: dict[str, dict[str, int]] = {}
    counts: dict[str, int] = {}
    for member_id, postings in tx.query("SELECT member_id, postings FROM events"):
        totals = expected.setdefault(str(member_id), {})
        counts[str(member_id)] = counts.get(str(member_id), 0) + 1
        for account, amount in json.loads(postings).items():
            totals[account] = totals.get(account, 0) + int(amount)
    known = set()
    for member_id, card, opening, accounts in tx.query(
        "SELECT member_id, card, opening_balance, accounts FROM members ORDER BY member_id"
    ):
        member_id = str(member_id)
        known.add(member_id)
        report.members += 1
        report.events += counts.get(member_id, 0)
        want = dict(expected.get(member_id, {}))
        want[POINTS] = want.get(POINTS, 0) + int(opening)
        want = {k: v for k, v in want.items() if v}
        have = decode_accounts(accounts)
        if want != have:
            report.differences.append(
                f"member {member_id} (card {card}): accounts {have}, but opening points "
                f"{opening} plus {counts.get(member_id, 0)} events give {want}"
            )
    orphans = sum(n for m, n in counts.items() if m not in known)
    if orphans:
        report.differences.append(f"{orphans} events belong to no member")


def _check_lots(tx: Tx, report: VerifyReport) -> None:
    """Every lot and each member's soonest expiry, as replaying every event from the
    opening points in the ledger's order gives them. A wallet without lot rows has
    the lots its balance implies (one that never expires: opening points, or a
    balance from before lots were kept)."""
    versions = programmes.published(tx).versions
    keeper = LotKeeper(versions)
    tiers = TierKeeper(versions)
    tiers.load_join_dates(tx)
    sales = SaleMemory(
        {str(r[0]) for r in tx.query("SELECT DISTINCT refers_to FROM events WHERE kind = 'refund'")}
    )
    accounts = {
        str(m): ({POINTS: int(opening)} if int(opening) else {})
        for m, opening in tx.query("SELECT member_id, opening_balance FROM members")
    }
    times: dict[str, datetime] = {}
    for event_id, document, member_id, postings, business_at, refers_to in tx.query(
        "SELECT event_id, document, member_id, postings, business_at, refers_to FROM events "
        "ORDER BY ledger_seq"
    ):
        held = accounts.setdefault(str(member_id), {})
        moved = {str(k): int(v) for k, v in json.loads(postings).items()}
        at = times[str(event_id)] = instant(str(business_at))
        content = json.loads(document)
        keeper.apply(str(member_id), held, content, moved, at)
        sale = sales.refund(content, moved) if content["kind"] == "refund" else None
        counted_at = times.get(str(refers_to), at)
        tiers.apply(str(member_id), content, moved, at, counted_at, "", sale)
        sales.remember(content, moved)
        for account, amount in moved.items():
            held[account] = held.get(account, 0) + amount
    _compare_tiers(tx, tiers, report)
    report.differences += check_runs(tx, versions)
    stored: dict[tuple[str, str], dict[str, int]] = {}
    for member_id, wallet, last_day, remaining in tx.query(
        "SELECT member_id, wallet, last_day, remaining FROM lots"
    ):
        held = stored.setdefault((str(member_id), str(wallet)), {})
        if int(remaining):
            held[str(last_day)] = int(remaining)
    for member_id, stored_accounts in tx.query("SELECT member_id, accounts FROM members"):
        for wallet, balance in decode_accounts(stored_accounts).items():
            if is_wallet_account(wallet) and (str(member_id), wallet) not in stored:
                implied = WalletLots.of_balance(balance)  # as the push reads a wallet
                stored[(str(member_id), wallet)] = {day_text(d): v for d, v in implied.lots.items()}
    for member_id, balances in accounts.items():
        for wallet, balance in balances.items():
            if is_wallet_account(wallet):
                keeper.lots_of(member_id, wallet, balance)  # untouched: as its balance implies
    replayed = {
        key: {day_text(d): v for d, v in lots.lots.items()} for key, lots in keeper.wallets.items()
    }
    for key in sorted(set(stored) | set(replayed)):
        if stored.get(key, {}) != replayed.get(key, {}):
            report.differences.append(
                f"member {key[0]} wallet {key[1]}: lots {stored.get(key, {})}, but replaying "
                f"the events gives {replayed.get(key, {})}"
            )
    for member_id, expiring in tx.query("SELECT member_id, expiring FROM members"):
        want = keeper.next_expiry(str(member_id))
        if json.loads(expiring) != want:
            report.differences.append(
                f"member {member_id}: shows {json.loads(expiring)} expiring, but its lots "
                f"give {want}"
            )


def _compare_tiers(tx: Tx, replayed: TierKeeper, report: VerifyReport) -> None:
    """Tier counts and grants as stored against those the replay made."""
    stored = TierKeeper(replayed.versions)
    stored.load(tx, [str(r[0]) for r in tx.query("SELECT member_id FROM members")])
    for member_id in sorted(set(stored.states) | set(replayed.states)):
        have, want = stored.state(member_id), replayed.state(member_id)
        if have != want:
            report.differences.append(
                f"member {member_id}: tier counts {have.counts} and grants "
                f"{sorted(have.grants)}, but replaying the events gives {want.counts} and "
                f"{sorted(want.grants)}"
            )


def _check_chains(tx: Tx, report: VerifyReport) -> None:
    state = {
        str(t): (int(hw), str(h))
        for t, hw, h in tx.query("SELECT terminal_id, high_water, last_hash FROM terminal_state")
    }
    terminals = [str(r[0]) for r in tx.query("SELECT DISTINCT terminal_id FROM events")]
    for terminal in sorted(set(terminals) | set(state)):
        report.terminals += 1
        rows = tx.query(
            "SELECT document, hash FROM events WHERE terminal_id = ? ORDER BY seq", (terminal,)
        )
        events = [Event(json.loads(document), str(digest)) for document, digest in rows]
        try:
            verify_chain(events)
        except ChainBroken as exc:
            report.differences.append(exc.message)
        end = (events[-1].seq, events[-1].hash) if events else (0, GENESIS_HASH)
        recorded = state.get(terminal, (0, GENESIS_HASH))
        if recorded != end:
            report.differences.append(
                f"Terminal {terminal}: recorded high water {recorded[0]}, but its stored "
                f"events end at {end[0]}" + ("" if recorded[0] != end[0] else " with another hash")
            )
