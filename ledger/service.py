"""Applying a batch of one terminal's events: the heart of exactly-once.

Everything happens in one serialized write transaction (:meth:`Database.write`):
the events, the balances they change, the anomalies they raise, the terminal's new
high water, and the reading of the answer. Either all of it commits or none of it
does, so a crash or a lost answer can only lead to the same batch being pushed again,
which then finds its events already stored and answers ``duplicate``.

Per event, in the order sent:

1. Already stored under this ``event_id`` (or earlier in this batch) with the same
   content: ``duplicate``, a success, not applied again. With other content:
   ``conflict``, and the stream stops.
2. Malformed (:func:`ledger.checks.malformed_reason`): the stream stops.
3. ``seq`` must be ``high_water + 1`` (else ``gap`` if beyond, ``fork`` if that
   position already holds another event) and ``prev_hash`` must be the hash of the
   event at ``high_water`` (else ``fork``): otherwise the stream stops.
4. Otherwise the event is applied: stored, added to its member's balance, and
   flagged (never refused) for an overdraft, an unknown, blocked or revoked card, or
   points that differ from its rules version.

Events after a stop are answered ``rejected`` and not applied; the till sends them
again once a manager has dealt with the stopping event.

The work is set-based: one query for the terminal's position, one for known event
ids, two for the members of the cards involved, then one ``executemany`` per table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ledger import checks, members, rules
from ledger.db import Database, Tx
from ledger.terminals import terminal_position
from loyalty.events import utc_now_iso
from sync.protocol import EventIn, PushResponse

EVENT_COLUMNS = (
    "event_id, terminal_id, seq, kind, card, points, amount_minor, currency, "
    "rule_version, recorded_at, prev_hash, hash, refers_to, note"
)


@dataclass
class _Member:
    """A working copy of a member's row during one batch.

    The write lock is held from the read to the commit, so after :func:`_write` this
    copy *is* the stored row: the answer's balances are built from it.
    """

    member_id: str
    card: str
    name: str
    tier: str
    balance: int
    status: str
    reasons: set[str]
    version: int
    is_new: bool = False
    changed: bool = False

    def state(self) -> dict[str, object]:
        """The fields of :class:`sync.protocol.MemberState`."""
        return {
            "member_id": self.member_id,
            "card": self.card,
            "name": self.name,
            "tier": self.tier,
            "balance": self.balance,
            "status": self.status,
            "flagged": bool(self.reasons),
            "flag_reasons": sorted(self.reasons),
            "version": self.version,
        }


@dataclass
class _Batch:
    """What a batch decided, to be written in one go."""

    terminal_id: str
    high_water: int
    last_hash: str
    results: list[dict[str, object]] = field(default_factory=list)
    applied: list[tuple[EventIn, str, list[str]]] = field(default_factory=list)
    anomalies: list[tuple[str, str, int, str | None, str]] = field(default_factory=list)
    touched: set[str] = field(default_factory=set)
    stop: dict[str, object] | None = None


def _wire(event: EventIn) -> tuple[object, ...]:
    return (
        event.event_id,
        event.terminal_id,
        event.seq,
        event.kind,
        event.card,
        event.points,
        event.amount_minor,
        event.currency,
        event.rule_version,
        event.recorded_at,
        event.prev_hash,
        event.hash,
        event.refers_to,
        event.note,
    )


def push(db: Database, terminal_id: str, events: list[EventIn]) -> PushResponse:
    """Apply a batch already checked to belong to ``terminal_id``; see module doc."""
    return PushResponse.model_validate(push_answer(db, terminal_id, events))


def push_answer(db: Database, terminal_id: str, events: list[EventIn]) -> dict[str, object]:
    """:func:`push` returning the plain JSON-ready answer the HTTP route sends as is
    (the till validates it against :class:`PushResponse`)."""
    with db.write() as tx:
        high_water, last_hash = terminal_position(tx, terminal_id)
        batch = _Batch(terminal_id, high_water, last_hash)
        known = _known_events(tx, [e.event_id for e in events])
        book = _load_members(tx, {e.card for e in events})
        for event in events:
            _decide(tx, batch, known, book, event)
        _write(tx, batch, book)
        return {
            "results": batch.results,
            "high_water": batch.high_water,
            "last_hash": batch.last_hash,
            "balances": _balances(tx, book, batch.touched),
            "stopped_at": batch.stop,
        }


def _balances(tx: Tx, book: _MemberBook, touched: set[str]) -> list[dict[str, object]]:
    """States of the touched members as committed by this transaction, by member id."""
    in_book = [book.by_id[m].state() for m in sorted(touched) if m in book.by_id]
    # A duplicate may name a member whose card has since moved; read those.
    others = members.members_by_id(tx, [m for m in touched if m not in book.by_id])
    return sorted(in_book + others, key=lambda s: str(s["member_id"]))


def _known_events(tx: Tx, event_ids: list[str]) -> dict[str, tuple[tuple[object, ...], str]]:
    """Stored events among ``event_ids``: their wire content and member id."""
    if not event_ids:
        return {}
    condition, params = tx.in_list("event_id", event_ids)
    rows = tx.query(f"SELECT {EVENT_COLUMNS}, member_id FROM events WHERE {condition}", params)
    return {str(r[0]): (tuple(r[:14]), str(r[14])) for r in rows}


class _MemberBook:
    """The members of a batch's cards, looked up by card (current or revoked)."""

    def __init__(self) -> None:
        self.by_card: dict[str, _Member] = {}
        self.revoked: set[str] = set()
        self.by_id: dict[str, _Member] = {}

    def add(self, member: _Member, card: str | None = None) -> None:
        self.by_id.setdefault(member.member_id, member)
        self.by_card[card or member.card] = self.by_id[member.member_id]


def _load_members(tx: Tx, cards: set[str]) -> _MemberBook:
    book = _MemberBook()
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


def _from_row(row: tuple[object, ...]) -> _Member:
    state = members.member_dict(row)
    return _Member(
        member_id=state["member_id"],
        card=state["card"],
        name=state["name"],
        tier=state["tier"],
        balance=state["balance"],
        status=state["status"],
        reasons=set(state["flag_reasons"]),
        version=state["version"],
    )


def _decide(
    tx: Tx,
    batch: _Batch,
    known: dict[str, tuple[tuple[object, ...], str]],
    book: _MemberBook,
    event: EventIn,
) -> None:
    if batch.stop is not None:
        batch.results.append(
            _result(
                event, "rejected", f"Not applied: the stream stopped at event {batch.stop['seq']}."
            )
        )
        return
    prior = known.get(event.event_id)
    if prior is not None:
        if prior[0] == _wire(event):
            batch.touched.add(prior[1])
            batch.results.append(_result(event, "duplicate", "Already recorded."))
        else:
            _stop(batch, event, "conflict", "This event id was recorded with other content.")
        return
    problem = checks.malformed_reason(event)
    if problem is not None:
        _stop(batch, event, "malformed", problem)
    elif event.seq > batch.high_water + 1:
        _stop(batch, event, "gap", f"Expected event {batch.high_water + 1}, got {event.seq}.")
    elif event.seq <= batch.high_water:
        _stop(batch, event, "fork", f"Event {event.seq} was already recorded with another id.")
    elif event.prev_hash != batch.last_hash:
        _stop(
            batch,
            event,
            "fork",
            f"Event {event.seq} does not follow event {batch.high_water} (hash chain broken).",
        )
    else:
        _apply(tx, batch, known, book, event)


def _apply(
    tx: Tx,
    batch: _Batch,
    known: dict[str, tuple[tuple[object, ...], str]],
    book: _MemberBook,
    event: EventIn,
) -> None:
    member = book.by_card.get(event.card)
    flags: list[tuple[str, str]] = []
    if member is None:
        member = _Member(
            members.unknown_member_id(event.card),
            event.card,
            name="",
            tier=members.DEFAULT_TIER,
            balance=0,
            status="active",
            reasons=set(),
            version=0,
            is_new=True,
        )
        book.add(member)
        flags.append(("unknown_card", f"card {event.card} was not known to the ledger"))
    elif event.card in book.revoked:
        flags.append(("revoked_card", f"card {event.card} was revoked"))
    if member.status == "blocked":
        flags.append(("blocked_card", f"member {member.member_id} is blocked"))
    mismatch = checks.rule_findings(event, rules.rules_version(tx, event.rule_version))
    if mismatch is not None:
        flags.append(("rule_mismatch", mismatch))
    member.balance += event.points
    if event.points < 0 and member.balance < 0:
        flags.append(("overdraft", f"balance went to {member.balance}"))
    member.changed = True
    for kind, detail in flags:
        member.reasons.add(kind)
        batch.anomalies.append((kind, event.event_id, event.seq, member.member_id, detail))
    batch.applied.append((event, member.member_id, [k for k, _ in flags]))
    batch.touched.add(member.member_id)
    known[event.event_id] = (_wire(event), member.member_id)
    batch.high_water, batch.last_hash = event.seq, event.hash
    batch.results.append(_result(event, "accepted", ""))


def _stop(batch: _Batch, event: EventIn, code: str, reason: str) -> None:
    batch.stop = {"seq": event.seq, "event_id": event.event_id, "code": code, "reason": reason}
    batch.anomalies.append((code, event.event_id, event.seq, None, reason))
    status = "conflict" if code == "conflict" else "rejected"
    batch.results.append(_result(event, status, reason))


def _result(event: EventIn, status: str, reason: str) -> dict[str, object]:
    return {"event_id": event.event_id, "seq": event.seq, "status": status, "reason": reason}


def _write(tx: Tx, batch: _Batch, book: _MemberBook) -> None:
    now = utc_now_iso()
    if batch.applied:
        first = tx.allocate("ledger_seq", len(batch.applied))
        tx.executemany(
            f"INSERT INTO events ({EVENT_COLUMNS}, ledger_seq, member_id, flags, received_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (*_wire(event), first + i, member_id, ",".join(flags), now)
                for i, (event, member_id, flags) in enumerate(batch.applied)
            ],
        )
        tx.execute(
            "INSERT INTO terminal_state (terminal_id, high_water, last_hash, updated_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (terminal_id) DO UPDATE SET "
            "high_water = excluded.high_water, last_hash = excluded.last_hash, "
            "updated_at = excluded.updated_at",
            (batch.terminal_id, batch.high_water, batch.last_hash, now),
        )
    if batch.anomalies:
        tx.executemany(
            "INSERT INTO anomalies (kind, terminal_id, event_id, seq, member_id, detail, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [(k, batch.terminal_id, e, s, m, d, now) for k, e, s, m, d in batch.anomalies],
        )
    changed = sorted((m for m in book.by_id.values() if m.changed), key=lambda m: m.member_id)
    if not changed:
        return
    change = tx.allocate("changes", len(changed))
    for i, member in enumerate(changed):
        member.version = change + i
    tx.executemany(
        "INSERT INTO members (member_id, card, name, tier, opening_balance, balance, status, "
        "flagged, flag_reasons, change_no) VALUES (?, ?, '', ?, 0, ?, ?, 1, ?, ?)",
        [
            (
                m.member_id,
                m.card,
                m.tier,
                m.balance,
                m.status,
                members.encode_reasons(m.reasons),
                m.version,
            )
            for m in changed
            if m.is_new
        ],
    )
    tx.executemany(
        "UPDATE members SET balance = ?, flagged = ?, flag_reasons = ?, change_no = ? "
        "WHERE member_id = ?",
        [
            (
                m.balance,
                int(bool(m.reasons)),
                members.encode_reasons(m.reasons),
                change + i,
                m.member_id,
            )
            for i, m in enumerate(changed)
            if not m.is_new
        ],
    )
