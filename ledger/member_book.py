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
from ledger.db import Row, Tx, rows_where_in
from loyalty.canonical import canonical_json
from loyalty.programme.birthday import instance_year


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
    """Each wallet's soonest-expiring lot (:meth:`ledger.lot_keeping.LotKeeper.next_expiry`)."""
    progress: dict[str, object] | None = None
    """The tier metric of the window of the latest event (:mod:`ledger.tier_keeping`)."""
    base_tier: str = ""
    """The tier the member import gave: qualification never goes below it."""
    birth_date: str = ""
    """From the member import (``YYYY-MM-DD`` or empty)."""
    birthday_claimed: int = 0
    """The year of the birthday whose reward the member last used."""
    vouchers: list[dict[str, object]] = field(default_factory=list)
    """Vouchers held (:mod:`ledger.vouchers`), as the feed carries them."""
    offers: list[dict[str, object]] = field(default_factory=list)
    """Offers held with their uses left (:mod:`ledger.offers`)."""
    accrued: list[dict[str, object]] = field(default_factory=list)
    """Period settlements accrued so far (:mod:`ledger.accruals`)."""
    opening_balance: int = 0
    """Points from the member import, before any event."""
    phone: str = ""
    """From an enrolment (``+`` and digits), for a manager's search at the till."""
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
            "birthday": members.birthday_of(self.birth_date),
            "birthday_claimed": self.birthday_claimed,
            "vouchers": self.vouchers,
            "offers": self.offers,
            "accrued": self.accrued,
            "phone": self.phone,
        }

    def derived(self) -> dict[str, object]:
        """The stored form of what events change (:data:`DERIVED_COLUMNS`)."""
        return {
            "tier": self.tier,
            "accounts": members.encode_accounts(self.accounts),
            "rewards": canonical_json(self.rewards),
            "flagged": int(bool(self.reasons)),
            "flag_reasons": members.encode_reasons(self.reasons),
            "change_no": self.version,
            "expiring": canonical_json(self.expiring),
            "progress": canonical_json(self.progress),
            "birthday_claimed": self.birthday_claimed,
            "vouchers": canonical_json(self.vouchers),
            "offers": canonical_json(self.offers),
            "accrued": canonical_json(self.accrued),
        }


DERIVED_COLUMNS = (
    "tier",
    "accounts",
    "rewards",
    "flagged",
    "flag_reasons",
    "change_no",
    "expiring",
    "progress",
    "birthday_claimed",
    "vouchers",
    "offers",
    "accrued",
)
"""The columns of ``members`` that events change (and a rebuild makes again); the
rest come from the member import and the admin commands."""


class MemberBook:
    """The members of a batch's cards, looked up by card (current or revoked)."""

    def __init__(self) -> None:
        self.by_card: dict[str, WorkingMember] = {}
        self.revoked: set[str] = set()
        self.by_id: dict[str, WorkingMember] = {}
        self.unknown_cards: set[str] = set()
        """Cards the ledger does not know that events named a known member with."""
        self.merged: dict[str, str] = {}
        """Merged member id → the member kept (:mod:`ledger.merges`)."""

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
        write_members(tx, [m for m in changed if m.is_new], insert=True)
        write_members(tx, [m for m in changed if not m.is_new], insert=False)


def write_members(tx: Tx, working: list[WorkingMember], *, insert: bool) -> None:
    """Store what events changed of these members (:data:`DERIVED_COLUMNS`); ``insert``
    for members first met through an event (an unknown card), which get an empty
    name, no opening points and the status they were given."""
    if insert:
        columns = (
            "member_id",
            "card",
            "name",
            "opening_balance",
            "status",
            "base_tier",
            *DERIVED_COLUMNS,
        )
        tx.executemany(
            f"INSERT INTO members ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            [
                (m.member_id, m.card, "", 0, m.status, m.base_tier, *m.derived().values())
                for m in working
            ],
        )
        return
    tx.executemany(
        f"UPDATE members SET {', '.join(c + ' = ?' for c in DERIVED_COLUMNS)} WHERE member_id = ?",
        [(*m.derived().values(), m.member_id) for m in working],
    )


def load_members(tx: Tx, cards: set[str], member_ids: set[str] | None = None) -> MemberBook:
    """The members of a batch's cards (current or revoked), and of the member ids its
    events name (a card the ledger does not know yet may belong to a known member)."""
    book = MemberBook()
    if not cards:
        return book
    book.merged = merge_map(tx) if member_ids else {}
    columns = ", ".join("m." + c.strip() for c in members.MEMBER_COLUMNS.split(","))
    condition, params = tx.in_list("card", sorted(cards))
    for row in tx.query(
        f"SELECT {columns} FROM members m WHERE {condition} AND m.merged_into IS NULL", params
    ):
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
    unseen = sorted({book.merged.get(m, m) for m in member_ids or set()} - set(book.by_id))
    if unseen:
        for member in load_members_by_id(tx, unseen).by_id.values():
            book.by_id.setdefault(member.member_id, member)
    return book


def merge_map(tx: Tx) -> dict[str, str]:
    """Merged member id → the member kept (:mod:`ledger.merges`; merges are few, so
    they are read whole)."""
    return {str(m): str(i) for m, i in tx.query("SELECT member_id, into_id FROM merges")}


def load_members_by_id(tx: Tx, member_ids: list[str]) -> MemberBook:
    """The members with these ids, by their current cards."""
    book = MemberBook()
    if not member_ids:
        return book
    columns = ", ".join("m." + c.strip() for c in members.MEMBER_COLUMNS.split(","))
    for row in rows_where_in(
        tx, f"SELECT {columns} FROM members m WHERE {{}}", "m.member_id", sorted(member_ids)
    ):
        book.add(_from_row(row))
    return book


def load_all_members(tx: Tx) -> MemberBook:
    """Every member (a replay of the whole ledger)."""
    book = MemberBook()
    for row in tx.query(f"SELECT {members.MEMBER_COLUMNS} FROM members ORDER BY member_id"):
        book.add(_from_row(row))
    return book


def _from_row(row: Row) -> WorkingMember:
    """A ``MEMBER_COLUMNS`` row, decoded as :func:`ledger.members.member_dict` does
    (without building that dict: a batch loads up to a thousand of them)."""
    stored = members.MemberRow._make(row)
    return WorkingMember(
        member_id=stored.member_id,
        card=stored.card,
        name=stored.name,
        tier=stored.tier,
        accounts=members.decode_accounts(stored.accounts),
        rewards=members.decode_list(stored.rewards),
        status=stored.status,
        reasons=set(members.decode_reasons(stored.flag_reasons)),
        version=int(stored.change_no),
        expiring=members.decode_list(stored.expiring),
        progress=json.loads(stored.progress),
        base_tier=str(stored.base_tier),
        birth_date=str(stored.birth_date),
        birthday_claimed=int(stored.birthday_claimed),
        vouchers=members.decode_list(stored.vouchers),
        offers=members.decode_list(stored.offers),
        accrued=members.decode_list(stored.accrued),
        opening_balance=int(stored.opening_balance),
        phone=str(stored.phone),
    )


def member_of(book: MemberBook, content: Mapping[str, Any]) -> WorkingMember:
    """The member an event is applied to: its card's (current or revoked); for a card
    the ledger does not know, the member the event names if the ledger knows them,
    else a new member first met through this card."""
    card = str(content["card"])
    member = book.by_card.get(card)
    named_id = str(content.get("member_id", ""))
    named = book.by_id.get(book.merged.get(named_id, named_id))
    if member is None and named is not None:
        member = named
        book.by_card[card] = named
        book.unknown_cards.add(card)
    if member is None:
        member = new_member(members.unknown_member_id(card), card)
        book.add(member)
    return member


def new_member(member_id: str, card: str, **facts: Any) -> WorkingMember:
    """A member the ledger first meets through an event (an unknown card, an
    enrolment): no points, the default tier, active; ``facts`` such as the name."""
    return WorkingMember(
        member_id,
        card,
        name=str(facts.pop("name", "")),
        tier=members.DEFAULT_TIER,
        accounts={},
        rewards=[],
        status="active",
        reasons=set(),
        version=0,
        base_tier=members.DEFAULT_TIER,
        is_new=True,
        **facts,
    )


_REWARD_FIELDS = ("rewards_used", "rewards_revoked", "rewards_issued", "rewards_restored")


def apply_rewards(member: WorkingMember, content: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Issue, use, revoke and restore the event's rewards on the member's list."""
    if not member.rewards and not any(key in content for key in _REWARD_FIELDS):
        return []  # nothing held and nothing to do: the list stays empty
    flags = []
    held = {r["id"]: r for r in member.rewards}
    for entry in content.get("rewards_used", []):
        if "id" not in entry or instance_year(entry["id"]) is not None:
            continue  # claimed with points, or the birthday reward (ledger.birthdays)
        if held.pop(entry["id"], None) is None:
            flags.append(("reward_unavailable", f"reward {entry['id']} was not held (used twice?)"))
    for reward_id in content.get("rewards_revoked", []):
        if held.pop(reward_id, None) is None:
            flags.append(("reward_revoked_after_use", f"reward {reward_id} was already used"))
    for entry in [*content.get("rewards_issued", []), *content.get("rewards_restored", [])]:
        if instance_year(entry["id"]) is None:
            held[entry["id"]] = {"id": entry["id"], "reward": entry["reward"]}
    member.rewards = [held[k] for k in sorted(held)]
    return flags
