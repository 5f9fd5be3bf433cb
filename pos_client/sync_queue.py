"""The sync queue as a store manager sees it: what waits, since when, what is parked.

:func:`queue_view` reads it in one go: the events the ledger has not confirmed (how
many, the oldest and its age), the link's state, the parked events with the
ledger's reason and whose event each is, and the decisions managers made that the
ledger has not confirmed yet. :func:`voidable` is the one rule of which parked
events a manager may void at the till.
"""

from __future__ import annotations

from dataclasses import dataclass

from loyalty.cards import mask_card_number
from pos_client.errors import ManagerActionRefused
from pos_client.store import LocalStore
from pos_client.store.parked import ParkedRow, Resolution, parked_rows, resolutions
from pos_client.store.sync_side import StoreSyncSide
from pos_client.store.transaction import read_transaction
from pos_client.views import TillStatus
from sync.engine import SyncStatus

VOIDABLE_CODES = frozenset({"refused", "malformed"})
"""Parked because the ledger cannot read or accept the event itself. A conflict, a gap
or a fork says the till's chain disagrees with the ledger's: no decision at one till
mends that, so head office must look."""


@dataclass(frozen=True)
class ParkedView:
    """One parked event, for the manager."""

    seq: int
    event_id: str
    code: str
    """``refused`` (a 4xx), ``malformed``, ``conflict``, ``gap`` or ``fork``."""
    reason: str
    """The ledger's words."""
    parked_at: str
    kind: str
    """The event's kind (``sale``, ``refund``, ...)."""
    member_name: str
    """The member's name when cached, else empty."""
    card: str
    """The event's card, masked."""
    voidable: bool
    """Whether a manager may void it here (:func:`voidable`)."""
    resolution: Resolution | None = None
    """The last decision about it, when it was parked again after one."""


@dataclass(frozen=True)
class QueueView:
    """The sync queue screen's facts."""

    pending: int
    """Events recorded here that the ledger has not confirmed."""
    oldest_pending_at: str | None
    oldest_pending_age_s: float | None
    last_sync: str | None
    ledger_state: str
    last_error: str | None
    parked: tuple[ParkedView, ...]
    decided: tuple[Resolution, ...]
    """Decisions about events not parked any more and not yet confirmed (on their way)."""


def voidable(code: str) -> bool:
    return code in VOIDABLE_CODES


def check_voidable(row: ParkedRow) -> None:
    """Raise :class:`ManagerActionRefused` unless a manager may void ``row``."""
    if not voidable(row.code):
        raise ManagerActionRefused(
            f"Event {row.seq} was stopped by the ledger as a {row.code}: this till's "
            "record disagrees with head office's, and voiding it here would not mend "
            "that. Call head office; nothing was recorded."
        )


def queue_view(store: LocalStore, status: TillStatus) -> QueueView:
    """The queue of ``store`` with the link's ``status`` (from ``Till.status()``)."""
    count, oldest = StoreSyncSide(store).pending()
    with read_transaction(store.conn):
        rows = parked_rows(store.conn)
        decisions = resolutions(store.conn)
        confirmed = store.confirmed_seq
        parked = tuple(_parked_view(store, row, decisions.get(row.seq)) for row in rows)
    parked_seqs = {row.seq for row in rows}
    return QueueView(
        pending=count,
        oldest_pending_at=oldest,
        oldest_pending_age_s=SyncStatus(oldest_pending_at=oldest).oldest_pending_age(),
        last_sync=status.last_sync,
        ledger_state=status.ledger_state,
        last_error=status.last_error,
        parked=parked,
        decided=tuple(
            d for seq, d in sorted(decisions.items()) if seq > confirmed and seq not in parked_seqs
        ),
    )


def _parked_view(store: LocalStore, row: ParkedRow, resolution: Resolution | None) -> ParkedView:
    event = store.journal.get(row.seq)
    kind = card = name = ""
    if event is not None:
        kind, card = str(event.kind), mask_card_number(event.card)
        cached = (
            store.members.get_by_id(event.member_id)
            if event.member_id
            else store.members.get(event.card)
        )
        name = cached.name if cached is not None else ""
    return ParkedView(
        seq=row.seq,
        event_id=row.event_id,
        code=row.code,
        reason=row.reason,
        parked_at=row.parked_at,
        kind=kind,
        member_name=name,
        card=card,
        voidable=voidable(row.code),
        resolution=resolution,
    )
