"""The till's half of sync: :class:`sync.local.LocalSide` over the local store.

Every write here is one SQLite transaction. In particular the confirmed balances and
the high-water mark that says which of this till's events they include are always
written together, so the balance shown (confirmed + events above the mark) never
counts an event twice or misses one (guarantee 4).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from loyalty.events import GENESIS_HASH, Event
from loyalty.programme import ProgrammeRules
from pos_client.store import CONFIRMED_SEQ, RULES, LocalStore
from pos_client.store.transaction import write_transaction
from sync.local import ParkedEvent
from sync.protocol import Change, MemberChange, MemberState, RevokedCardChange, RulesChange

PULL_CURSOR = "pull_cursor"
LAST_SYNC_AT = "last_sync_at"
"""When a sync last completed (push and pull), UTC; bounds offline redemption."""

_UPSERT_NEWER = """
    ON CONFLICT (card) DO UPDATE SET member_id = excluded.member_id, name = excluded.name,
      tier = excluded.tier, confirmed_points = excluded.confirmed_points,
      status = excluded.status, flagged = excluded.flagged,
      updated_at = excluded.updated_at, version = excluded.version
    WHERE excluded.version > members.version
"""


def _member_row(member: MemberState, now: str) -> tuple[object, ...]:
    return (
        member.card,
        member.member_id,
        member.name,
        member.tier,
        member.balance,
        member.status,
        int(member.flagged),
        now,
        member.version,
    )


class StoreSyncSide:
    """Implements :class:`sync.local.LocalSide` for one :class:`LocalStore`."""

    def __init__(self, store: LocalStore) -> None:
        self.store = store
        self.conn = store.conn

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[bool]:
        """An advisory lock file beside the database, held for one sync run.

        Two syncs of the same till in different processes would share the pull's
        staging tables; the second one waits for its next turn instead.
        """
        path = self.store.path.with_name(self.store.path.name + ".sync-lock")
        with path.open("a+b") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def confirmed_seq(self) -> int:
        return self.store.confirmed_seq

    def chain_agrees(self, seq: int, event_hash: str) -> bool:
        if seq == 0:
            return event_hash == GENESIS_HASH
        with self.store.lock:
            event = self.store.journal.get(seq)
        return event is not None and event.hash == event_hash

    def events_after(self, seq: int, limit: int) -> list[Event]:
        with self.store.lock:
            return self.store.journal.after(seq, limit)

    def settle(self, high_water: int, members: Sequence[MemberState]) -> None:
        now = _now()
        with self.store.lock, write_transaction(self.conn) as conn:
            conn.executemany(
                "INSERT INTO members (card, member_id, name, tier, confirmed_points, status, "
                "flagged, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)" + _UPSERT_NEWER,
                [_member_row(m, now) for m in members],
            )
            self._raise_confirmed(high_water)

    def _raise_confirmed(self, high_water: int) -> None:
        self.conn.execute(
            "UPDATE settings SET value = CAST(? AS TEXT) WHERE key = ? "
            "AND CAST(value AS INTEGER) < ?",
            [high_water, CONFIRMED_SEQ, high_water],
        )

    def park(self, event: ParkedEvent) -> None:
        with self.store.lock, write_transaction(self.conn) as conn:
            conn.execute(
                "INSERT INTO parked_events (seq, event_id, code, reason, parked_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (seq) DO UPDATE SET code = excluded.code, "
                "reason = excluded.reason, parked_at = excluded.parked_at",
                [event.seq, event.event_id, event.code, event.reason, _now()],
            )

    def parked(self) -> list[ParkedEvent]:
        with self.store.lock:
            rows = self.conn.execute(
                "SELECT seq, event_id, code, reason FROM parked_events ORDER BY seq"
            ).fetchall()
        return [ParkedEvent(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows]

    def pull_cursor(self) -> str | None:
        with self.store.lock:
            return self.store.settings.get(PULL_CURSOR)

    def begin_pull(self) -> None:
        with self.store.lock, write_transaction(self.conn) as conn:
            conn.execute("DELETE FROM pull_members")
            conn.execute("DELETE FROM pull_other")

    def stage_changes(self, changes: Sequence[Change]) -> None:
        now = _now()
        members = [c.member for c in changes if isinstance(c, MemberChange)]
        others: list[tuple[str, int, str]] = []
        for change in changes:
            if isinstance(change, RulesChange):
                others.append(("rules", change.change, json.dumps(change.rules)))
            elif isinstance(change, RevokedCardChange):
                others.append((f"revoked:{change.card}", change.change, change.card))
        with self.store.lock, write_transaction(self.conn) as conn:
            conn.executemany(
                "INSERT INTO pull_members VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (card) DO UPDATE SET member_id = excluded.member_id, "
                "name = excluded.name, tier = excluded.tier, "
                "confirmed_points = excluded.confirmed_points, status = excluded.status, "
                "flagged = excluded.flagged, updated_at = excluded.updated_at, "
                "version = excluded.version WHERE excluded.version > pull_members.version",
                [_member_row(m, now) for m in members],
            )
            conn.executemany(
                "INSERT INTO pull_other VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
                "change = excluded.change, payload = excluded.payload "
                "WHERE excluded.change > pull_other.change",
                others,
            )

    def finish_pull(self, next_cursor: str, high_water: int) -> int:
        new_rules: ProgrammeRules | None = None
        with self.store.lock, write_transaction(self.conn) as conn:
            updated = conn.execute(
                "INSERT INTO members (card, member_id, name, tier, confirmed_points, status, "
                "flagged, updated_at, version) SELECT card, member_id, name, tier, "
                "confirmed_points, status, flagged, updated_at, version FROM pull_members "
                "WHERE true" + _UPSERT_NEWER,
            ).rowcount
            for key, payload in conn.execute("SELECT key, payload FROM pull_other ORDER BY change"):
                if key == "rules":
                    new_rules = self._newer_rules(payload)
                    if new_rules is not None:
                        self.store.settings.set(RULES, json.dumps(new_rules.to_dict()))
                else:
                    conn.execute("UPDATE members SET status = 'blocked' WHERE card = ?", [payload])
            self.store.settings.set(PULL_CURSOR, next_cursor)
            self.store.settings.set(LAST_SYNC_AT, _now())
            self._raise_confirmed(high_water)
            conn.execute("DELETE FROM pull_members")
            conn.execute("DELETE FROM pull_other")
        if new_rules is not None:
            self.store.remember_rules(new_rules)
        return max(updated, 0)

    def _newer_rules(self, payload: str) -> ProgrammeRules | None:
        """The ledger's rules if newer than those stored (config rules never block)."""
        rules = ProgrammeRules.from_dict(json.loads(payload))
        stored = self.store.settings.get(RULES)
        if stored is not None and rules.version <= json.loads(stored)["version"]:
            return None
        return rules

    def pending(self) -> tuple[int, str | None]:
        with self.store.lock:
            row = self.conn.execute(
                "WITH c (mark) AS (SELECT CAST(value AS INTEGER) FROM settings WHERE key = ?) "
                "SELECT (SELECT COUNT(*) FROM journal, c WHERE seq > c.mark), "
                "(SELECT recorded_at FROM journal, c WHERE seq > c.mark ORDER BY seq LIMIT 1)",
                [CONFIRMED_SEQ],
            ).fetchone()
        return int(row[0]), (None if row[1] is None else str(row[1]))

    def cache_member(self, member: MemberState, high_water: int) -> bool:
        with self.store.lock, write_transaction(self.conn) as conn:
            overlap = conn.execute(
                "SELECT COUNT(*) FROM journal WHERE card = ? AND seq > "
                "(SELECT CAST(value AS INTEGER) FROM settings WHERE key = ?) AND seq <= ?",
                [member.card, CONFIRMED_SEQ, high_water],
            ).fetchone()[0]
            if overlap:
                return False  # the ledger's balance includes events we count as pending
            conn.execute(
                "INSERT INTO members (card, member_id, name, tier, confirmed_points, status, "
                "flagged, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)" + _UPSERT_NEWER,
                _member_row(member, _now()),
            )
        return True


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
