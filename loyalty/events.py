"""The event model: immutable, numbered, hash-chained records of what happened.

Every earn, redeem, refund or adjustment is one :class:`Event`. A terminal numbers its
events 1, 2, 3, ... without gaps and chains them: each event's ``prev_hash`` is the
``hash`` of the event before it (:data:`GENESIS_HASH` for the first), and ``hash`` is
SHA-256 over the canonical encoding of every other field. A changed, missing,
reordered or inserted event therefore breaks the chain visibly (guarantee 3).

The canonical encoding is JSON with sorted keys, compact separators and ASCII output,
so the till and the ledger (in any language) compute the same bytes. Device clocks
are recorded in ``recorded_at`` but never used for order: order is ``seq``.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from loyalty.errors import ChainBroken

GENESIS_HASH = "0" * 64


class EventKind(StrEnum):
    """What an event records. The sign of ``points`` follows from the kind."""

    EARN = "earn"
    """Points earned on a purchase (points > 0)."""
    REDEEM = "redeem"
    """Points spent as a discount (points < 0)."""
    REFUND = "refund"
    """An earlier earn taken back because the purchase was returned (points <= 0)."""
    ADJUST = "adjust"
    """A manager's correction with a reason (any sign)."""


@dataclass(frozen=True)
class Event:
    """One immutable journal entry. Field order is documentation only."""

    event_id: str
    """UUID made by the terminal; the ledger stores each id once (guarantee 2)."""
    terminal_id: str
    seq: int
    """Position in this terminal's gapless sequence, starting at 1."""
    kind: EventKind
    card: str
    points: int
    """Signed change to the member's balance."""
    amount_minor: int
    """Purchase amount (earn, refund) or discount (redeem), in minor units."""
    currency: str
    rule_version: int
    recorded_at: str
    """The terminal's clock, ISO 8601 UTC; recorded, never trusted for order."""
    prev_hash: str
    hash: str
    refers_to: str | None = None
    """For a refund: the event id of the earn it takes back."""
    note: str = ""
    """For an adjustment: the manager's reason."""

    def content(self) -> dict[str, Any]:
        """Every field but ``hash``: what the hash covers."""
        data = {name: getattr(self, name) for name in _CONTENT_FIELDS}
        data["kind"] = str(self.kind)
        return data

    def to_dict(self) -> dict[str, Any]:
        data = self.content()
        data["hash"] = self.hash
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Event:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["kind"] = EventKind(values["kind"])
        return cls(**values)


_CONTENT_FIELDS = tuple(f.name for f in fields(Event) if f.name != "hash")


_CANONICAL_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def canonical_bytes(content: dict[str, Any]) -> bytes:
    """The canonical encoding hashed into the chain: JSON, sorted keys, compact, ASCII."""
    return _CANONICAL_ENCODER.encode(content).encode("ascii")


def compute_hash(content: dict[str, Any]) -> str:
    """SHA-256 hex of the canonical encoding of ``content`` (which excludes ``hash``)."""
    return hashlib.sha256(canonical_bytes(content)).hexdigest()


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_event(
    *,
    terminal_id: str,
    seq: int,
    prev_hash: str,
    kind: EventKind,
    card: str,
    points: int,
    amount_minor: int,
    currency: str,
    rule_version: int,
    refers_to: str | None = None,
    note: str = "",
    event_id: str | None = None,
    recorded_at: str | None = None,
) -> Event:
    """Make the next event of a chain, with a fresh UUID and its hash."""
    _check_sign(kind, points)
    draft = Event(
        event_id=event_id or str(uuid.uuid4()),
        terminal_id=terminal_id,
        seq=seq,
        kind=kind,
        card=card,
        points=points,
        amount_minor=amount_minor,
        currency=currency,
        rule_version=rule_version,
        recorded_at=recorded_at or utc_now_iso(),
        prev_hash=prev_hash,
        hash="",
        refers_to=refers_to,
        note=note,
    )
    return replace(draft, hash=compute_hash(draft.content()))


def _check_sign(kind: EventKind, points: int) -> None:
    if kind is EventKind.EARN and points < 0:
        raise ValueError("an earn cannot take points away")
    if kind is EventKind.REDEEM and points >= 0:
        raise ValueError("a redemption must spend points")
    if kind is EventKind.REFUND and points > 0:
        raise ValueError("a refund cannot give points")


def verify_event(event: Event) -> None:
    """Raise :class:`ChainBroken` if the event's hash does not match its content."""
    if compute_hash(event.content()) != event.hash:
        raise ChainBroken(
            f"Event {event.seq} of terminal {event.terminal_id} was altered "
            "(its hash does not match its content)."
        )


def verify_chain(
    events: Iterable[Event], *, start_seq: int = 1, start_hash: str = GENESIS_HASH
) -> int:
    """Check a terminal's events in order; return how many were checked.

    Raises :class:`ChainBroken` naming the first gap, reordering, foreign event,
    altered event or broken link.
    """
    expected_seq, expected_prev = start_seq, start_hash
    terminal: str | None = None
    count = 0
    for event in events:
        if terminal is None:
            terminal = event.terminal_id
        elif event.terminal_id != terminal:
            raise ChainBroken(
                f"Event {event.seq} belongs to terminal {event.terminal_id}, not {terminal}."
            )
        if event.seq != expected_seq:
            raise ChainBroken(
                f"Terminal {terminal}: expected event {expected_seq}, found {event.seq} (a gap)."
            )
        if event.prev_hash != expected_prev:
            raise ChainBroken(
                f"Terminal {terminal}: event {event.seq} does not follow event "
                f"{event.seq - 1} (the hash chain is broken)."
            )
        verify_event(event)
        expected_seq, expected_prev = event.seq + 1, event.hash
        count += 1
    return count
