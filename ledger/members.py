"""Members as stored, and their wire form :class:`sync.protocol.MemberState`.

A member's ``accounts`` hold the balance of every account (wallets, ``stamps:<card>``,
``qualifying_spend``): the ``opening_balance`` (points, from the import) plus the
postings of every event applied to it; the push transaction keeps them in step and
``pos-ledger verify`` recomputes them. ``rewards`` lists the issued rewards the
member holds. Every change to a member takes a new change
number (``change_no``), which is both its place in the changes feed and its
``version`` on the wire.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, NamedTuple

from ledger.db import Row, Tx
from ledger.errors import AdminError
from loyalty import tiers
from loyalty.canonical import canonical_json
from sync.protocol import MemberState


class MemberRow(NamedTuple):
    """A row of ``members`` as stored: the one list of its columns that the member
    queries read (:data:`MEMBER_COLUMNS`), in order."""

    member_id: str
    card: str
    name: str
    tier: str
    accounts: str
    rewards: str
    status: str
    flagged: int
    flag_reasons: str
    change_no: int
    expiring: str
    progress: str
    base_tier: str
    birth_date: str
    birthday_claimed: int
    vouchers: str
    offers: str
    accrued: str
    opening_balance: int
    phone: str


MEMBER_COLUMNS = ", ".join(MemberRow._fields)
POINTS = "points"
"""The account release 0.1.0 tills know as ``balance``."""
DEFAULT_TIER = tiers.DEFAULT_TIER


def unknown_member_id(card: str) -> str:
    """The id of a member the ledger first met through an event on an unknown card."""
    return "U" + card


def imported_member_id(card: str) -> str:
    """The id given to an imported member when the file names none."""
    return "M" + card


def member_dict(row: Row) -> dict[str, Any]:
    """A ``MEMBER_COLUMNS`` row as the fields of :class:`MemberState`.

    Answers are assembled from such dicts and validated as a whole by pydantic,
    which is both checked and much faster than building each model in Python.
    """
    member = MemberRow._make(row)
    accounts = decode_accounts(member.accounts)
    return {
        "member_id": member.member_id,
        "card": member.card,
        "name": member.name,
        "tier": member.tier,
        "balance": accounts.get(POINTS, 0),
        "accounts": accounts,
        "rewards": decode_list(member.rewards),
        "status": member.status,
        "flagged": bool(member.flagged),
        "flag_reasons": list(decode_reasons(member.flag_reasons)),
        "version": int(member.change_no),
        "expiring": decode_list(member.expiring),
        "progress": json.loads(member.progress),
        "birthday": birthday_of(member.birth_date),
        "birthday_claimed": int(member.birthday_claimed),
        "vouchers": decode_list(member.vouchers),
        "offers": decode_list(member.offers),
        "accrued": decode_list(member.accrued),
        "phone": member.phone,
    }


def decode_list(stored: str) -> list[Any]:
    """A stored JSON list (most members' are empty: no parsing for those)."""
    return [] if stored == "[]" else list(json.loads(stored))


def birthday_of(birth_date: str) -> str:
    """``MM-DD`` of a stored ``YYYY-MM-DD`` birth date: the till needs the day, never
    the year."""
    return birth_date[5:] if birth_date else ""


def decode_accounts(stored: str) -> dict[str, int]:
    """Balances per account from their stored form (a JSON object)."""
    return {str(k): int(v) for k, v in json.loads(stored).items()}


def encode_accounts(accounts: dict[str, int]) -> str:
    """The stored form of balances: canonical JSON, zeros left out."""
    return canonical_json({k: v for k, v in sorted(accounts.items()) if v})


def member_state(row: Row) -> MemberState:
    """The wire form of a ``MEMBER_COLUMNS`` row."""
    return MemberState.model_validate(member_dict(row))


def members_by_id(tx: Tx, member_ids: Sequence[str]) -> list[dict[str, Any]]:
    """Current states of the given members (as :func:`member_dict`), by member id."""
    if not member_ids:
        return []
    condition, params = tx.in_list("member_id", sorted(set(member_ids)))
    rows = tx.query(
        f"SELECT {MEMBER_COLUMNS} FROM members WHERE {condition} ORDER BY member_id", params
    )
    return [member_dict(r) for r in rows]


def member_by_card(tx: Tx, card: str) -> MemberState | None:
    row = tx.one(f"SELECT {MEMBER_COLUMNS} FROM members WHERE card = ?", (card,))
    return member_state(row) if row else None


def revoked_card_owner(tx: Tx, card: str) -> str | None:
    row = tx.one("SELECT member_id FROM revoked_cards WHERE card = ?", (card,))
    return str(row[0]) if row else None


def encode_reasons(reasons: set[str] | Sequence[str]) -> str:
    """The stored form of flag reasons: a sorted JSON list."""
    return _encode_reasons(frozenset(reasons)) if reasons else "[]"


@lru_cache(maxsize=256)
def _encode_reasons(reasons: frozenset[str]) -> str:
    return json.dumps(sorted(reasons))


@lru_cache(maxsize=256)
def decode_reasons(stored: str) -> tuple[str, ...]:
    """Flag reasons from their stored form (few distinct values, so cached)."""
    return tuple(json.loads(stored))


def set_status(tx: Tx, card: str, status: str) -> MemberState:
    """Block or unblock a member by card; a change the feed distributes."""
    row = tx.one("SELECT member_id, status FROM members WHERE card = ?", (card,))
    if row is None:
        raise AdminError(f"No member has card {card}.")
    if row[1] != status:
        change = tx.allocate("changes", 1)
        tx.execute(
            "UPDATE members SET status = ?, change_no = ? WHERE member_id = ?",
            (status, change, row[0]),
        )
    state = member_by_card(tx, card)
    assert state is not None
    return state


def member_history(tx: Tx, member_id: str, limit: int = 20) -> list[dict[str, Any]]:
    """The member's latest applied events, newest first (for ``member show``)."""
    rows = tx.query(
        "SELECT ledger_seq, terminal_id, seq, kind, card, postings, recorded_at, flags "
        "FROM events WHERE member_id = ? ORDER BY ledger_seq DESC LIMIT ?",
        (member_id, limit),
    )
    keys = ("ledger_seq", "terminal_id", "seq", "kind", "card", "postings", "recorded_at", "flags")
    return [{**dict(zip(keys, r, strict=True)), "postings": json.loads(r[5])} for r in rows]
