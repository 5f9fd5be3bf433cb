"""The wire protocol between a till and the central ledger, as pydantic v2 models.

Both ends import these models: the ledger validates every request with them and
publishes them as its OpenAPI document; the till validates every answer with them
before trusting it (guarantee 8). docs/PROTOCOL.md describes the endpoints.

Strictness:

* Requests (:class:`EventIn`, :class:`PushRequest`) forbid unknown fields and never
  coerce types: ``"5"`` is not a number of points and ``true`` is not a sequence
  number. A request the ledger cannot read is answered 422 with an
  :class:`ErrorResponse` naming the field.
* Answers are strictly typed as well but *ignore* unknown fields, so a newer ledger
  may add a field without breaking older tills.

Enumerations are ``Literal`` strings rather than ``Enum`` classes so that strict
validation accepts the same values whether the input is JSON text or a decoded dict.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from loyalty.events import Event, EventKind

PROTOCOL_VERSION = 1
"""Bumped on any incompatible change; the ledger serves it at ``GET /health``."""

MAX_EVENTS_PER_BATCH = 1000
"""A push carrying more events than this is refused with 413."""

MAX_BODY_BYTES = 4 * 1024 * 1024
"""A request body larger than this (4 MiB) is refused with 413."""

DEFAULT_CHANGES_LIMIT = 1000
MAX_CHANGES_LIMIT = 10_000

EventKindName = Literal["earn", "redeem", "refund", "adjust"]
EventStatus = Literal["accepted", "duplicate", "conflict", "rejected"]
StopCode = Literal["gap", "fork", "conflict", "malformed"]
MemberStatus = Literal["active", "blocked"]

_HASH_PATTERN = r"^[0-9a-f]{64}$"
# Points and amounts must fit a signed 64-bit database column with room to add up.
_MAX_POINTS = 10**12
_MAX_AMOUNT_MINOR = 10**15


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)


# --------------------------------------------------------------------------- requests


class EventIn(_Request):
    """One journal event on the wire: exactly the fields of ``Event.to_dict()``.

    The ledger recomputes ``hash`` from the other fields with
    :func:`loyalty.events.compute_hash`; an event whose hash does not match is
    *malformed* and stops the terminal's stream.
    """

    event_id: str = Field(min_length=1, max_length=64)
    """UUID made by the terminal; the ledger applies each id at most once."""
    terminal_id: str = Field(min_length=1, max_length=64)
    """Must be the authenticated terminal, else the whole batch is refused 403."""
    seq: int = Field(ge=1)
    """Position in the terminal's gapless sequence (1, 2, 3, ...)."""
    kind: EventKindName
    card: str = Field(min_length=1, max_length=64)
    points: int = Field(ge=-_MAX_POINTS, le=_MAX_POINTS)
    """Signed change to the member's balance."""
    amount_minor: int = Field(ge=0, le=_MAX_AMOUNT_MINOR)
    """Purchase amount (earn, refund) or discount (redeem) in minor units."""
    currency: str = Field(min_length=3, max_length=3)
    rule_version: int = Field(ge=1)
    """The programme rules version the till computed ``points`` under."""
    recorded_at: str = Field(max_length=64)
    """The till's clock (ISO 8601 UTC); recorded, never used for order."""
    prev_hash: str = Field(pattern=_HASH_PATTERN)
    hash: str = Field(pattern=_HASH_PATTERN)
    refers_to: str | None = Field(default=None, max_length=64)
    note: str = Field(default="", max_length=1000)

    @classmethod
    def from_event(cls, event: Event) -> EventIn:
        """The wire form of a journal event."""
        return cls.model_validate(event.to_dict())

    def to_event(self) -> Event:
        """The domain event, for hashing and chain checks."""
        return Event(
            event_id=self.event_id,
            terminal_id=self.terminal_id,
            seq=self.seq,
            kind=EventKind(self.kind),
            card=self.card,
            points=self.points,
            amount_minor=self.amount_minor,
            currency=self.currency,
            rule_version=self.rule_version,
            recorded_at=self.recorded_at,
            prev_hash=self.prev_hash,
            hash=self.hash,
            refers_to=self.refers_to,
            note=self.note,
        )


class PushRequest(_Request):
    """``POST /v1/events``: a batch of one terminal's events in sequence order."""

    terminal_id: str = Field(min_length=1, max_length=64)
    """Must be the authenticated terminal (else 403)."""
    events: list[EventIn]
    """At most :data:`MAX_EVENTS_PER_BATCH`; may be empty (a cheap status probe)."""


# ---------------------------------------------------------------------------- answers


class MemberState(_Answer):
    """A member as the ledger knows it now: the confirmed balance and status."""

    member_id: str
    card: str
    """The member's current card."""
    name: str
    tier: str
    balance: int
    """Confirmed points; negative after an overdraft found at sync."""
    status: MemberStatus
    flagged: bool
    """Set for review by a manager (overdraft, unknown or blocked card, rule mismatch)."""
    flag_reasons: list[str]
    """Distinct reasons, e.g. ``["overdraft"]``; empty when not flagged."""
    version: int
    """The ledger change number of this state; larger is newer. A till keeps the
    state with the highest version it has seen and ignores older ones."""


class EventResult(_Answer):
    """What the ledger did with one event of a push, in the order sent."""

    event_id: str
    seq: int
    status: EventStatus
    """``accepted`` (applied now), ``duplicate`` (applied before, a success),
    ``conflict`` (this id was applied with other content; not applied) or
    ``rejected`` (not applied: this event stopped the stream, or came after the stop)."""
    reason: str = ""
    """Empty for ``accepted``; words for a manager otherwise."""


class StopInfo(_Answer):
    """Where and why the terminal's stream stopped in this batch."""

    seq: int
    event_id: str
    code: StopCode
    reason: str


class PushResponse(_Answer):
    """The answer to a push, read in the same transaction that applied it."""

    results: list[EventResult]
    high_water: int
    """This terminal's highest sequence number the ledger has applied (gaplessly:
    every seq 1..high_water is applied). 0 when none."""
    last_hash: str
    """The hash of event ``high_water`` (the genesis hash when none)."""
    balances: list[MemberState]
    """Members touched by the batch (including by duplicates), as of this answer."""
    stopped_at: StopInfo | None = None
    """Set when an event stopped the stream; events after it were not applied."""


class RulesResponse(_Answer):
    """``GET /v1/rules``: one version of the programme rules."""

    version: int
    rules: dict[str, Any]
    """``ProgrammeRules.to_dict()`` of that version."""


class MemberChange(_Answer):
    """A member upsert in the changes feed: replace the cached member by card."""

    type: Literal["member"] = "member"
    member: MemberState


class RulesChange(_Answer):
    """A new programme rules version became current."""

    type: Literal["rules"] = "rules"
    version: int
    rules: dict[str, Any]
    change: int
    """The ledger change number (the order of this change in the feed)."""


class RevokedCardChange(_Answer):
    """A card was revoked (lost, replaced): events on it are recorded and flagged."""

    type: Literal["revoked_card"] = "revoked_card"
    card: str
    member_id: str
    revoked_at: str
    change: int


Change = Annotated[MemberChange | RulesChange | RevokedCardChange, Field(discriminator="type")]


class ChangesResponse(_Answer):
    """``GET /v1/changes``: what changed after a cursor, in ledger order.

    Every member, rules version or revoked card appears with its latest state; one
    that changed twice since the cursor appears once, at its newer position.
    """

    changes: list[Change]
    next_cursor: str
    """Opaque; pass it as ``since`` next time. Never goes backwards."""
    high_water: int
    """The calling terminal's high water, read in the same snapshot as ``changes``."""
    last_hash: str
    """The hash of the terminal's event ``high_water`` at the ledger (the genesis hash
    when none): the till checks it is its own event before trusting ``high_water``."""
    has_more: bool
    """True when more changes follow; pull again with ``next_cursor``."""


class MemberResponse(_Answer):
    """``GET /v1/members/{card}``: one member, and the caller's high water."""

    member: MemberState
    high_water: int


class HealthResponse(_Answer):
    """``GET /health`` (no auth): the server is up and its database answers."""

    status: Literal["ok"]
    protocol: int
    ledger_id: str


class ErrorResponse(_Answer):
    """Every error answer: a short machine code and a reason for people."""

    error: str
    """e.g. ``unauthenticated``, ``forbidden``, ``too_large``, ``invalid``, ``not_found``."""
    reason: str


__all__ = [
    "DEFAULT_CHANGES_LIMIT",
    "MAX_BODY_BYTES",
    "MAX_CHANGES_LIMIT",
    "MAX_EVENTS_PER_BATCH",
    "PROTOCOL_VERSION",
    "Change",
    "ChangesResponse",
    "ErrorResponse",
    "EventIn",
    "EventKindName",
    "EventResult",
    "EventStatus",
    "HealthResponse",
    "MemberChange",
    "MemberResponse",
    "MemberState",
    "MemberStatus",
    "PushRequest",
    "PushResponse",
    "RevokedCardChange",
    "RulesChange",
    "RulesResponse",
    "StopCode",
    "StopInfo",
]
