"""The ledger's lots: every wallet posting applied to its member's lots, in apply order.

:mod:`loyalty.lots` holds the rules; this module applies them to events and keeps the
tables in step within one write transaction:

``lots``       what each lot holds now: (member, wallet, last day), ``''`` for a lot
               that never expires. A lot that was emptied keeps its row (at 0), so a
               refund can restore it.
``lot_moves``  every posting into (+) or out of (−) a lot, by the event that made it:
               the lots' provenance, and what a refund needs to find the lots its sale
               took from and earned into.

A posting that adds to a wallet is earned into the lot of the day its expiry falls
on, computed once from the version in force at the event's business time (a wallet
without expiry, or an event before any version, earns into the lot that never
expires). Per event kind, for each wallet it posts to:

* a sale: what it spent (``spent``) is taken first, then what it earned is earned;
* a refund: what it gives back of its sale's spending (``spent_returned``) restores
  the lots the sale took from, then what it takes back of the sale's earning is taken
  from the lot the sale earned into first;
* the ledger's expiry: the lots it names are emptied;
* the ledger's extension: what the lots it names hold moves to their later day;
* anything else (redemption, correction, action): a negative posting is a spending,
  a positive one an earning.

``pos-ledger verify`` applies the same code to every stored event from empty and
compares (:mod:`ledger.verify`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ledger.db import Tx, not_yet
from loyalty.lots import ExpiryDay, WalletLots, spend_order
from loyalty.programme import ProgrammeVersion, version_in_force
from loyalty.programme.model import is_wallet_account
from loyalty.timezones import local_time

NEVER = ""
"""The stored ``last_day`` of the lot that never expires."""


def day_text(day: ExpiryDay) -> str:
    return NEVER if day is None else day.isoformat()


def day_of(text: str) -> ExpiryDay:
    return None if text == NEVER else date.fromisoformat(text)


EARN, SPEND, RESTORE, TAKE_BACK, EXPIRE = "earn", "spend", "restore", "take_back", "expire"
EXTEND = "extend"
"""What a move did: earned into a lot, spent from one, gave back to the lot a
spending took from, took back what a sale earned, expired, moved to a later last
day (an out of one lot and an in to another)."""


@dataclass(frozen=True)
class Move:
    """One posting into (+) or out of (−) one lot, and what it was."""

    event_id: str
    member_id: str
    wallet: str
    day: ExpiryDay
    amount: int
    kind: str


def _wallets_moved(content: Mapping[str, Any], postings: Mapping[str, int]) -> list[str]:
    """The wallets an event moves lots of: those it posts to, and those whose net
    posting is nothing but that it spends from, gives back to or expires."""
    named = set(postings)
    named |= set(content.get("spent", {})) | set(content.get("spent_returned", {}))
    named |= {str(lot["wallet"]) for lot in content.get("expired", [])}
    named |= {str(lot["wallet"]) for lot in content.get("extended", [])}
    return sorted(w for w in named if is_wallet_account(w))


def earning_day(versions: Sequence[ProgrammeVersion], at: datetime, wallet: str) -> ExpiryDay:
    """The last day of what ``wallet`` earns at business time ``at``: from the version
    in force then (None: it never expires)."""
    version = version_in_force(versions, at)
    if version is None:
        return None
    found = next((w for w in version.programme.wallets if w.id == wallet), None)
    if found is None or found.expiry is None:
        return None
    return found.expiry.last_day(local_time(at, version.programme.timezone).date())


@dataclass
class LotKeeper:
    """The lots of the members one transaction touches (see the module doc)."""

    versions: Sequence[ProgrammeVersion]
    wallets: dict[tuple[str, str], WalletLots] = field(default_factory=dict)
    """Working lots by (member id, wallet)."""
    stored: dict[tuple[str, str], dict[ExpiryDay, int]] = field(default_factory=dict)
    """What the tables held for each loaded (member, wallet), by day."""
    moves: list[Move] = field(default_factory=list)
    by_event: dict[str, list[Move]] = field(default_factory=dict)
    """This transaction's moves and the stored moves of sales being refunded."""
    loaded: set[str] = field(default_factory=set)
    member_wallets: dict[str, set[str]] = field(default_factory=dict)
    """The wallets of each member known to this keeper (stored or touched)."""
    refunds: dict[str, list[str]] = field(default_factory=dict)
    """Sale event id → the ids of its refunds this keeper has seen, in order."""

    # --- reading ---------------------------------------------------------------------

    def load(self, tx: Tx, member_ids: Iterable[str]) -> None:
        """Read the lots holding something of these members (once per member)."""
        wanted = not_yet(self.loaded, member_ids)
        if not wanted:
            return
        condition, params = tx.in_list("member_id", wanted)
        for member_id, wallet, last_day, remaining in tx.query(
            f"SELECT member_id, wallet, last_day, remaining FROM lots WHERE {condition} "
            "AND remaining > 0",
            params,
        ):
            held = self.stored.setdefault((str(member_id), str(wallet)), {})
            held[day_of(str(last_day))] = int(remaining)
            self.member_wallets.setdefault(str(member_id), set()).add(str(wallet))

    def load_sale_moves(self, tx: Tx, sale_ids: Sequence[str]) -> None:
        """Read the stored moves of these sales and of the refunds already made of them."""
        wanted = sorted(set(sale_ids) - set(self.by_event))
        if not wanted:
            return
        condition, params = tx.in_list("m.event_id", wanted)
        refunds, more = tx.in_list("e.refers_to", wanted)
        rows = tx.query(
            "SELECT m.event_id, m.member_id, m.wallet, m.last_day, m.amount, m.kind, "
            "e.refers_to FROM lot_moves m JOIN events e ON e.event_id = m.event_id "
            f"WHERE {condition} OR {refunds} ORDER BY e.ledger_seq",
            params + more,
        )
        for sale in wanted:
            self.by_event.setdefault(sale, [])
        for event_id, member_id, wallet, last_day, amount, kind, refers_to in rows:
            move = Move(
                str(event_id),
                str(member_id),
                str(wallet),
                day_of(str(last_day)),
                int(amount),
                str(kind),
            )
            self.by_event.setdefault(move.event_id, []).append(move)
            if refers_to is not None:
                self._note_refund(move.event_id, str(refers_to))

    def lots_of(self, member_id: str, wallet: str, balance: int) -> WalletLots:
        """The working lots of a member's wallet whose balance is ``balance`` now."""
        key = (member_id, wallet)
        found = self.wallets.get(key)
        if found is None:
            found = self.wallets[key] = WalletLots.of_balance(balance, self.stored.get(key))
            self.stored.setdefault(key, {})
            self.member_wallets.setdefault(member_id, set()).add(wallet)
        return found

    def held(self, member_id: str) -> list[tuple[str, dict[ExpiryDay, int]]]:
        """Each wallet of the member known here and its lots now, by wallet."""
        found = []
        for wallet in sorted(self.member_wallets.get(member_id, ())):
            working = self.wallets.get((member_id, wallet))
            found.append(
                (wallet, working.lots if working is not None else self.stored[(member_id, wallet)])
            )
        return found

    # --- applying --------------------------------------------------------------------

    def apply(
        self,
        member_id: str,
        accounts_before: Mapping[str, int],
        content: Mapping[str, Any],
        postings: Mapping[str, int],
        at: datetime,
    ) -> None:
        """Apply one event's wallet postings to the member's lots (see the module
        doc): ``accounts_before`` are the member's balances before the event, ``at``
        its business time. A refund's sale must have been read (:meth:`load_sale_moves`)
        or applied in this transaction."""
        kind = content["kind"]
        event_id = str(content["event_id"])
        if kind == "refund" and content.get("refers_to"):
            self._note_refund(event_id, str(content["refers_to"]))
        for wallet in _wallets_moved(content, postings):
            posting = int(postings.get(wallet, 0))
            lots = self.lots_of(member_id, wallet, accounts_before.get(wallet, 0))
            day = earning_day(self.versions, at, wallet)
            record = _Recorder(self, event_id, member_id, wallet)
            if kind in ("sale", "earn"):
                spent = int(content.get("spent", {}).get(wallet, 0))
                record.out(SPEND, lots.spend(spent))
                record.earned(lots, posting + spent, day)
            elif kind == "refund":
                self._refund(lots, record, content, wallet, posting, day)
            elif kind == "expire":
                for lot in content["expired"]:
                    if lot["wallet"] == wallet:
                        taken = lots.take_back(int(lot["amount"]), day_of(lot["last_day"]))
                        record.out(EXPIRE, taken)
            elif kind == "extend":
                for lot in content["extended"]:
                    if lot["wallet"] == wallet:
                        moved = lots.move(
                            int(lot["amount"]), day_of(lot["last_day"]), day_of(lot["to"])
                        )
                        record.out(EXTEND, {day_of(lot["last_day"]): moved})
                        record.into(EXTEND, {day_of(lot["to"]): moved})
            elif posting < 0:
                record.out(SPEND, lots.spend(-posting))
            else:
                record.into(EARN, lots.earn(posting, day))

    def _refund(
        self,
        lots: WalletLots,
        record: _Recorder,
        content: Mapping[str, Any],
        wallet: str,
        posting: int,
        day: ExpiryDay,
    ) -> None:
        """Give back what the sale spent to the lots it took them from (less what its
        earlier refunds gave back), take back what it earned from its own lot first."""
        sale = str(content.get("refers_to") or "")
        given = int(content.get("spent_returned", {}).get(wallet, 0))
        if "spent_returned" not in content:
            given = max(0, posting)  # an event from before the field: a net posting
        taken_back = given - posting
        sale_moves = [m for m in self.by_event.get(sale, []) if m.wallet == wallet]
        unrestored: dict[ExpiryDay, int] = {}
        for move in sale_moves:
            if move.kind == SPEND:
                unrestored[move.day] = unrestored.get(move.day, 0) - move.amount
        for refund in self.refunds.get(sale, []):
            if refund == record.event_id:
                continue
            for move in self.by_event.get(refund, []):
                if move.kind == RESTORE and move.wallet == wallet and move.day in unrestored:
                    unrestored[move.day] -= move.amount
        back, anew = lots.restore(given, {d: v for d, v in unrestored.items() if v > 0})
        record.into(RESTORE, back)
        if anew:
            record.into(EARN, lots.earn(anew, day))
        if taken_back > 0:
            earned_into = [m.day for m in sale_moves if m.kind == EARN]
            own = earned_into[0] if earned_into else day
            record.out(TAKE_BACK, lots.take_back(taken_back, own))
        elif taken_back < 0:
            record.into(EARN, lots.earn(-taken_back, day))

    def _note_refund(self, refund: str, sale: str) -> None:
        known = self.refunds.setdefault(sale, [])
        if refund not in known:
            known.append(refund)

    def expire(self, member_id: str, wallet: str, balance: int, event_id: str, before: date) -> int:
        """Empty the member's lots of ``wallet`` whose last day is before ``before``
        (an expiry event ``event_id``); what expired."""
        lots = self.lots_of(member_id, wallet, balance)
        gone = lots.expire(before)
        _Recorder(self, event_id, member_id, wallet).out(EXPIRE, gone)
        return sum(gone.values())

    # --- what the member sees ----------------------------------------------------------

    def next_expiry(self, member_id: str) -> list[dict[str, object]]:
        """Per wallet of the member, its soonest-expiring lot: ``{"wallet", "amount",
        "on"}`` (the last day it may be used); wallets where nothing expires left out.
        The member's lots must have been loaded."""
        found: list[dict[str, object]] = []
        for wallet, held in self.held(member_id):
            days = sorted(d for d, v in held.items() if d is not None and v > 0)
            if days:
                found.append({"wallet": wallet, "amount": held[days[0]], "on": days[0].isoformat()})
        return found

    # --- writing ---------------------------------------------------------------------

    def write(self, tx: Tx) -> None:
        """Store every changed lot and every move."""
        rows = []
        touched: dict[tuple[str, str], set[ExpiryDay]] = {}
        for move in self.moves:
            touched.setdefault((move.member_id, move.wallet), set()).add(move.day)
        for key, lots in self.wallets.items():
            before = self.stored.get(key, {})
            for day in set(before) | set(lots.lots) | touched.get(key, set()):
                now = lots.lots.get(day, 0)
                if before.get(day) != now:
                    rows.append((key[0], key[1], day_text(day), now))
        tx.executemany(
            "INSERT INTO lots (member_id, wallet, last_day, remaining) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (member_id, wallet, last_day) "
            "DO UPDATE SET remaining = excluded.remaining",
            sorted(rows),
        )
        merged: dict[tuple[str, str, str, str, str], int] = {}
        for move in self.moves:
            place = (move.event_id, move.member_id, move.wallet, day_text(move.day), move.kind)
            merged[place] = merged.get(place, 0) + move.amount
        tx.executemany(
            "INSERT INTO lot_moves (event_id, member_id, wallet, last_day, kind, amount) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(*place, amount) for place, amount in sorted(merged.items()) if amount],
        )
        for key in self.wallets:
            self.stored[key] = dict(self.wallets[key].lots)
        self.moves.clear()


@dataclass
class _Recorder:
    """Records one event's moves on one wallet of one member."""

    keeper: LotKeeper
    event_id: str
    member_id: str
    wallet: str

    def into(self, kind: str, amounts: Mapping[ExpiryDay, int]) -> None:
        self._add(kind, amounts, 1)

    def out(self, kind: str, amounts: Mapping[ExpiryDay, int]) -> None:
        self._add(kind, amounts, -1)

    def earned(self, lots: WalletLots, amount: int, day: ExpiryDay) -> None:
        """An earning that may be negative (then it is a spending)."""
        if amount >= 0:
            self.into(EARN, lots.earn(amount, day))
        else:
            self.out(SPEND, lots.spend(-amount))

    def _add(self, kind: str, amounts: Mapping[ExpiryDay, int], sign: int) -> None:
        for day in sorted(amounts, key=spend_order):
            if amounts[day]:
                move = Move(
                    self.event_id, self.member_id, self.wallet, day, sign * amounts[day], kind
                )
                self.keeper.moves.append(move)
                self.keeper.by_event.setdefault(self.event_id, []).append(move)


def earned_days(tx: Tx, member_ids: Sequence[str], wallet: str) -> dict[tuple[str, str], date]:
    """Per (member, lot day), the latest local business day of an earning into that lot
    (from ``lot_moves`` and the events that made them): when its points were earned."""
    found: dict[tuple[str, str], date] = {}
    if not member_ids:
        return found
    condition, params = tx.in_list("m.member_id", sorted(set(member_ids)))
    for member_id, last_day, business_time in tx.query(
        "SELECT m.member_id, m.last_day, e.document FROM lot_moves m JOIN events e "
        f"ON e.event_id = m.event_id WHERE {condition} AND m.wallet = ? AND m.kind = 'earn'",
        [*params, wallet],
    ):
        day = date.fromisoformat(str(json.loads(str(business_time))["business_time"])[:10])
        key = (str(member_id), str(last_day))
        if key not in found or day > found[key]:
            found[key] = day
    return found
