"""Parked events and what a manager decided about them, in the local store.

``parked_events`` holds the events the ledger refused (the sync engine writes them);
``parked_resolutions`` (migration m012) holds a manager's decision per event:
``retry`` (send it again as it is) or ``void`` (send it with a
:class:`sync.protocol.Void`, so the ledger keeps it in the chain and applies
nothing). Recording a decision un-parks the event in the same transaction, so the
next push sends it; a later decision about the same event replaces the earlier one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from pos_client.store.transaction import write_transaction
from sync.protocol import Void


@dataclass(frozen=True)
class Resolution:
    """A manager's decision about a parked event."""

    seq: int
    event_id: str
    decision: str
    """``retry`` or ``void``."""
    manager: str
    note: str
    decided_at: str
    """UTC, ISO 8601."""


@dataclass(frozen=True)
class ParkedRow:
    seq: int
    event_id: str
    code: str
    reason: str
    parked_at: str


def parked_rows(conn: sqlite3.Connection) -> list[ParkedRow]:
    rows = conn.execute(
        "SELECT seq, event_id, code, reason, parked_at FROM parked_events ORDER BY seq"
    ).fetchall()
    return [ParkedRow(int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4])) for r in rows]


def resolutions(conn: sqlite3.Connection) -> dict[int, Resolution]:
    """Every recorded decision, by sequence number."""
    rows = conn.execute(
        "SELECT seq, event_id, decision, manager, note, decided_at FROM parked_resolutions"
    ).fetchall()
    return {
        int(r[0]): Resolution(int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]))
        for r in rows
    }


def resolve(
    conn: sqlite3.Connection,
    seq: int,
    decide: Callable[[ParkedRow | None], Resolution],
) -> Resolution:
    """In one transaction: read parked event ``seq`` (None when it is not parked),
    let ``decide`` make the resolution (or raise, and nothing is written), record it
    and un-park the event."""
    with write_transaction(conn):
        row = conn.execute(
            "SELECT seq, event_id, code, reason, parked_at FROM parked_events WHERE seq = ?",
            [seq],
        ).fetchone()
        found = None if row is None else ParkedRow(int(row[0]), *(str(v) for v in row[1:]))
        resolution = decide(found)
        conn.execute(
            "INSERT INTO parked_resolutions (seq, event_id, decision, manager, note, decided_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (seq) DO UPDATE SET event_id = "
            "excluded.event_id, decision = excluded.decision, manager = excluded.manager, "
            "note = excluded.note, decided_at = excluded.decided_at",
            [
                resolution.seq,
                resolution.event_id,
                resolution.decision,
                resolution.manager,
                resolution.note,
                resolution.decided_at,
            ],
        )
        conn.execute("DELETE FROM parked_events WHERE seq = ?", [seq])
    return resolution


def voids_between(conn: sqlite3.Connection, first: int, last: int) -> list[Void]:
    """The voids a manager decided for events ``first`` to ``last``, in order."""
    rows = conn.execute(
        "SELECT seq, event_id, manager, note, decided_at FROM parked_resolutions "
        "WHERE decision = 'void' AND seq BETWEEN ? AND ? ORDER BY seq",
        [first, last],
    ).fetchall()
    return [
        Void(
            seq=int(r[0]),
            event_id=str(r[1]),
            manager=str(r[2]),
            note=str(r[3]),
            decided_at=str(r[4]),
        )
        for r in rows
    ]
