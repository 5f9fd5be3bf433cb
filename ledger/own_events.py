"""The ledger's own events: its settlements, in its own hash chain.

Expiry and period settlements are events like the tills' (schema 2, canonical
document, hash, ``events`` row), appended by the ledger under the terminal id
:data:`ledger.terminals.LEDGER_TERMINAL`, store ``ledger``, so the changes feed,
``verify`` and a replay treat them as any other. The chain's terminal row is
revoked from the start and has no token, so nothing can push as the ledger.

Pushes run beside each other (:mod:`ledger.locking`); this chain is appended to only
while holding the ``ledger_seq`` counter, which every append takes first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ledger.db import Tx
from ledger.event_store import insert_events
from ledger.member_book import WorkingMember
from ledger.terminals import LEDGER_TERMINAL, record_position, terminal_position
from loyalty.canonical import canonical_json
from loyalty.events import Event, EventKind, build_event, utc_now_iso

LEDGER_STORE = "ledger"
"""The ``store`` of the ledger's own events."""


@dataclass(frozen=True)
class OwnEvent:
    """One event the ledger appends for a member: its kind's fields and postings,
    its business time and currency."""

    event_id: str
    member: WorkingMember
    kind: EventKind
    fields: Mapping[str, Any]
    at: datetime
    currency: str


def append_own_events(tx: Tx, events: Sequence[OwnEvent]) -> list[Event]:
    """Append ``events`` to the ledger's own chain, after every event applied so far
    (they take the next numbers of the ledger's order); the events."""
    if not events:
        return []
    # The ledger's order is the chain's serialization point: taking its numbers
    # first locks the ``ledger_seq`` counter until commit (ledger.db), so two
    # pushes beside each other append to this chain one after the other.
    first = tx.allocate("ledger_seq", len(events))
    _register_ledger_terminal(tx)
    seq, prev_hash = terminal_position(tx, LEDGER_TERMINAL)
    now = utc_now_iso()
    rows = []
    built: list[Event] = []
    for index, own in enumerate(events):
        event = build_event(
            terminal_id=LEDGER_TERMINAL,
            seq=seq + index + 1,
            prev_hash=prev_hash,
            kind=own.kind,
            event_id=own.event_id,
            recorded_at=now,
            card=own.member.card,
            member_id=own.member.member_id,
            business_time=own.at.isoformat(timespec="seconds"),
            store=LEDGER_STORE,
            currency=own.currency,
            **{**own.fields, "postings": dict(sorted(own.fields["postings"].items()))},
        )
        prev_hash = event.hash
        built.append(event)
        rows.append(
            (
                own.event_id,
                LEDGER_TERMINAL,
                event.seq,
                str(own.kind),
                event.card,
                event.member_id,
                now,
                own.at.astimezone(UTC).isoformat(),
                event.get("refers_to"),
                event.prev_hash,
                event.hash,
                canonical_json(event.postings),
                event.document(),
                first + index,
                "",
                now,
            )
        )
    insert_events(tx, rows)
    if built:
        record_position(tx, LEDGER_TERMINAL, built[-1].seq, built[-1].hash, now)
    return built


def _register_ledger_terminal(tx: Tx) -> None:
    if tx.one("SELECT 1 FROM terminals WHERE terminal_id = ?", (LEDGER_TERMINAL,)) is None:
        now = utc_now_iso()
        tx.execute(
            "INSERT INTO terminals (terminal_id, token_sha256, created_at, revoked_at) "
            "VALUES (?, ?, ?, ?)",
            (LEDGER_TERMINAL, "the ledger's own events: no token", now, now),
        )
