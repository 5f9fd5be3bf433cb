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

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, Tag

from loyalty.event_fields import event_problem
from loyalty.events import Event

PROTOCOL_VERSION = 1
"""Bumped on any incompatible change; the ledger serves it at ``GET /health``."""

MAX_EVENTS_PER_BATCH = 1000
"""A push carrying more events than this is refused with 413."""

MAX_BODY_BYTES = 4 * 1024 * 1024
"""A request body larger than this (4 MiB) is refused with 413."""

DEFAULT_CHANGES_LIMIT = 1000
MAX_CHANGES_LIMIT = 10_000

EventStatus = Literal["accepted", "duplicate", "conflict", "rejected"]
StopCode = Literal["gap", "fork", "conflict", "malformed"]
MemberStatus = Literal["active", "blocked"]

_HASH = re.compile(r"^[0-9a-f]{64}$")


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)


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


class PushRequest(_Request):
    """``POST /v1/events``: a batch of one terminal's events in sequence order."""

    terminal_id: str = Field(min_length=1, max_length=64)
    """Must be the authenticated terminal (else 403)."""
    events: list[WireEvent]
    """At most :data:`MAX_EVENTS_PER_BATCH`; may be empty (a cheap status probe)."""


# ---------------------------------------------------------------------------- answers


class RewardHeld(_Answer):
    """An issued reward a member holds (from a completed stamp card, say)."""

    id: str
    reward: str
    """The programme's reward id (``free-coffee``)."""


class Expiring(_Answer):
    """A wallet's soonest-expiring lot: ``amount`` may be used up to and including
    the local day ``on`` (``YYYY-MM-DD``), then it expires."""

    wallet: str
    amount: int
    on: str


class TierProgress(_Answer):
    """The member's tier metric counted in a window, as of their latest event at the
    ledger; the programme's ``[tiers.qualify]`` says what it counts. The window is a
    label of :mod:`loyalty.tier_windows`: a year (``"2026"``), the 12 months ending
    with a month (``"2026-03"``) or a membership year (``"2026-04-15/2027-04-14"``)."""

    window: str
    count: int


class VoucherHeld(_Answer):
    """A bonus voucher the member holds: issued by the ledger, not used yet."""

    number: str
    """``VCH-...``, printed as Code 128."""
    value_minor: int
    currency: str
    min_spend_minor: int = 0
    """The basket must be paid at least this before the voucher."""
    valid_until: str
    """The last local day it may be used (``YYYY-MM-DD``)."""


class OfferHeld(_Answer):
    """A personal offer assigned to the member, with uses left."""

    id: str
    template: str
    """The programme's ``[[offer_templates]]`` id: what it takes off, and its offline
    policy."""
    valid_from: str
    valid_until: str
    """The first and last local days it may be used (``YYYY-MM-DD``)."""
    uses_left: int
    """Uses left as the ledger counts them (a till subtracts its own unsynced uses)."""


class Accrued(_Answer):
    """What a period settlement would pay the member for a period so far (a member
    dividend accrued this year): provisional until the period is settled."""

    settlement: str
    period: str
    """``2026`` or ``2026-03``."""
    amount: int
    """Minor units of the programme currency (a money wallet, or a voucher's value)."""
    wallet: str | None = None
    """The wallet it will be paid into; None: paid as a voucher."""


class MemberState(_Answer):
    """A member as the ledger knows it now: the confirmed balance and status."""

    member_id: str
    card: str
    """The member's current card."""
    name: str
    tier: str
    balance: int
    """Confirmed ``points`` account (kept for release 0.1.0 tills; see ``accounts``)."""
    accounts: dict[str, int] = Field(default_factory=dict)
    """Confirmed balance of every account: wallets, ``stamps:<card>``,
    ``qualifying_spend``; zeros left out. Negative after an overdraft or a refund of
    points already spent (a debt)."""
    rewards: list[RewardHeld] = Field(default_factory=list)
    """Issued rewards the member holds and may use."""
    status: MemberStatus
    flagged: bool
    """Set for review by a manager (overdraft, unknown or blocked card, rule mismatch)."""
    flag_reasons: list[str]
    """Distinct reasons, e.g. ``["overdraft"]``; empty when not flagged."""
    version: int
    """The ledger change number of this state; larger is newer. A till keeps the
    state with the highest version it has seen and ignores older ones."""
    expiring: list[Expiring] = Field(default_factory=list)
    """Per wallet with lots that expire, the soonest one (the ledger's lots)."""
    progress: TierProgress | None = None
    """Tier qualification so far, for programmes that qualify tiers."""
    birthday: str = ""
    """The member's birthday as ``MM-DD`` (never the year), empty when unknown: the
    till opens the birthday reward's window from it, offline too."""
    birthday_claimed: int = 0
    """The year of the birthday whose reward the member last used (0: never)."""
    vouchers: list[VoucherHeld] = Field(default_factory=list)
    """Bonus vouchers the member holds."""
    offers: list[OfferHeld] = Field(default_factory=list)
    """Personal offers the member holds."""
    accrued: list[Accrued] = Field(default_factory=list)
    """Period settlements accrued so far for the member's latest period."""


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


class UnknownChange(_Answer):
    """A change of a kind this till does not know: read, then left out of
    :attr:`ChangesResponse.changes` (a newer ledger may announce more kinds of change
    than an older till acts on; that is not a failed pull)."""

    type: Any = None


CHANGE_TYPES: frozenset[str] = frozenset({"member", "programme", "product", "revoked_card"})


def _change_kind(value: Any) -> str:
    """The discriminator: a change's ``type``, or ``unknown`` for any other.

    A function rather than a field discriminator with a filter before validation: a
    validator before the list made pydantic build Python objects of the whole page
    first, which doubled the time a first pull of a million members spends here."""
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return kind if isinstance(kind, str) and kind in CHANGE_TYPES else "unknown"


Change = MemberChange | ProgrammeChange | ProductChange | RevokedCardChange
"""A change this till acts on (:attr:`ChangesResponse.changes` holds only these)."""

_AnyChange = Annotated[
    Annotated[MemberChange, Tag("member")]
    | Annotated[ProgrammeChange, Tag("programme")]
    | Annotated[ProductChange, Tag("product")]
    | Annotated[RevokedCardChange, Tag("revoked_card")]
    | Annotated[UnknownChange, Tag("unknown")],
    Discriminator(_change_kind),
]


def _known_changes(changes: list[Any]) -> list[Any]:
    return [c for c in changes if not isinstance(c, UnknownChange)]


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
    "Accrued",
    "Change",
    "ChangesResponse",
    "ErrorResponse",
    "EventResult",
    "EventStatus",
    "HealthResponse",
    "MemberChange",
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
    "StopCode",
    "StopInfo",
    "VoucherHeld",
    "WireEvent",
    "event_from_wire",
    "wire_event",
    "wire_problem",
]
