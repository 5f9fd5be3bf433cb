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
import logging
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from loyalty.canonical import canonical_json, sha256_hex
from loyalty.events import GENESIS_HASH, Event
from loyalty.staff import StaffError, StaffMember, check_staff_id
from pos_client.holdings import Accrual, HeldOffer, HeldVoucher
from pos_client.store import CONFIRMED_SEQ, CachedMember, LocalStore
from pos_client.store.card_events import reapply_unconfirmed
from pos_client.store.card_ranges import numbers_left, store_ranges
from pos_client.store.epochs import LEDGER_EPOCH, begin_epoch, finish_epoch, push_position, settled
from pos_client.store.integrity import note_tip
from pos_client.store.member_events import MEMBER_EVENTS, UNCONFIRMED
from pos_client.store.member_states import (
    PULLED,
    apply_staged,
    revoke_cards,
    stage_states,
    store_states,
)
from pos_client.store.members import Expiring
from pos_client.store.parked import voids_between
from pos_client.store.staff import store_staff
from pos_client.store.token_memory import store_keyset
from pos_client.store.transaction import read_transaction, write_transaction
from sync.errors import InvalidAnswer
from sync.local import ParkedEvent
from sync.protocol import (
    CardRange,
    Change,
    KeysetChange,
    MemberChange,
    MemberState,
    ProductChange,
    ProgrammeChange,
    RevokedCardChange,
    StaffChange,
    Void,
)

log = logging.getLogger(__name__)

PULL_CURSOR = "pull_cursor"
LAST_SYNC_AT = "last_sync_at"
"""When a sync last completed with its push at the journal's tip, UTC: what the
offline limits count from (a pull alone does not move it)."""


def _member_row(member: MemberState, now: str) -> tuple[object, ...]:
    return CachedMember(
        card=member.card,
        member_id=member.member_id,
        name=member.name,
        tier=member.tier,
        status=member.status,
        flagged=member.flagged,
        updated_at=now,
        version=member.version,
        accounts=member.accounts,
        rewards=tuple((r.id, r.reward) for r in member.rewards),
        expiring=tuple(Expiring.of(e.model_dump()) for e in member.expiring),
        progress=None
        if member.progress is None
        else (member.progress.window, member.progress.count),
        birthday=member.birthday,
        birthday_claimed=member.birthday_claimed,
        vouchers=tuple(HeldVoucher.of(v.model_dump()) for v in member.vouchers),
        offers=tuple(HeldOffer.of(o.model_dump()) for o in member.offers),
        accrued=tuple(Accrual.of(a.model_dump()) for a in member.accrued),
        phone=member.phone,
        flag_reasons=tuple(member.flag_reasons),
    ).row()


class StoreSyncSide:
    """Implements :class:`sync.local.LocalSide` for one :class:`LocalStore`."""

    def __init__(self, store: LocalStore, member_qr_root: str | None = None) -> None:
        self.store = store
        self.conn = store.conn
        self.member_qr_root = member_qr_root
        """The pinned root key that a keyset from the feed must be signed by."""

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
        event = self.store.journal.get(seq)
        return event is not None and event.hash == event_hash

    def events_after(self, seq: int, limit: int) -> list[Event]:
        return self.store.journal.after(seq, limit)

    def settle(self, high_water: int, members: Sequence[MemberState]) -> None:
        now = _now()
        with write_transaction(self.conn) as conn:
            store_states(conn, [_member_row(m, now) for m in members], newer_only=True)
            self._raise_confirmed(high_water)
            settled(conn, self.store.settings, high_water)
            reapply_unconfirmed(conn)

    def _raise_confirmed(self, high_water: int) -> None:
        self.conn.execute(
            "UPDATE settings SET value = CAST(? AS TEXT) WHERE key = ? "
            "AND CAST(value AS INTEGER) < ?",
            [high_water, CONFIRMED_SEQ, high_water],
        )

    def park(self, event: ParkedEvent) -> None:
        with write_transaction(self.conn) as conn:
            conn.execute(
                "INSERT INTO parked_events (seq, event_id, code, reason, parked_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (seq) DO UPDATE SET code = excluded.code, "
                "reason = excluded.reason, parked_at = excluded.parked_at",
                [event.seq, event.event_id, event.code, event.reason, _now()],
            )

    def parked(self) -> list[ParkedEvent]:
        rows = self.conn.execute(
            "SELECT seq, event_id, code, reason FROM parked_events ORDER BY seq"
        ).fetchall()
        return [ParkedEvent(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows]

    def voids(self, first: int, last: int) -> list[Void]:
        return voids_between(self.conn, first, last)

    def pull_cursor(self) -> str | None:
        return self.store.settings.get(PULL_CURSOR)

    def begin_pull(self) -> None:
        with write_transaction(self.conn) as conn:
            conn.execute(f"DELETE FROM {PULLED}")
            conn.execute("DELETE FROM pull_products")
            conn.execute("DELETE FROM pull_other")

    def stage_changes(self, changes: Sequence[Change]) -> None:
        now = _now()
        members = [c.member for c in changes if isinstance(c, MemberChange)]
        products = [c for c in changes if isinstance(c, ProductChange)]
        others: list[tuple[str, int, str]] = []
        for change in changes:
            if isinstance(change, ProgrammeChange):
                if sha256_hex(change.document) != change.content_hash:
                    raise InvalidAnswer(
                        f"Programme version {change.version} from the ledger does not match "
                        "its content hash; it was not stored."
                    )
                others.append(
                    (f"programme:{change.version}", change.change, change.model_dump_json())
                )
            elif isinstance(change, RevokedCardChange):
                others.append((f"revoked:{change.card}", change.change, change.model_dump_json()))
            elif isinstance(change, StaffChange):
                others.append(
                    (f"staff:{_staff_id(change)}", change.change, change.model_dump_json())
                )
            elif isinstance(change, KeysetChange):
                others.append(("keyset", change.change, change.model_dump_json()))
        with write_transaction(self.conn) as conn:
            stage_states(conn, PULLED, [_member_row(m, now) for m in members], newer_only=True)
            conn.executemany(
                "INSERT INTO pull_products VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sku) DO UPDATE "
                "SET name = excluded.name, price_minor = excluded.price_minor, tags = "
                "excluded.tags, active = excluded.active, change = excluded.change "
                "WHERE excluded.change > pull_products.change",
                [
                    (
                        p.sku,
                        p.name,
                        p.price_minor,
                        json.dumps(sorted(p.tags)),
                        int(p.active),
                        p.change,
                    )
                    for p in products
                ],
            )
            conn.executemany(
                "INSERT INTO pull_other VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
                "change = excluded.change, payload = excluded.payload "
                "WHERE excluded.change > pull_other.change",
                others,
            )

    def finish_pull(self, next_cursor: str, high_water: int, fresh: bool = True) -> int:
        with write_transaction(self.conn) as conn:
            updated = apply_staged(conn, PULLED, newer_only=True)
            conn.execute(
                "INSERT INTO products SELECT * FROM pull_products WHERE true "
                "ON CONFLICT (sku) DO UPDATE SET name = excluded.name, price_minor = "
                "excluded.price_minor, tags = excluded.tags, active = excluded.active, "
                "change = excluded.change WHERE excluded.change > products.change"
            )
            revoked: list[tuple[str, str, str]] = []
            staff: list[tuple[StaffMember, int]] = []
            for key, payload in conn.execute("SELECT key, payload FROM pull_other ORDER BY change"):
                if key.startswith("programme:"):
                    self._store_version(ProgrammeChange.model_validate_json(payload))
                elif key.startswith("staff:"):
                    staff.append(_staff_member(StaffChange.model_validate_json(payload)))
                elif key == "keyset":
                    keyset = KeysetChange.model_validate_json(payload)
                    refused = store_keyset(
                        self.store.settings, keyset.document, keyset.signature, self.member_qr_root
                    )
                    if refused is not None:
                        log.warning("The keyset in the changes feed was not stored: %s", refused)
                else:
                    card = RevokedCardChange.model_validate_json(payload)
                    revoked.append((card.card, card.member_id, card.revoked_at))
            revoke_cards(conn, revoked)
            store_staff(conn, staff)
            self.store.settings.set(PULL_CURSOR, next_cursor)
            if fresh:
                self.store.settings.set(LAST_SYNC_AT, _now())
            finish_epoch(conn, self.store.settings, high_water)
            self._raise_confirmed(high_water)
            reapply_unconfirmed(conn)
            conn.execute(f"DELETE FROM {PULLED}")
            conn.execute("DELETE FROM pull_products")
            conn.execute("DELETE FROM pull_other")
        self.store.generation += 1
        note_tip(self.store)  # once a sync run: the identity learns the journal's tip
        return updated

    def _store_version(self, change: ProgrammeChange) -> None:
        """Versions are immutable: a number is stored once (a newer change of the same
        number, after a ledger was rebuilt, replaces it)."""
        self.conn.execute(
            "INSERT INTO programme_versions VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (version) DO "
            "UPDATE SET effective_from = excluded.effective_from, effective_utc = "
            "excluded.effective_utc, content_hash = "
            "excluded.content_hash, document = excluded.document, change = excluded.change "
            "WHERE excluded.change > programme_versions.change",
            [
                change.version,
                change.effective_from,
                change.effective_utc,
                change.content_hash,
                canonical_json(change.document),
                change.change,
            ],
        )

    def pending(self) -> tuple[int, str | None]:
        """Events the ledger does not hold: after the push position (below the
        confirmed mark while events a restored ledger lost go again)."""
        with read_transaction(self.conn) as conn:
            mark = push_position(self.store.settings)
            row = conn.execute(
                "SELECT (SELECT COUNT(*) FROM journal WHERE seq > ?), "
                "(SELECT recorded_at FROM journal WHERE seq > ? ORDER BY seq LIMIT 1)",
                [mark, mark],
            ).fetchone()
        return int(row[0]), (None if row[1] is None else str(row[1]))

    def pending_after(self, seq: int) -> tuple[int, str | None]:
        """(events after ``seq``, recorded_at of the first of them): what stays
        unconfirmed beyond a request carrying the events up to ``seq`` (the till's
        report, :class:`sync.protocol.TillReport`)."""
        with read_transaction(self.conn) as conn:
            row = conn.execute(
                "SELECT (SELECT COUNT(*) FROM journal WHERE seq > ?), "
                "(SELECT recorded_at FROM journal WHERE seq > ? ORDER BY seq LIMIT 1)",
                [seq, seq],
            ).fetchone()
        return int(row[0]), (None if row[1] is None else str(row[1]))

    def ledger_epoch(self) -> str | None:
        return self.store.settings.get(LEDGER_EPOCH)

    def remember_epoch(self, epoch: str) -> None:
        with write_transaction(self.conn):
            self.store.settings.set(LEDGER_EPOCH, epoch)

    def push_position(self) -> int:
        with read_transaction(self.conn):
            return push_position(self.store.settings)

    def begin_epoch(self, epoch: str, high_water: int) -> None:
        with write_transaction(self.conn) as conn:
            begin_epoch(conn, self.store.settings, epoch, high_water)
        self.store.generation += 1

    def cache_member(self, member: MemberState, high_water: int) -> bool:
        """Store a member found by an online lookup, unless the ledger's balance
        already includes events of this member that the till still counts as
        unconfirmed (on any of their cards): then it would count them twice, and
        the next sync settles the member instead."""
        with write_transaction(self.conn) as conn:
            overlap = conn.execute(
                f"SELECT COUNT(*) FROM journal WHERE {UNCONFIRMED} AND seq <= :high_water "
                f"AND {MEMBER_EVENTS}",
                {"member_id": member.member_id, "high_water": high_water},
            ).fetchone()[0]
            if overlap:
                return False
            store_states(conn, [_member_row(member, _now())], newer_only=True)
            reapply_unconfirmed(conn)
        return True

    def store_card_ranges(self, ranges: Sequence[CardRange]) -> None:
        """Keep the card number ranges the ledger gave this till (a range already
        held keeps its next number)."""
        with write_transaction(self.conn) as conn:
            store_ranges(conn, [(r.first, r.last) for r in ranges])

    def card_numbers_left(self) -> int:
        return numbers_left(self.conn)


def _staff_id(change: StaffChange) -> str:
    """The staff number of a staff change, or :class:`InvalidAnswer` for one no event
    could name as its operator."""
    try:
        return check_staff_id(change.staff_id)
    except StaffError as error:
        raise InvalidAnswer(f"A staff change from the ledger is unusable: {error}") from None


def _staff_member(change: StaffChange) -> tuple[StaffMember, int]:
    """A staged staff change as the till stores it, with its change number."""
    member = StaffMember(
        staff_id=change.staff_id,
        name=change.name,
        role=change.role,
        pin_hash=change.pin_hash,
        badge=change.badge,
        stores=tuple(change.stores),
        active=change.active,
    )
    return member, change.change


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
