"""The store's day in the local store: a day's events, its close, staff names.

A business day is the local date of an event's ``business_time`` (the till's wall
clock with its offset when the event was recorded), so an evening sale stays on its
day whatever the UTC date. Release 0.1.0's events carry no ``business_time``; for
them the date of ``recorded_at`` (UTC) stands in.

``day_closes`` (migration m012) holds one row per closed day; the primary key on the
day makes closing twice impossible even for two processes at once.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import date
from typing import Any

from loyalty.events import Event
from pos_client.store.journal import row_to_event
from pos_client.store.transaction import write_transaction

_DAY_OF_EVENT = "substr(COALESCE(json_extract(document, '$.business_time'), recorded_at), 1, 10)"


def events_of_day(conn: sqlite3.Connection, day: date) -> list[Event]:
    """This till's events of business day ``day``, in sequence order."""
    rows = conn.execute(
        f"SELECT document, hash FROM journal WHERE {_DAY_OF_EVENT} = ? ORDER BY seq",
        [day.isoformat()],
    ).fetchall()
    return [row_to_event(r) for r in rows]


@dataclass(frozen=True)
class DayCloseRow:
    """A closed day as stored: when, by whom, the approval, the report (JSON)."""

    day: date
    closed_at: str
    closed_by: str
    approval: dict[str, Any] | None
    report: dict[str, Any]


def day_close(conn: sqlite3.Connection, day: date) -> DayCloseRow | None:
    row = conn.execute(
        "SELECT closed_at, closed_by, approval, report FROM day_closes WHERE day = ?",
        [day.isoformat()],
    ).fetchone()
    if row is None:
        return None
    return DayCloseRow(
        day=day,
        closed_at=str(row[0]),
        closed_by=str(row[1]),
        approval=None if row[2] is None else json.loads(row[2]),
        report=json.loads(row[3]),
    )


def record_day_close(conn: sqlite3.Connection, close: DayCloseRow) -> bool:
    """Store ``close`` in one transaction; False (nothing written) if the day is
    already closed."""
    with write_transaction(conn):
        cursor = conn.execute(
            "INSERT INTO day_closes (day, closed_at, closed_by, approval, report) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (day) DO NOTHING",
            [
                close.day.isoformat(),
                close.closed_at,
                close.closed_by,
                None if close.approval is None else json.dumps(close.approval, sort_keys=True),
                json.dumps(close.report, sort_keys=True, ensure_ascii=False),
            ],
        )
        return cursor.rowcount == 1
