"""The member cache: what this till knows of members, as last confirmed by the ledger.

``accounts`` holds the ledger-confirmed balance of every account of the member
(wallets, ``stamps:<card>``, ``qualifying_spend``) and ``rewards`` the issued rewards
they hold; what a cashier sees adds this till's unconfirmed events
(:meth:`MemberCache.get_with_unconfirmed`).
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
from pos_client.store.journal import reward_fields
from pos_client.store.transaction import read_transaction, write_transaction

MEMBER_COLUMNS = (
    "card",
    "member_id",
    "name",
    "tier",
    "status",
    "flagged",
    "updated_at",
    "version",
    "accounts",
    "rewards",
    "expiring",
    "progress",
)
MEMBER_UPSERT = (
    f"INSERT INTO members ({', '.join(MEMBER_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(MEMBER_COLUMNS))}) "
    "ON CONFLICT (card) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in MEMBER_COLUMNS if c != "card")
)
"""Insert or replace by card; :data:`NEWER_ONLY` limits it to newer versions."""
NEWER_ONLY = " WHERE excluded.version > members.version"


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
    """One row of the member cache."""

    card: str
    member_id: str
    name: str
    tier: str
    status: str
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

    @property
    def blocked(self) -> bool:
        return self.status == "blocked"

    def row(self) -> tuple[object, ...]:
        """The ``members`` row, in :data:`MEMBER_COLUMNS` order."""
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
            canonical_json([{"id": i, "reward": r} for i, r in self.rewards]),
            canonical_json([e.to_json() for e in self.expiring]),
            canonical_json(
                None
                if self.progress is None
                else {"window": self.progress[0], "count": self.progress[1]}
            ),
        )


def _progress(data: Any) -> tuple[str, int] | None:
    return None if not data else (str(data["window"]), int(data["count"]))


def row_to_member(row: Sequence[object]) -> CachedMember:
    data = dict(zip(MEMBER_COLUMNS, row, strict=True))
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


class MemberCache:
    """Reads and upserts the ``members`` table of one connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._counted: tuple[tuple[int, int], int] | None = None

    def get(self, card: str) -> CachedMember | None:
        row = self._conn.execute(
            f"SELECT {', '.join(MEMBER_COLUMNS)} FROM members WHERE card = ?", [card]
        ).fetchone()
        return None if row is None else row_to_member(row)

    def get_with_unconfirmed(self, card: str) -> tuple[CachedMember, list[Pending]] | None:
        """The cached member and what this till's events for them that the ledger has
        not confirmed yet change.

        Both are read in one read transaction, together with the ``confirmed_seq``
        high-water mark: a sync settling in another connection can never make an
        event count twice or not at all (guarantee 4).
        """
        with read_transaction(self._conn):
            row = self._conn.execute(
                f"SELECT {', '.join(MEMBER_COLUMNS)} FROM members WHERE card = ?", [card]
            ).fetchone()
            if row is None:
                return None
            pending = self._conn.execute(
                "SELECT postings, rewards, document FROM journal WHERE card = ? AND seq > "
                "(SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'confirmed_seq') "
                "ORDER BY seq",
                [card],
            ).fetchall()
            contents = [json.loads(d) for _, _, d in pending]
            sales = self._refunded_sales(contents)
        return row_to_member(row), [
            Pending(
                json.loads(p),
                json.loads(r) if r else {},
                content,
                sales.get(str(content["event_id"])),
            )
            for (p, r, _), content in zip(pending, contents, strict=True)
        ]

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
        """Insert or replace members in one write transaction; return how many."""
        rows = [m.row() for m in members]
        with write_transaction(self._conn) as conn:
            conn.executemany(MEMBER_UPSERT, rows)
        return len(rows)

    def count(self) -> int:
        """How many members are cached.

        Counting is a scan of the whole table (a million rows take tens of
        milliseconds), and the status bar asks after every scan; so the count is
        kept until the database changes: a commit by another connection moves
        ``PRAGMA data_version``, a change by this one moves ``total_changes``.
        """
        version = (
            int(self._conn.execute("PRAGMA data_version").fetchone()[0]),
            self._conn.total_changes,
        )
        counted = self._counted
        if counted is None or counted[0] != version:
            total = int(self._conn.execute("SELECT COUNT(*) FROM members").fetchone()[0])
            counted = self._counted = (version, total)
        return counted[1]

    def sample_cards(self, limit: int) -> list[str]:
        """A few active cards in card order (the demo's help panel shows them)."""
        rows = self._conn.execute(
            "SELECT card FROM members WHERE status = 'active' ORDER BY card LIMIT ?", [limit]
        ).fetchall()
        return [str(r[0]) for r in rows]

    def random_card(self) -> str | None:
        row = self._conn.execute(
            "SELECT card FROM members WHERE status = 'active' ORDER BY random() LIMIT 1"
        ).fetchone()
        return None if row is None else str(row[0])
