"""The event model: immutable, numbered, hash-chained records of what happened.

Every sale, redemption, refund, adjustment or action is one :class:`Event`. A
terminal numbers its events 1, 2, 3, ... without gaps and chains them: each event's
``prev_hash`` is the hash of the event before it (:data:`GENESIS_HASH` for the
first), and its hash is SHA-256 over the canonical encoding
(:mod:`loyalty.canonical`) of its content, every field but the hash. A changed,
missing, reordered or inserted event therefore breaks the chain visibly
(guarantee 3).

An event *is* its content: a mapping whose fields :mod:`loyalty.event_fields`
defines, once. Schema 2 content says ``"schema": 2`` and leaves absent optional
fields out; release 0.1.0's events (schema 1) keep their flat form and their hash.
Device clocks are recorded in ``recorded_at`` but never used for order: order is
``seq``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from loyalty.canonical import canonical_json, sha256_hex, sha256_of_encoded
from loyalty.errors import ChainBroken
from loyalty.event_fields import SCHEMA, event_problem, schema_of

GENESIS_HASH = "0" * 64


class EventKind(StrEnum):
    """What an event records."""

    SALE = "sale"
    """A basket sold to a member: what it earned and spent, with its inputs."""
    REDEEM = "redeem"
    """Points spent as a discount outside a basket."""
    REFUND = "refund"
    """Lines of an earlier sale returned: the difference it makes, computed."""
    ADJUST = "adjust"
    """A manager's correction with a reason."""
    ACTION = "action"
    """A non-purchase action the programme rewards (own bag, recycling)."""
    ENROL = "enrol"
    """A new member signed up at the till (their details and consent; no points)."""
    REPLACE = "replace"
    """A member's card replaced by a new one (lost, damaged); the old one is refused."""
    BLOCK = "block"
    """A member's card blocked (lost, stolen) before a new one is given."""
    EXPIRE = "expire"
    """The ledger's: lots that reached the end of their last day, emptied."""
    EXTEND = "extend"
    """The ledger's: lots whose last day an extend-only expiry rule moved later."""
    SETTLEMENT = "settlement"
    """The ledger's: what a settlement pays a member (dividend, monthly bonus, vouchers)."""
    CORRECTION = "correction"
    """The ledger's: a difference it posts to an event (an award over its cap, a sale
    rerated under the version in force)."""
    EARN = "earn"
    """Release 0.1.0 only: points earned on a typed amount."""


@dataclass(frozen=True)
class Event:
    """One immutable journal entry: its content and the hash over it."""

    content: Mapping[str, Any]
    """Every field but ``hash``, exactly as hashed."""
    hash: str
    encoded: str | None = field(default=None, compare=False, repr=False)
    """The canonical encoding of ``content`` when already made (by
    :func:`build_event`, which hashed it), so storing it does not encode it again."""

    @property
    def schema(self) -> int:
        return schema_of(self.content)

    @property
    def event_id(self) -> str:
        return str(self.content["event_id"])

    @property
    def terminal_id(self) -> str:
        return str(self.content["terminal_id"])

    @property
    def seq(self) -> int:
        return int(self.content["seq"])

    @property
    def kind(self) -> EventKind:
        return EventKind(self.content["kind"])

    @property
    def card(self) -> str:
        return str(self.content["card"])

    @property
    def member_id(self) -> str:
        """The member at the till; empty for release 0.1.0 events (card only)."""
        return str(self.content.get("member_id", ""))

    @property
    def recorded_at(self) -> str:
        return str(self.content["recorded_at"])

    @property
    def prev_hash(self) -> str:
        return str(self.content["prev_hash"])

    @property
    def refers_to(self) -> str | None:
        value = self.content.get("refers_to")
        return None if value is None else str(value)

    @property
    def currency(self) -> str:
        return str(self.content["currency"])

    @property
    def postings(self) -> dict[str, int]:
        """Signed change per account. A release 0.1.0 event posts its points to
        ``points``."""
        if self.schema == 1:
            points = int(self.content["points"])
            return {"points": points} if points else {}
        return dict(self.content.get("postings", {}))

    def get(self, name: str, default: Any = None) -> Any:
        """A field of the content (``basket``, ``programme``, ...)."""
        return self.content.get(name, default)

    def to_dict(self) -> dict[str, Any]:
        """The wire form: the content and the hash."""
        return {**self.content, "hash": self.hash}

    def document(self) -> str:
        """The content in the canonical encoding, as stored by the journal."""
        return self.encoded if self.encoded is not None else canonical_json(self.content)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Event:
        """An event from its wire form (content and ``hash``), unchecked."""
        content = {k: v for k, v in data.items() if k != "hash"}
        return cls(content, str(data["hash"]))


def compute_hash(content: Mapping[str, Any]) -> str:
    """SHA-256 hex of the canonical encoding of ``content`` (which excludes ``hash``)."""
    return sha256_hex(content)


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class MalformedEvent(ValueError):
    """An event's fields break the schema; the message names the field."""


def build_event(
    *,
    terminal_id: str,
    seq: int,
    prev_hash: str,
    kind: EventKind,
    event_id: str | None = None,
    recorded_at: str | None = None,
    **fields: Any,
) -> Event:
    """Make the next event of a chain (schema 2), with a fresh UUID and its hash.

    ``fields`` are the kind's fields (:mod:`loyalty.event_fields`); None values are
    left out. Raises :class:`MalformedEvent` if the result breaks the schema, so a
    till can never write an event the ledger would refuse for its form.
    """
    content: dict[str, Any] = {
        "schema": SCHEMA,
        "event_id": event_id or str(uuid.uuid4()),
        "terminal_id": terminal_id,
        "seq": seq,
        "kind": str(kind),
        "recorded_at": recorded_at or utc_now_iso(),
        "prev_hash": prev_hash,
    }
    content.update({k: v for k, v in fields.items() if v is not None})
    problem = event_problem(content)
    if problem is not None:
        raise MalformedEvent(f"{problem[0]} {problem[1]}")
    encoded = canonical_json(content)
    return Event(content, sha256_of_encoded(encoded), encoded)


def verify_event(event: Event) -> None:
    """Raise :class:`ChainBroken` if the event's hash does not match its content."""
    if compute_hash(event.content) != event.hash:
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
