"""``pos-ledger verify``: recompute what the ledger holds and report any difference.

Checks, in one snapshot:

* every member's accounts equal its opening points plus the postings of the events
  applied to it, and every event belongs to a member that exists;
* every derived table — lots and their moves, tier counts and grants, vouchers,
  uses of vouchers and offers, capped awards, dividend accruals, and each member's
  accounts, rewards, tier, soonest expiry, vouchers, offers and flags — is what
  replaying every event in the ledger's order gives (:mod:`ledger.replay`,
  :mod:`ledger.rebuild`), and every paid period settlement is what the events it
  counted give (:mod:`ledger.period_settling`);
* every terminal's stored events form an unbroken chain 1..n (each hash matches its
  content, each ``prev_hash`` the previous hash) and the terminal's recorded high
  water and last hash are that chain's end.

An event of a merged member counts for the member kept (:mod:`ledger.merges`); a
voided event (:mod:`ledger.voids`) is part of its terminal's chain but of no
member's accounts.

Stream stops the ledger answered at push time (gaps, forks, conflicts, malformed
events) are listed too, for information: they were refused, so they do not make the
stored data wrong.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from ledger.corrections import CAP_REFUND
from ledger.db import Database, Tx
from ledger.member_book import merge_map
from ledger.members import POINTS, decode_accounts
from ledger.period_settling import check_runs
from ledger.rebuild import differences, replayed_tables, stored_tables
from ledger.replay import replay
from ledger.terminals import LEDGER_TERMINAL
from loyalty.errors import ChainBroken
from loyalty.events import GENESIS_HASH, Event, verify_chain


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
        _check_replay(tx, report)
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
    merged = merge_map(tx)
    for stored_id, postings in tx.query(
        "SELECT member_id, postings FROM events WHERE kind <> 'voided'"
    ):
        member_id = merged.get(str(stored_id), str(stored_id))
        totals = expected.setdefault(member_id, {})
        counts[member_id] = counts.get(member_id, 0) + 1
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


def _check_replay(tx: Tx, report: VerifyReport) -> None:
    """Every derived table as replaying every event gives it (:mod:`ledger.rebuild`),
    every paid period as the events it counted give it, no award left over its cap
    without the correction that reverses it, and each capped bonus a refund took
    twice given back once."""
    replayed = replay(tx)
    report.differences += differences(stored_tables(tx), replayed_tables(replayed))
    report.differences += check_runs(tx, replayed.accounts.versions)
    for member_id, cap, event_id in replayed.accounts.caps.pending():
        report.differences.append(
            f"member {member_id}: award {event_id} is over the cap {cap}, but no correction "
            "reversed it"
        )
    given = Counter(
        str(json.loads(str(document)).get("refers_to"))
        for (document,) in tx.query(
            "SELECT document FROM events WHERE kind = 'correction' AND terminal_id = ?",
            (LEDGER_TERMINAL,),
        )
        if json.loads(str(document)).get("reason") == CAP_REFUND
    )
    due = Counter(str(d.event["event_id"]) for d in replayed.accounts.cap_returns)
    for refund_id in sorted(set(given) | set(due)):
        if given[refund_id] != due[refund_id]:
            report.differences.append(
                f"refund {refund_id}: {due[refund_id]} capped bonus give-back(s) due, "
                f"{given[refund_id]} recorded"
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
