"""The members of one pushed batch: loaded once, changed in memory, written at the end.

:func:`load_members` reads the members of a batch's cards (current or revoked) in two
queries; events change the working copies (accounts, rewards, flags); and
:meth:`MemberBook.write` stores every changed member with a new change number. The
write lock is held from the read to the commit, so after the write these copies
*are* the stored rows: the push answer's balances are built from them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ledger import members
from ledger.db import Row, Tx
from loyalty.canonical import canonical_json


@dataclass
class WorkingMember:
    """A working copy of a member's row during one batch (see the module doc)."""

    member_id: str
    card: str
    name: str
    tier: str
    accounts: dict[str, int]
    rewards: list[dict[str, str]]
    status: str
    reasons: set[str]
    version: int
    expiring: list[dict[str, object]] = field(default_factory=list)
    progress: dict[str, object] | None = None
    """The tier metric of the window of the latest event (:mod:`ledger.tier_keeping`)."""
    base_tier: str = ""
    """The tier the member import gave: qualification never goes below it."""
    """Each wallet's soonest-expiring lot (:meth:`ledger.lot_keeping.LotKeeper.next_expiry`)."""
    is_new: bool = False
    changed: bool = False

    def state(self) -> dict[str, object]:
        """The fields of :class:`sync.protocol.MemberState`."""
        return {
            "member_id": self.member_id,
            "card": self.card,
            "name": self.name,
            "tier": self.tier,
            "balance": self.accounts.get(members.POINTS, 0),
            "accounts": {k: v for k, v in sorted(self.accounts.items()) if v},
            "rewards": self.rewards,
            "status": self.status,
            "flagged": bool(self.reasons),
            "flag_reasons": sorted(self.reasons),
            "version": self.version,
            "expiring": self.expiring,
            "progress": self.progress,
        }


class MemberBook:
    """The members of a batch's cards, looked up by card (current or revoked)."""

    def __init__(self) -> None:
        self.by_card: dict[str, WorkingMember] = {}
        self.revoked: set[str] = set()
        self.by_id: dict[str, WorkingMember] = {}

    def add(self, member: WorkingMember, card: str | None = None) -> None:
        self.by_id.setdefault(member.member_id, member)
        self.by_card[card or member.card] = self.by_id[member.member_id]

    def write(self, tx: Tx) -> None:
        """Store every member the batch changed, each with a new change number (the
        feed carries them); new members (unknown cards) are inserted."""
        changed = sorted((m for m in self.by_id.values() if m.changed), key=lambda m: m.member_id)
        if not changed:
            return
        change = tx.allocate("changes", len(changed))
        for i, member in enumerate(changed):
            member.version = change + i
        tx.executemany(
            "INSERT INTO members (member_id, card, name, tier, opening_balance, accounts, rewards, "
            "status, flagged, flag_reasons, change_no, expiring, progress) "
            "VALUES (?, ?, '', ?, 0, ?, ?, ?, 1, ?, ?, ?, ?)",
            [
                (
                    m.member_id,
                    m.card,
                    m.tier,
                    members.encode_accounts(m.accounts),
                    canonical_json(m.rewards),
                    m.status,
                    members.encode_reasons(m.reasons),
                    m.version,
                    canonical_json(m.expiring),
                    canonical_json(m.progress),
                )
                for m in changed
                if m.is_new
            ],
        )
        tx.executemany(
            "UPDATE members SET accounts = ?, rewards = ?, flagged = ?, flag_reasons = ?, "
            "change_no = ?, expiring = ?, tier = ?, progress = ? WHERE member_id = ?",
            [
                (
                    members.encode_accounts(m.accounts),
                    canonical_json(m.rewards),
                    int(bool(m.reasons)),
                    members.encode_reasons(m.reasons),
                    m.version,
                    canonical_json(m.expiring),
                    m.tier,
                    canonical_json(m.progress),
                    m.member_id,
                )
                for m in changed
                if not m.is_new
            ],
        )


def load_members(tx: Tx, cards: set[str]) -> MemberBook:
    book = MemberBook()
    if not cards:
        return book
    columns = ", ".join("m." + c.strip() for c in members.MEMBER_COLUMNS.split(","))
    condition, params = tx.in_list("card", sorted(cards))
    for row in tx.query(f"SELECT {columns} FROM members m WHERE {condition}", params):
        book.add(_from_row(row))
    condition, params = tx.in_list("r.card", sorted(cards))
    revoked_rows = tx.query(
        f"SELECT r.card, {columns} FROM revoked_cards r "
        f"JOIN members m ON m.member_id = r.member_id WHERE {condition}",
        params,
    )
    for row in revoked_rows:
        book.revoked.add(str(row[0]))
        book.add(_from_row(row[1:]), card=str(row[0]))
    return book


def load_members_by_id(tx: Tx, member_ids: list[str]) -> MemberBook:
    """The members with these ids, by their current cards."""
    book = MemberBook()
    columns = ", ".join("m." + c.strip() for c in members.MEMBER_COLUMNS.split(","))
    condition, params = tx.in_list("m.member_id", sorted(member_ids))
    for row in tx.query(f"SELECT {columns} FROM members m WHERE {condition}", params):
        book.add(_from_row(row))
    return book


def _from_row(row: Row) -> WorkingMember:
    """A ``MEMBER_COLUMNS`` row, decoded as :func:`ledger.members.member_dict` does
    (without building that dict: a batch loads up to a thousand of them)."""
    return WorkingMember(
        member_id=row[0],
        card=row[1],
        name=row[2],
        tier=row[3],
        accounts=members.decode_accounts(row[4]),
        rewards=json.loads(row[5]),
        status=row[6],
        reasons=set(members.decode_reasons(row[8])),
        version=int(row[9]),
        expiring=json.loads(row[10]),
        progress=json.loads(row[11]),
        base_tier=str(row[12]),
    )


def member_of(book: MemberBook, content: Mapping[str, Any]) -> WorkingMember:
    card = str(content["card"])
    member = book.by_card.get(card)
    if member is None:
        member = WorkingMember(
            members.unknown_member_id(card),
            card,
            name="",
            tier=members.DEFAULT_TIER,
            accounts={},
            rewards=[],
            status="active",
            reasons=set(),
            version=0,
            is_new=True,
        )
        book.add(member)
    return member


_REWARD_FIELDS = ("rewards_used", "rewards_revoked", "rewards_issued", "rewards_restored")


def apply_rewards(member: WorkingMember, content: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Issue, use, revoke and restore the event's rewards on the member's list."""
    if not member.rewards and not any(key in content for key in _REWARD_FIELDS):
        return []  # nothing held and nothing to do: the list stays empty
    flags = []
    held = {r["id"]: r for r in member.rewards}
    for entry in content.get("rewards_used", []):
        if "id" not in entry:
            continue
        if held.pop(entry["id"], None) is None:
            flags.append(("reward_unavailable", f"reward {entry['id']} was not held (used twice?)"))
    for reward_id in content.get("rewards_revoked", []):
        if held.pop(reward_id, None) is None:
            flags.append(("reward_revoked_after_use", f"reward {reward_id} was already used"))
    for entry in [*content.get("rewards_issued", []), *content.get("rewards_restored", [])]:
        held[entry["id"]] = {"id": entry["id"], "reward": entry["reward"]}
    member.rewards = [held[k] for k in sorted(held)]
    return flags
