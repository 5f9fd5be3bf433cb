"""Two members who are one person, merged: every event kept, everything counted once.

``pos-ledger member merge KEEP OTHER`` (cards or member ids) records that OTHER was
merged into KEEP (table ``merges``; ``members.merged_into``). Nothing recorded is
rewritten: every event keeps the member it was applied to. Instead, wherever the
ledger finds an event's member — a push (:func:`ledger.member_book.load_members`),
a refund's sale (:mod:`ledger.sales`), a replay (:mod:`ledger.replay`) and
``verify`` — it resolves the member id through
:func:`ledger.member_book.merge_map`, so OTHER's events count for KEEP. The merge
then replays every derived table
(:func:`ledger.rebuild.rebuild_in`) in its transaction, so OTHER's balances, lots,
tier counts, vouchers and accruals end up with KEEP and ``verify`` finds the tables
as the events give them. The facts no event carries move too: OTHER's opening
points and assigned offers go to KEEP, and KEEP takes OTHER's phone, e-mail and
birth date where it has none.

OTHER's cards are revoked in KEEP's favour (``revoked_cards``, member KEEP): tills
learn it in the feed and refuse them, and events recorded on them, even offline
after the merge, count for KEEP. OTHER is no longer sent to the tills; its open
``duplicate_member`` anomalies with KEEP are resolved, and the merge is written to
the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.audit import record_audit
from ledger.db import Database, Tx
from ledger.errors import AdminError
from ledger.rebuild import rebuild_in
from loyalty.events import utc_now_iso


def find_member(tx: Tx, ref: str) -> tuple[str, str | None]:
    """(member id, merged into) of a member named by id, card or revoked card."""
    row = tx.one("SELECT member_id, merged_into FROM members WHERE member_id = ?", (ref,))
    row = row or tx.one("SELECT member_id, merged_into FROM members WHERE card = ?", (ref,))
    row = row or tx.one(
        "SELECT m.member_id, m.merged_into FROM revoked_cards r "
        "JOIN members m ON m.member_id = r.member_id WHERE r.card = ?",
        (ref,),
    )
    if row is None:
        raise AdminError(f"No member has the id or card {ref}.")
    return str(row[0]), None if row[1] is None else str(row[1])


@dataclass(frozen=True)
class MergeReport:
    keep: str
    other: str
    cards: list[str]
    """OTHER's cards, now leading to KEEP."""
    resolved: int
    """Open duplicate_member anomalies between them, now resolved."""


def merge_members(db: Database, keep_ref: str, other_ref: str, by: str) -> MergeReport:
    """Merge OTHER into KEEP in one write transaction (see the module doc)."""
    with db.write() as tx:
        keep, keep_merged = find_member(tx, keep_ref)
        other, other_merged = find_member(tx, other_ref)
        if keep == other:
            raise AdminError(f"{keep_ref} and {other_ref} are the same member ({keep}).")
        if keep_merged is not None:
            raise AdminError(f"Member {keep} was merged into {keep_merged}; merge into that one.")
        if other_merged is not None:
            raise AdminError(f"Member {other} was already merged into {other_merged}.")
        cards = _move_cards(tx, keep, other)
        _move_facts(tx, keep, other)
        now = utc_now_iso()
        tx.execute("UPDATE merges SET into_id = ? WHERE into_id = ?", (keep, other))
        tx.execute("UPDATE members SET merged_into = ? WHERE merged_into = ?", (keep, other))
        tx.execute(
            "INSERT INTO merges (member_id, into_id, merged_at, merged_by) VALUES (?, ?, ?, ?)",
            (other, keep, now, by),
        )
        tx.execute(
            "UPDATE members SET merged_into = ?, change_no = ? WHERE member_id = ?",
            (keep, tx.allocate("changes", 1), other),
        )
        resolved = _resolve_duplicates(tx, keep, other, by, now)
        rebuild_in(tx)
        record_audit(
            tx, by, "member.merge", keep, {"merged": other, "cards": cards, "resolved": resolved}
        )
        return MergeReport(keep, other, cards, resolved)


def _move_cards(tx: Tx, keep: str, other: str) -> list[str]:
    """OTHER's current and revoked cards lead to KEEP (each a new feed change)."""
    row = tx.one("SELECT card FROM members WHERE member_id = ?", (other,))
    assert row is not None
    revoked = [
        str(r[0])
        for r in tx.query(
            "SELECT card FROM revoked_cards WHERE member_id = ? ORDER BY card", (other,)
        )
    ]
    cards = sorted({str(row[0]), *revoked})
    change = tx.allocate("changes", len(cards))
    now = utc_now_iso()
    for i, card in enumerate(cards):
        if card in revoked:
            tx.execute(
                "UPDATE revoked_cards SET member_id = ?, change_no = ? WHERE card = ?",
                (keep, change + i, card),
            )
        else:
            tx.execute(
                "INSERT INTO revoked_cards (card, member_id, revoked_at, change_no) "
                "VALUES (?, ?, ?, ?)",
                (card, keep, now, change + i),
            )
    return cards


def _move_facts(tx: Tx, keep: str, other: str) -> None:
    """Opening points and assigned offers to KEEP; contact details where KEEP has none."""
    row = tx.one(
        "SELECT opening_balance, phone, email, birth_date FROM members WHERE member_id = ?",
        (other,),
    )
    assert row is not None
    opening, phone, email, birth_date = row
    tx.execute(
        "UPDATE members SET opening_balance = opening_balance + ?, "
        "phone = CASE WHEN phone = '' THEN ? ELSE phone END, "
        "email = CASE WHEN email = '' THEN ? ELSE email END, "
        "birth_date = CASE WHEN birth_date = '' THEN ? ELSE birth_date END WHERE member_id = ?",
        (int(opening), phone, email, birth_date, keep),
    )
    tx.execute("UPDATE members SET opening_balance = 0 WHERE member_id = ?", (other,))
    tx.execute("UPDATE offers SET member_id = ? WHERE member_id = ?", (keep, other))


def _resolve_duplicates(tx: Tx, keep: str, other: str, by: str, now: str) -> int:
    rows = tx.query(
        "SELECT anomaly_id, member_id, detail FROM anomalies WHERE kind = 'duplicate_member' "
        "AND resolved_at IS NULL AND member_id IN (?, ?)",
        (keep, other),
    )
    ids = [
        str(a)
        for a, member, detail in rows
        if f"member {other if member == keep else keep} " in str(detail)
    ]
    tx.executemany(
        "UPDATE anomalies SET resolved_at = ?, resolved_by = ?, resolution = ? "
        "WHERE anomaly_id = ?",
        [(now, by, f"merged {other} into {keep}", a) for a in ids],
    )
    return len(ids)
