"""The staff this till knows, and the wrong PINs typed at it.

``staff`` holds the staff the ledger sent in the changes feed (the pull's last
transaction writes it, newest change first: :func:`store_staff`); a till checks a
PIN against the salted hash kept there, offline. ``pin_failures`` counts wrong PINs
in a row per staff number at this till and says until when someone is locked out.
It is on disk, so closing the till (or a crash) does not give anyone fresh tries.

Rows of ``pin_failures`` exist only for staff numbers the till knows: the caller
looks the person up first, so typing unknown numbers fills nothing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from loyalty.staff import LOCKOUT_MINUTES, LOCKOUT_TRIES, StaffMember, check_role
from pos_client.store.transaction import write_transaction

_COLUMNS = "staff_id, name, role, pin_hash, badge, stores, active"


@dataclass(frozen=True)
class Failures:
    """Wrong PINs in a row for one person at this till, after the latest one."""

    count: int
    """Wrong PINs in a row (0 once a lockout starts: they get fresh tries after it)."""
    locked_until: datetime | None
    """The end of the lockout this failure started (UTC), or None."""

    @property
    def tries_left(self) -> int:
        return LOCKOUT_TRIES - self.count


def store_staff(conn: sqlite3.Connection, changes: Iterable[tuple[StaffMember, int]]) -> None:
    """Write staff with their ledger change numbers, in the caller's transaction. A
    change older than the one stored is ignored (the newest change wins)."""
    conn.executemany(
        f"INSERT INTO staff ({_COLUMNS}, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (staff_id) DO UPDATE SET name = excluded.name, role = excluded.role, "
        "pin_hash = excluded.pin_hash, badge = excluded.badge, stores = excluded.stores, "
        "active = excluded.active, version = excluded.version "
        "WHERE excluded.version > staff.version",
        [
            (
                s.staff_id,
                s.name,
                s.role,
                s.pin_hash,
                s.badge,
                json.dumps(list(s.stores)),
                int(s.active),
                change,
            )
            for s, change in changes
        ],
    )


class StaffStore:
    """Reads ``staff`` and keeps ``pin_failures`` of one connection (callers hold
    the store's lock)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def find(self, who: str) -> StaffMember | None:
        """The person with staff number ``who``, else the one whose badge reads
        ``who`` (a staff number wins over a badge code that happens to equal it)."""
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM staff WHERE staff_id = :who OR (badge != '' AND "
            "badge = :who) ORDER BY staff_id = :who DESC, staff_id LIMIT 1",
            {"who": who},
        ).fetchone()
        return None if row is None else _member(row)

    def names(self) -> dict[str, str]:
        """Staff number to name, for everyone the ledger sent (none: ``{}``)."""
        return {
            str(r[0]): str(r[1]) for r in self._conn.execute("SELECT staff_id, name FROM staff")
        }

    def everyone(self) -> list[StaffMember]:
        """Every person the till knows, disabled ones too, by staff number."""
        rows = self._conn.execute(f"SELECT {_COLUMNS} FROM staff ORDER BY staff_id")
        return [_member(r) for r in rows]

    def working_at(self, store: str) -> list[StaffMember]:
        """The active staff who work at ``store``, by staff number."""
        rows = self._conn.execute(
            f"SELECT {_COLUMNS} FROM staff WHERE active = 1 ORDER BY staff_id"
        ).fetchall()
        return [m for m in map(_member, rows) if m.works_at(store)]

    def locked_until(self, staff_id: str, now: datetime) -> datetime | None:
        """When the lockout of ``staff_id`` at this till ends, if it has not yet."""
        row = self._conn.execute(
            "SELECT locked_until FROM pin_failures WHERE staff_id = ?", [staff_id]
        ).fetchone()
        if row is None or row[0] is None:
            return None
        until = datetime.fromisoformat(str(row[0]))
        return until if now < until else None

    def fail(self, staff_id: str, now: datetime) -> Failures:
        """Count one wrong PIN for ``staff_id``; the :data:`LOCKOUT_TRIES`-th in a row
        locks them out for :data:`LOCKOUT_MINUTES` from ``now``. One transaction, so
        two tills' processes on one file (or two threads) never lose a count."""
        with write_transaction(self._conn) as conn:
            row = conn.execute(
                "SELECT failures FROM pin_failures WHERE staff_id = ?", [staff_id]
            ).fetchone()
            count = (0 if row is None else int(row[0])) + 1
            until = None
            if count >= LOCKOUT_TRIES:
                count = 0
                until = now.astimezone(UTC) + timedelta(minutes=LOCKOUT_MINUTES)
            conn.execute(
                "INSERT INTO pin_failures (staff_id, failures, locked_until) VALUES (?, ?, ?) "
                "ON CONFLICT (staff_id) DO UPDATE SET failures = excluded.failures, "
                "locked_until = excluded.locked_until",
                [staff_id, count, None if until is None else until.isoformat()],
            )
        return Failures(count, until)

    def failures(self, staff_id: str) -> int:
        """Wrong PINs in a row so far (0 when none, or since the last lockout)."""
        row = self._conn.execute(
            "SELECT failures FROM pin_failures WHERE staff_id = ?", [staff_id]
        ).fetchone()
        return 0 if row is None else int(row[0])

    def succeed(self, staff_id: str) -> None:
        """A right PIN: the count starts again."""
        with write_transaction(self._conn) as conn:
            conn.execute("DELETE FROM pin_failures WHERE staff_id = ?", [staff_id])


def _member(row: sqlite3.Row | tuple[object, ...]) -> StaffMember:
    return StaffMember(
        staff_id=str(row[0]),
        name=str(row[1]),
        role=check_role(str(row[2])),
        pin_hash=str(row[3]),
        badge=str(row[4]),
        stores=tuple(json.loads(str(row[5]))),
        active=bool(row[6]),
    )
