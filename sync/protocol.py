"""The wire protocol between a till and the central ledger, as pydantic v2 models.

Both ends import these models: the ledger validates every request with them and
publishes them as its OpenAPI document; the till validates every answer with them
before trusting it (guarantee 8). docs/PROTOCOL.md describes the endpoints.

Strictness:

* Requests (:class:`PushRequest`) forbid unknown fields and never coerce types. The
  events inside are checked against the one field table of
  :mod:`loyalty.event_fields` (:func:`wire_problem`): ``"5"`` is not a number of
  points and ``true`` is not a sequence number. A request the ledger cannot read is
  answered 422 with an :class:`ErrorResponse` naming the field.
* Answers are strictly typed as well but *ignore* unknown fields, so a newer ledger
  may add a field without breaking older tills.

Enumerations are ``Literal`` strings rather than ``Enum`` classes so that strict
validation accepts the same values whether the input is JSON text or a decoded dict.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, Discriminator, Field, Tag

from loyalty.event_fields import event_problem
from loyalty.events import Event
from sync.history_wire import (
    DEFAULT_HISTORY_LIMIT,
    MAX_HISTORY_LIMIT,
    HistoryEvent,
    MemberHistoryResponse,
)
from sync.journal_wire import DEFAULT_JOURNAL_LIMIT as DEFAULT_JOURNAL_LIMIT
from sync.journal_wire import MAX_JOURNAL_LIMIT as MAX_JOURNAL_LIMIT
from sync.journal_wire import StoredEvent as StoredEvent
from sync.journal_wire import TerminalEventsResponse as TerminalEventsResponse
from sync.member_wire import (
    Accrued,
    MemberState,
    MemberStatus,
    OfferHeld,
    RewardHeld,
    VoucherHeld,
)
from sync.till_report import MAX_REPORT_TEXT as MAX_REPORT_TEXT
from sync.till_report import TillReport as TillReport
from sync.unknowns import note_unknown
from sync.wire_base import _Answer, _Request

PROTOCOL_VERSION = 1
"""Bumped on any incompatible change; the ledger serves it at ``GET /health``."""

MAX_EVENTS_PER_BATCH = 1000
"""A push carrying more events than this is refused with 413."""

MAX_BODY_BYTES = 4 * 1024 * 1024
"""A request body larger than this (4 MiB) is refused with 413."""

TILL_EPOCH_HEADER = "Till-Epoch"
"""Request header: the ledger epoch the till last saw (docs/PROTOCOL.md, "Epochs")."""
TILL_CONFIRMED_HEADER = "Till-Confirmed"
"""Request header: the highest of the till's events the ledger confirmed in that
epoch. Headers rather than body fields, so that an older ledger ignores them."""

DEFAULT_CHANGES_LIMIT = 1000
MAX_CHANGES_LIMIT = 10_000

EventStatus = Literal["accepted", "duplicate", "conflict", "rejected"]
StopCode = Literal["gap", "fork", "conflict", "malformed"]

_HASH = re.compile(r"^[0-9a-f]{64}$")


# --------------------------------------------------------------------------- requests


WireEvent = Annotated[
    dict[str, Any],
    Field(
        description=(
            "One journal event: its content (the fields of loyalty.event_fields, schema 2; "
            "or release 0.1.0's flat schema 1) and its hash. The ledger checks every field "
            "(422 naming it) and recomputes the hash (a mismatch is malformed)."
        )
    ),
]


def wire_event(event: Event) -> dict[str, Any]:
    """The wire form of a journal event: its content and its hash."""
    return event.to_dict()


def event_from_wire(data: dict[str, Any]) -> Event:
    """The domain event of a wire event whose fields were checked."""
    return Event.from_dict(data)


def wire_problem(data: dict[str, Any]) -> tuple[str, str] | None:
    """``(field, problem)`` for the first field of a wire event that breaks its schema."""
    if not isinstance(data.get("hash"), str) or not _HASH.match(data["hash"]):
        return "hash", "must be 64 hex digits"
    return event_problem({k: v for k, v in data.items() if k != "hash"})


class Void(_Request):
    """A manager's decision at the till that a parked event must not count.

    The ledger stores the event in the terminal's chain as sent (its hash and link
    are checked, its fields are not), applies nothing of it, flags it ``voided`` and
    lists it as an anomaly naming the manager and the note, so the stream goes on."""

    seq: int = Field(ge=1)
    event_id: str = Field(min_length=1, max_length=64)
    manager: str = Field(min_length=1, max_length=64)
    """The staff number of the manager who decided."""
    note: str = Field(min_length=1, max_length=1000)
    decided_at: str = Field(min_length=1, max_length=64)


class PushRequest(_Request):
    """``POST /v1/events``: a batch of one terminal's events in sequence order."""

    terminal_id: str = Field(min_length=1, max_length=64)
    """Must be the authenticated terminal (else 403)."""
    events: list[WireEvent]
    """At most :data:`MAX_EVENTS_PER_BATCH`; may be empty (a cheap status probe)."""
    voids: list[Void] = Field(default_factory=list)
    """Events of this batch a manager voided (left out of the request when empty)."""
    report: TillReport | None = None
    """The till's report on itself (left out when the ledger is not known to keep it)."""


# ---------------------------------------------------------------------------- answers


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
    epoch: str = ""
    """The ledger's epoch (:mod:`ledger.epochs`): a new one after a restore. A till
    that sees it change resets its cursor and sends again what the ledger lost. Empty
    from a ledger without epochs."""
    reports: bool = False
    """True from a ledger that keeps a till's report (:class:`TillReport`): the till
    may send one with its later pushes. False (absent) from an older ledger. The
    changes feed says the same (:attr:`ChangesResponse.reports`)."""


class ProgrammeVersionState(_Answer):
    """One published programme version: immutable, content-hashed, effective-dated."""

    version: int
    effective_from: str
    """Local wall time in the programme's time zone (``2026-12-01T00:00``), for people."""
    effective_utc: str
    """The same start as an instant (ISO 8601, UTC): what tills compare with."""
    content_hash: str
    """SHA-256 of the canonical document; the till checks it before storing."""
    document: dict[str, Any]
    """The programme document (docs/PROGRAMMES.md) in its JSON form."""


class RulesResponse(ProgrammeVersionState):
    """``GET /v1/rules``: the programme version in force now."""


class MemberChange(_Answer):
    """A member upsert in the changes feed: replace the cached member by card."""

    type: Literal["member"] = "member"
    member: MemberState


class ProgrammeChange(ProgrammeVersionState):
    """A programme version was published (it travels ahead of its start)."""

    type: Literal["programme"] = "programme"
    change: int
    """The ledger change number (the order of this change in the feed)."""


class ProductChange(_Answer):
    """A product of the catalogue was added or changed."""

    type: Literal["product"] = "product"
    sku: str
    """The product's barcode number (EAN-13, EAN-8; UPC-A as its EAN-13 form)."""
    name: str
    price_minor: int
    tags: list[str]
    active: bool
    """False: withdrawn from sale (kept so old receipts still read)."""
    change: int


class RevokedCardChange(_Answer):
    """A card was revoked (lost, replaced): events on it are recorded and flagged."""

    type: Literal["revoked_card"] = "revoked_card"
    card: str
    member_id: str
    revoked_at: str
    change: int


class StaffChange(_Answer):
    """A staff member added or changed (role, PIN, disabled): tills check PINs offline
    against ``pin_hash`` (salted scrypt, :mod:`loyalty.staff`)."""

    type: Literal["staff"] = "staff"
    staff_id: str
    name: str
    role: Literal["cashier", "manager"]
    pin_hash: str
    badge: str = ""
    stores: list[str] = Field(default_factory=list)
    """Empty: every store."""
    active: bool
    change: int


class KeysetChange(_Answer):
    """The keyset of member QR token keys (docs/MEMBER_QR.md): the document and the
    programme root key's signature over it. A till stores it only when the root key
    pinned in its configuration verifies it and its ``number`` is above the one held
    (:mod:`loyalty.token_keys`); the feed carries only the newest."""

    type: Literal["keyset"] = "keyset"
    document: dict[str, Any]
    signature: str
    change: int


class CardRange(_Answer):
    """Card numbers the ledger set aside for one till's enrolments: the twelve-digit
    bodies ``first`` to ``last`` (each number is its body and EAN-13 check digit).
    No other till is given any of them, so two offline tills never collide."""

    first: int
    last: int


class CardRangesResponse(_Answer):
    """``POST /v1/card-ranges``: every range this terminal holds, a new one included."""

    ranges: list[CardRange]


class UnknownChange(_Answer):
    """A change of a kind this till does not know: read, then left out of
    :attr:`ChangesResponse.changes` (a newer ledger may announce more kinds of change
    than an older till acts on; that is not a failed pull)."""

    type: Any = None


CHANGE_TYPES: frozenset[str] = frozenset(
    {"member", "programme", "product", "revoked_card", "staff", "keyset"}
)


def _change_kind(value: Any) -> str:
    """The discriminator: a change's ``type``, or ``unknown`` for any other.

    A function rather than a field discriminator with a filter before validation: a
    validator before the list made pydantic build Python objects of the whole page
    first, which doubled the time a first pull of a million members spends here."""
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return kind if isinstance(kind, str) and kind in CHANGE_TYPES else "unknown"


Change = (
    MemberChange | ProgrammeChange | ProductChange | RevokedCardChange | StaffChange | KeysetChange
)
"""A change this till acts on (:attr:`ChangesResponse.changes` holds only these)."""

_AnyChange = Annotated[
    Annotated[MemberChange, Tag("member")]
    | Annotated[ProgrammeChange, Tag("programme")]
    | Annotated[ProductChange, Tag("product")]
    | Annotated[RevokedCardChange, Tag("revoked_card")]
    | Annotated[StaffChange, Tag("staff")]
    | Annotated[KeysetChange, Tag("keyset")]
    | Annotated[UnknownChange, Tag("unknown")],
    Discriminator(_change_kind),
]


def _known_changes(changes: list[Any]) -> list[Any]:
    known = []
    for change in changes:
        if isinstance(change, UnknownChange):
            note_unknown("change type", str(change.type), "such changes are skipped")
        else:
            known.append(change)
    return known


if TYPE_CHECKING:
    KnownChanges = list[Change]
else:  # read with any kind of change, holding only the known ones afterwards
    KnownChanges = Annotated[list[_AnyChange], AfterValidator(_known_changes)]


class ChangesResponse(_Answer):
    """``GET /v1/changes``: what changed after a cursor, in ledger order.

    Every member, programme version, product or revoked card appears with its latest
    state; one
    that changed twice since the cursor appears once, at its newer position.
    """

    changes: KnownChanges
    next_cursor: str
    """Opaque; pass it as ``since`` next time. Never goes backwards."""
    high_water: int
    """The calling terminal's high water, read in the same snapshot as ``changes``."""
    last_hash: str
    """The hash of the terminal's event ``high_water`` at the ledger (the genesis hash
    when none): the till checks it is its own event before trusting ``high_water``."""
    has_more: bool
    """True when more changes follow; pull again with ``next_cursor``."""
    card_ranges: list[CardRange] = Field(default_factory=list)
    """The card number ranges the ledger gave this terminal for enrolments."""
    reports: bool = False
    """As :attr:`PushResponse.reports`: this ledger keeps a till's report."""
    epoch: str = ""
    """The ledger's epoch (:mod:`ledger.epochs`): a new one after a restore. A till
    that sees it change resets its cursor and sends again what the ledger lost. Empty
    from a ledger without epochs."""


class MemberResponse(_Answer):
    """``GET /v1/members/{card}``: one member, and the caller's high water."""

    member: MemberState
    high_water: int


class HealthResponse(_Answer):
    """``GET /health`` (no auth): the server is up and its database answers."""

    status: Literal["ok"]
    protocol: int
    ledger_id: str
    epoch: str = ""


class ErrorResponse(_Answer):
    """Every error answer: a short machine code and a reason for people."""

    error: str
    """e.g. ``unauthenticated``, ``forbidden``, ``too_large``, ``invalid``, ``not_found``."""
    reason: str


__all__ = [
    "DEFAULT_CHANGES_LIMIT",
    "DEFAULT_HISTORY_LIMIT",
    "MAX_BODY_BYTES",
    "MAX_CHANGES_LIMIT",
    "MAX_EVENTS_PER_BATCH",
    "MAX_HISTORY_LIMIT",
    "MAX_REPORT_TEXT",
    "PROTOCOL_VERSION",
    "TILL_CONFIRMED_HEADER",
    "TILL_EPOCH_HEADER",
    "Accrued",
    "CardRange",
    "CardRangesResponse",
    "Change",
    "ChangesResponse",
    "ErrorResponse",
    "EventResult",
    "EventStatus",
    "HealthResponse",
    "HistoryEvent",
    "MemberChange",
    "MemberHistoryResponse",
    "MemberResponse",
    "MemberState",
    "MemberStatus",
    "OfferHeld",
    "ProductChange",
    "ProgrammeChange",
    "ProgrammeVersionState",
    "PushRequest",
    "PushResponse",
    "RevokedCardChange",
    "RewardHeld",
    "RulesResponse",
    "StaffChange",
    "StopCode",
    "StopInfo",
    "TillReport",
    "Void",
    "VoucherHeld",
    "WireEvent",
    "event_from_wire",
    "wire_event",
    "wire_problem",
]
