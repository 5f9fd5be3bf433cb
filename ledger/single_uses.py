"""Things a member may use a limited number of times, used at tills that may be offline:
bonus vouchers (once) and personal offers (``uses`` times).

Offline tills cannot ask anyone whether a voucher was already used elsewhere, so two
stores may both accept it. Both receipts stand (what happened at the till
happened); the ledger records every use and accepts the earliest ones by business
time, then terminal, then sequence number — a fixed order, whichever use reached the
ledger first — and records each use beyond the allowed number as an overuse, with
its exposure (the discount it gave), for a manager to review. When a use that
happened earlier reaches the ledger after a later one, the later one is the overuse.
Only the owner's uses count: a use by another member is flagged on its sale
(``voucher_not_members``, ``offer_not_members``) and leaves the owner's item whole.

``single_uses`` holds every use (item, event, member, business time, terminal, seq,
discount, accepted). It is derived from the events alone: replaying them in any
order of arrival gives the same accepted set.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import astuple, dataclass, field
from typing import Any

from ledger.anomalies import Anomaly
from ledger.db import Tx, not_yet


@dataclass(frozen=True)
class Use:
    """One use of an item by one event."""

    item: str
    """``voucher:VCH-...`` or ``offer:<offer id>``."""
    event_id: str
    member_id: str
    business_at: str
    """UTC ISO instant (``events.business_at``)."""
    terminal_id: str
    seq: int
    discount_minor: int

    @property
    def order(self) -> tuple[str, str, int]:
        return (self.business_at, self.terminal_id, self.seq)

    def row(self, accepted: bool) -> tuple[object, ...]:
        """The ``single_uses`` table's row (these fields in order, then accepted)."""
        return (*astuple(self), int(accepted))

    @classmethod
    def by_sale(
        cls, item: str, content: Mapping[str, Any], member_id: str, business_at: str, discount: int
    ) -> Use:
        """The use of ``item`` by the sale ``content`` (its member ``member_id``)."""
        return cls(
            item,
            str(content["event_id"]),
            member_id,
            business_at,
            str(content["terminal_id"]),
            int(content["seq"]),
            discount,
        )


@dataclass
class SingleUses:
    """The uses of the items one transaction touches."""

    uses: dict[str, list[Use]] = field(default_factory=dict)
    accepted: dict[str, set[str]] = field(default_factory=dict)
    """Per item, the event ids whose use is accepted (as stored, then as changed)."""
    loaded: set[str] = field(default_factory=set)
    changed: set[str] = field(default_factory=set)

    def load(self, tx: Tx, items: Iterable[str]) -> None:
        wanted = not_yet(self.loaded, items)
        if not wanted:
            return
        condition, params = tx.in_list("item", wanted)
        for row in tx.query(
            "SELECT item, event_id, member_id, business_at, terminal_id, seq, discount_minor, "
            f"accepted FROM single_uses WHERE {condition}",
            params,
        ):
            use = Use(
                str(row[0]),
                str(row[1]),
                str(row[2]),
                str(row[3]),
                str(row[4]),
                int(row[5]),
                int(row[6]),
            )
            self.uses.setdefault(use.item, []).append(use)
            if int(row[7]):
                self.accepted.setdefault(use.item, set()).add(use.event_id)

    def record(self, use: Use, allowed: int, owner: str | None) -> list[Use]:
        """Add ``use`` (its item loaded) and accept the earliest ``allowed`` uses by
        the item's ``owner``; the uses that are overuses now and were not before (this
        one, or an earlier accepted use that a use earlier in business time pushed
        out): each is an anomaly to record on its own event. A use by another member
        (or of an item nobody holds) is recorded, never accepted, and takes nothing
        from the owner: the sale carries its own flag for it."""
        known = self.uses.setdefault(use.item, [])
        if any(u.event_id == use.event_id for u in known):
            return []
        known.append(use)
        before = self.accepted.get(use.item, set())
        ranked = sorted((u for u in known if u.member_id == owner), key=lambda u: u.order)
        now = {u.event_id for u in ranked[:allowed]}
        self.accepted[use.item] = now
        self.changed.add(use.item)
        return [u for u in ranked[allowed:] if u.event_id in before | {use.event_id}]

    def judge(
        self, use: Use, allowed: int, owner: str | None, kind: str, what: str, currency: str
    ) -> tuple[list[tuple[str, str]], list[Anomaly]]:
        """:meth:`record` ``use``; the overuses it makes, each ``(kind, "<what>:
        exposure <its discount>")``: a flag on the sale itself, an anomaly on another
        event pushed out."""
        flags: list[tuple[str, str]] = []
        others: list[Anomaly] = []

        def detail(over: Use) -> str:
            return f"{what}: exposure {over.discount_minor} minor units {currency}"

        for over in self.record(use, allowed, owner):
            if over.event_id == use.event_id:
                flags.append((kind, detail(over)))
            else:
                others.append(
                    Anomaly(
                        kind,
                        over.terminal_id,
                        over.event_id,
                        over.seq,
                        over.member_id,
                        detail(over),
                    )
                )
        return flags, others

    def count(self, item: str, member_id: str) -> int:
        """Uses known of ``item`` by ``member_id`` (accepted or not)."""
        return sum(1 for u in self.uses.get(item, ()) if u.member_id == member_id)

    def write(self, tx: Tx) -> None:
        """Store every use of the items that changed, with whether it is accepted."""
        rows = []
        for item in sorted(self.changed):
            accepted = self.accepted.get(item, set())
            rows += [u.row(u.event_id in accepted) for u in self.uses[item]]
        tx.executemany(
            "INSERT INTO single_uses (item, event_id, member_id, business_at, terminal_id, seq, "
            "discount_minor, accepted) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (item, event_id) DO UPDATE SET accepted = excluded.accepted",
            rows,
        )
        self.changed.clear()
