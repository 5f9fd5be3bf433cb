"""``pos-ledger verify``: recompute what the ledger holds and report any difference.

Checks, in one snapshot:

* every member's balance equals its opening balance plus the points of the events
  applied to it, and every event belongs to a member that exists;
* every terminal's stored events form an unbroken chain 1..n (each hash matches its
  content, each ``prev_hash`` the previous hash) and the terminal's recorded high
  water and last hash are that chain's end.

Stream stops the ledger answered at push time (gaps, forks, conflicts, malformed
events) are listed too, for information: they were refused, so they do not make the
stored data wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ledger.db import Database, Tx
from ledger.service import EVENT_COLUMNS
from loyalty.errors import ChainBroken
from loyalty.events import GENESIS_HASH, Event, verify_chain

_FIELDS = [name.strip() for name in EVENT_COLUMNS.split(",")]


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
        _check_chains(tx, report)
        for kind, terminal, seq, detail in tx.query(
            "SELECT kind, terminal_id, seq, detail FROM anomalies "
            "WHERE kind IN ('gap', 'fork', 'conflict', 'malformed') ORDER BY terminal_id, seq"
        ):
            report.stops.append(f"terminal {terminal} event {seq}: {kind}: {detail}")
    return report


def _check_balances(tx: Tx, report: VerifyReport) -> None:
    rows = tx.query(
        "SELECT m.member_id, m.card, m.opening_balance, m.balance, "
        "COALESCE(SUM(e.points), 0), COUNT(e.event_id) "
        "FROM members m LEFT JOIN events e ON e.member_id = m.member_id "
        "GROUP BY m.member_id, m.card, m.opening_balance, m.balance ORDER BY m.member_id"
    )
    for member_id, card, opening, balance, points, count in rows:
        report.members += 1
        report.events += int(count)
        expected = int(opening) + int(points)
        if expected != int(balance):
            report.differences.append(
                f"member {member_id} (card {card}): balance {balance}, but opening balance "
                f"{opening} plus {count} events gives {expected}"
            )
    orphans = tx.one(
        "SELECT COUNT(*) FROM events e WHERE NOT EXISTS "
        "(SELECT 1 FROM members m WHERE m.member_id = e.member_id)"
    )
    if orphans and int(orphans[0]):
        report.differences.append(f"{orphans[0]} events belong to no member")


def _check_chains(tx: Tx, report: VerifyReport) -> None:
    state = {
        str(t): (int(hw), str(h))
        for t, hw, h in tx.query("SELECT terminal_id, high_water, last_hash FROM terminal_state")
    }
    terminals = [str(r[0]) for r in tx.query("SELECT DISTINCT terminal_id FROM events")]
    for terminal in sorted(set(terminals) | set(state)):
        report.terminals += 1
        rows = tx.query(
            f"SELECT {EVENT_COLUMNS} FROM events WHERE terminal_id = ? ORDER BY seq", (terminal,)
        )
        events = [Event.from_dict(dict(zip(_FIELDS, row, strict=True))) for row in rows]
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
