"""The member cache: what this till knows of members, as last confirmed by the ledger.

One row per member id in ``members``: ``accounts`` holds the ledger-confirmed
balance of every account of the member (wallets, ``stamps:<card>``,
``qualifying_spend``) and ``rewards`` the issued rewards they hold. ``cards`` finds
the member by any card they ever had. What a cashier sees adds this till's
unconfirmed events of the member, whichever of their cards they were recorded on
(:meth:`MemberCache.find`). States are written by
:mod:`pos_client.store.member_states`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from loyalty.canonical import canonical_json
from loyalty.events import Event
from loyalty.tier_metrics import RefundedSale, SaleMemory
from pos_client.holdings import Accrual, HeldOffer, HeldVoucher
from pos_client.store.connections import routed
from pos_client.store.journal import reward_fields
from pos_client.store.member_events import MEMBER_EVENTS, UNCONFIRMED
from pos_client.store.member_states import ACTIVE, MEMBER_COLUMNS, store_states
from pos_client.store.transaction import read_transaction, write_transaction

_SELECT_MEMBER = (
    f"SELECT {', '.join('m.' + c for c in MEMBER_COLUMNS)}, coalesce(a.card, '') "
    f"FROM members m LEFT JOIN cards a ON a.member_id = m.member_id AND a.state = '{ACTIVE}'"
)
"""A member with their active card ('' when none is): :func:`row_to_member`."""


@dataclass(frozen=True)
class Expiring:
    """A wallet's soonest-expiring lot at the ledger: ``amount`` usable up to and
    including the local day ``on``."""

    wallet: str
    amount: int
    on: date

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Expiring:
        return cls(str(data["wallet"]), int(data["amount"]), date.fromisoformat(str(data["on"])))

    def to_json(self) -> dict[str, Any]:
        return {"wallet": self.wallet, "amount": self.amount, "on": self.on.isoformat()}


@dataclass(frozen=True)
class CachedMember:
    """A member as the ledger last sent them: one row of the member cache, with the
    member's current card."""

    card: str
    """The member's active card ('' when the ledger revoked it and the new one has
    not reached this till yet)."""
    member_id: str
    name: str
    tier: str
    status: str
    """``active`` or ``blocked``: the ledger's status of the member (not of a card)."""
    flagged: bool
    updated_at: str
    version: int = 0
    """The ledger's change number of this state; 0 for members seeded locally."""
    accounts: Mapping[str, int] = field(default_factory=dict)
    """Confirmed balance per account (zeros left out)."""
    rewards: tuple[tuple[str, str], ...] = ()
    """Issued rewards held, as (id, reward)."""
    expiring: tuple[Expiring, ...] = ()
    """Per wallet, the ledger's soonest-expiring lot."""
    progress: tuple[str, int] | None = None
    """The ledger's tier count: (window, count)."""
    birthday: str = ""
    """``MM-DD``, or empty when the ledger knows none."""
    birthday_claimed: int = 0
    """The year of the birthday whose reward the member last used, as the ledger said."""
    vouchers: tuple[HeldVoucher, ...] = ()
    offers: tuple[HeldOffer, ...] = ()
    accrued: tuple[Accrual, ...] = ()
    phone: str = ""
    """``+`` and digits, as the ledger or an enrolment here gave it; empty: unknown."""
    flag_reasons: tuple[str, ...] = ()
    """Why the ledger flagged the member (``overdraft``, ...)."""

    @property
    def blocked(self) -> bool:
        return self.status == "blocked"

    def row(self) -> tuple[object, ...]:
        """The member's state in
        :data:`~pos_client.store.member_states.STATE_COLUMNS` order (card first)."""
        return (
            self.card,
            self.member_id,
            self.name,
            self.tier,
            self.status,
            int(self.flagged),
            self.updated_at,
            self.version,
            canonical_json({k: v for k, v in sorted(self.accounts.items()) if v}),
            _json_list({"id": i, "reward": r} for i, r in self.rewards),
            _json_list(e.to_json() for e in self.expiring),
            "null"
            if self.progress is None
            else canonical_json({"window": self.progress[0], "count": self.progress[1]}),
            self.birthday,
            self.birthday_claimed,
            _json_list(v.to_json() for v in self.vouchers),
            _json_list(o.to_json() for o in self.offers),
            _json_list(a.to_json() for a in self.accrued),
            self.phone,
            canonical_json(list(self.flag_reasons)) if self.flag_reasons else "[]",
        )


def _json_list(items: Iterable[Mapping[str, Any]]) -> str:
    """Canonical JSON of a list (most are empty: no encoding for those)."""
    found = list(items)
    return canonical_json(found) if found else "[]"


def _read_list(text: object) -> list[Any]:
    return [] if text == "[]" else list(json.loads(str(text)))


def _progress(data: Any) -> tuple[str, int] | None:
    return None if not data else (str(data["window"]), int(data["count"]))


def row_to_member(row: Sequence[object]) -> CachedMember:
    """A member from a :data:`_SELECT_MEMBER` row (the columns, then the active card)."""
    data = dict(zip((*MEMBER_COLUMNS, "card"), row, strict=True))
    rewards = json.loads(str(data["rewards"]))
    return CachedMember(
        card=str(data["card"]),
        member_id=str(data["member_id"]),
        name=str(data["name"]),
        tier=str(data["tier"]),
        status=str(data["status"]),
        flagged=bool(data["flagged"]),
        updated_at=str(data["updated_at"]),
        version=int(str(data["version"])),
        accounts=json.loads(str(data["accounts"])),
        rewards=tuple((str(r["id"]), str(r["reward"])) for r in rewards),
        expiring=tuple(Expiring.of(e) for e in json.loads(str(data["expiring"]))),
        progress=_progress(json.loads(str(data["progress"]))),
        birthday=str(data["birthday"]),
        birthday_claimed=int(str(data["birthday_claimed"])),
        vouchers=tuple(HeldVoucher.of(v) for v in _read_list(data["vouchers"])),
        offers=tuple(HeldOffer.of(o) for o in _read_list(data["offers"])),
        accrued=tuple(Accrual.of(a) for a in _read_list(data["accrued"])),
        phone=str(data["phone"]),
        flag_reasons=tuple(str(r) for r in _read_list(data["flag_reasons"])),
    )


@dataclass(frozen=True)
class Pending:
    """What one unconfirmed event changes for its member."""

    postings: Mapping[str, int]
    rewards: Mapping[str, list[Any]]
    """``rewards_issued``, ``rewards_used``, ... of the event (absent: none)."""
    content: Mapping[str, Any] = field(default_factory=dict)
    """The event's content (what the tier progress counts of it); empty for a
    figure that is not one event."""
    sale: RefundedSale | None = None
    """A refund's sale as it was before the refund, when this till's journal has it
    (what a refund's visits and units need)."""

    @classmethod
    def of(cls, event: Event, sale: RefundedSale | None = None) -> Pending:
        """What ``event`` changes, as the journal's ``postings`` and ``rewards``
        columns hold it."""
        return cls(event.postings, reward_fields(event), event.content, sale)


@dataclass(frozen=True)
class FoundMember:
    """A member found by one of their cards, with what this till's events of the
    member that the ledger has not confirmed yet change (read together)."""

    member: CachedMember
    card: str
    """The card the member was found by: the one an event recorded now names."""
    card_active: bool
    """False for a card the member no longer uses (replaced or revoked)."""
    pending: list[Pending]


class MemberCache:
    """Reads the member cache (``members`` and ``cards``) of one connection, and
    seeds it locally (a till without a ledger, the demo, tests)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._counted: tuple[tuple[int, int], int] | None = None

    def get(self, card: str) -> CachedMember | None:
        """The member who has or had ``card``."""
        row = self._conn.execute(
            f"{_SELECT_MEMBER} WHERE m.member_id = (SELECT member_id FROM cards WHERE card = ?)",
            [card],
        ).fetchone()
        return None if row is None else row_to_member(row)

    def get_by_id(self, member_id: str) -> CachedMember | None:
        row = self._conn.execute(f"{_SELECT_MEMBER} WHERE m.member_id = ?", [member_id]).fetchone()
        return None if row is None else row_to_member(row)

    def has_active_card(self, member_id: str) -> bool:
        """Whether the member has a card in use (not only replaced or blocked ones)."""
        return (
            self._conn.execute(
                "SELECT 1 FROM cards WHERE member_id = ? AND state = 'active'", (member_id,)
            ).fetchone()
            is not None
        )

    def card_state(self, card: str) -> str | None:
        """``active``, ``replaced`` or ``revoked``; None for a card the till never saw."""
        row = self._conn.execute("SELECT state FROM cards WHERE card = ?", [card]).fetchone()
        return None if row is None else str(row[0])

    def find(self, card: str) -> FoundMember | None:
        """The member who has or had ``card``, and what this till's events of the
        member that the ledger has not confirmed yet change: those with their member
        id, and release 0.1.0's on any of their cards
        (:mod:`pos_client.store.member_events`).

        All is read in one read transaction, together with the ``confirmed_seq``
        high-water mark: a sync settling in another connection can never make an
        event count twice or not at all (guarantee 4). None when the member is not
        cached.
        """
        with read_transaction(self._conn):
            holder = self._conn.execute(
                "SELECT member_id, state FROM cards WHERE card = ?", [card]
            ).fetchone()
            if holder is None:
                return None
            member_id, state = str(holder[0]), str(holder[1])
            row = self._conn.execute(
                f"{_SELECT_MEMBER} WHERE m.member_id = ?", [member_id]
            ).fetchone()
            if row is None:
                return None
            pending = self._conn.execute(
                f"SELECT postings, rewards, document FROM journal WHERE {UNCONFIRMED} "
                f"AND {MEMBER_EVENTS} "
                "ORDER BY seq",
                {"member_id": member_id},
            ).fetchall()
            contents = [json.loads(d) for _, _, d in pending]
            sales = self._refunded_sales(contents)
        return FoundMember(
            member=row_to_member(row),
            card=card,
            card_active=state == ACTIVE,
            pending=[
                Pending(
                    json.loads(p),
                    json.loads(r) if r else {},
                    content,
                    sales.get(str(content["event_id"])),
                )
                for (p, r, _), content in zip(pending, contents, strict=True)
            ],
        )

    def card_holding_voucher(self, number: str) -> str | None:
        """The active card of the member the ledger says holds voucher ``number``."""
        row = self._conn.execute(
            f"SELECT a.card FROM held_vouchers h JOIN cards a ON a.member_id = h.member_id "
            f"AND a.state = '{ACTIVE}' WHERE h.number = ? LIMIT 1",
            [number],
        ).fetchone()
        return None if row is None else str(row[0])

    def _refunded_sales(self, contents: list[Mapping[str, Any]]) -> dict[str, RefundedSale]:
        """Per refund among ``contents``, its sale as it was before it (from this
        till's journal: a till refunds only its own sales)."""
        sale_ids = sorted(
            {str(c["refers_to"]) for c in contents if c["kind"] == "refund" and c.get("refers_to")}
        )
        if not sale_ids:
            return {}
        marks = ", ".join("?" * len(sale_ids))
        rows = self._conn.execute(
            f"SELECT document, postings FROM journal WHERE event_id IN ({marks}) "
            f"OR refers_to IN ({marks}) ORDER BY seq",
            [*sale_ids, *sale_ids],
        ).fetchall()
        memory, before = SaleMemory(), {}
        for document, postings in rows:
            content, moved = json.loads(document), json.loads(postings)
            if content["kind"] == "refund":
                sale = memory.refund(content, moved)
                if sale is not None:
                    before[str(content["event_id"])] = sale
            else:
                memory.remember(content, moved)
        return before

    def upsert_many(self, members: Iterable[CachedMember]) -> int:
        """Store members seeded locally in one write transaction, replacing what is
        cached whatever its version; return how many. Each member's card becomes
        their active card (:func:`pos_client.store.member_states.store_states`)."""
        rows = [m.row() for m in members]
        with write_transaction(self._conn) as conn:
            store_states(conn, rows, newer_only=False)
        return len(rows)

    def count(self) -> int:
        """How many members are cached.

        Counting is a scan of the whole table (a million rows take tens of
        milliseconds), and the status bar asks after every scan; so the count is
        kept until the database changes: a commit by another process moves the
        writer's ``PRAGMA data_version``, a change by this one moves its
        ``total_changes`` (:meth:`StoreConnection.change_mark`, the same whichever
        thread asks). Not kept while a write of this process is in progress.
        """
        store = routed(self._conn)
        if store is None:
            version: tuple[int, int] | None = (
                int(self._conn.execute("PRAGMA data_version").fetchone()[0]),
                self._conn.total_changes,
            )
        else:
            version = store.change_mark()
        counted = self._counted
        if version is None or counted is None or counted[0] != version:
            total = int(self._conn.execute("SELECT COUNT(*) FROM members").fetchone()[0])
            if version is None:
                return total
            counted = self._counted = (version, total)
        return counted[1]

    def sample_cards(self, limit: int) -> list[str]:
        """A few active cards of active members in card order (the demo's help panel
        shows them)."""
        rows = self._conn.execute(f"{_USABLE_CARDS} ORDER BY c.card LIMIT ?", [limit]).fetchall()
        return [str(r[0]) for r in rows]

    def random_card(self) -> str | None:
        row = self._conn.execute(f"{_USABLE_CARDS} ORDER BY random() LIMIT 1").fetchone()
        return None if row is None else str(row[0])


_USABLE_CARDS = (
    "SELECT c.card FROM cards c JOIN members m ON m.member_id = c.member_id "
    f"WHERE c.state = '{ACTIVE}' AND m.status = 'active'"
)
"""Cards a scan selects a member by: active cards of members not blocked."""
