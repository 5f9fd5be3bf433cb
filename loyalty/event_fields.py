"""The fields of an event, defined once: names, which kinds carry them, their checks.

Everything that reads or writes events takes its field list from here: building an
event (:func:`loyalty.events.build_event`), the wire check at the ledger
(:func:`event_problem`, a 422 naming the field), the journal and the ledger's
tables, and docs/PROTOCOL.md (a test holds the document to this table).

Two schemas exist. Schema 2 (``"schema": 2`` in the content) is what tills write
now: optional fields are left out when absent, so a field added later never changes
the hash of an event already stored. Schema 1 is release 0.1.0's flat form (no
``schema`` key, every field present); such events still verify and sync.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from loyalty.enrolment import enrolment_problem
from loyalty.field_checks import (
    MAX_AMOUNT,
    Check,
    approval,
    bonus,
    expired_lot,
    extended_lot,
    hex_hash,
    identified_by,
    integer,
    json_object,
    list_of,
    null_or,
    offer_use,
    one_of,
    optional_text,
    postings,
    programme_ref,
    returned_line,
    reward_entry,
    settlement_ref,
    text,
    voucher_issued,
    voucher_use,
)

SCHEMA: Final = 2
"""The schema tills write."""

KINDS_V2: Final = frozenset(
    {
        "sale",
        "redeem",
        "refund",
        "adjust",
        "action",
        "expire",
        "extend",
        "settlement",
        "correction",
        "enrol",
        "replace",
        "block",
    }
)
MEMBER_KINDS: Final = frozenset({"enrol", "replace", "block"})
"""A till's events about the member and their cards rather than points: a sign-up,
a card replaced, a card blocked (their ``postings`` are empty)."""
LEDGER_KINDS: Final = frozenset({"expire", "extend", "settlement", "correction"})
"""Kinds only the ledger records (its settlements); a till's event of one is malformed."""
KINDS_V1: Final = frozenset({"earn", "redeem", "refund", "adjust"})
PRICED_KINDS: Final = frozenset({"sale", "redeem", "refund", "action"})
"""Kinds computed under a programme version (they name it in ``programme``)."""


@dataclass(frozen=True)
class EventField:
    """One field of the event content."""

    name: str
    check: Check
    required: frozenset[str]
    """Kinds that must carry it."""
    allowed: frozenset[str]
    """Kinds that may carry it (a superset of ``required``)."""
    doc: str


def _field(
    name: str, check: Check, required: frozenset[str], allowed: frozenset[str] | None, doc: str
) -> EventField:
    return EventField(name, check, required, allowed if allowed is not None else required, doc)


ALL: Final = KINDS_V2
NONE: Final = frozenset[str]()
SALE = frozenset({"sale"})
REFUND = frozenset({"refund"})
SETTLEMENT = frozenset({"settlement"})
CORRECTION = frozenset({"correction"})
TILL_KINDS = KINDS_V2 - LEDGER_KINDS
CARD_KINDS = frozenset({"replace", "block"})

FIELDS: Final[tuple[EventField, ...]] = (
    _field("schema", integer(SCHEMA, SCHEMA), ALL, None, "the event schema, 2"),
    _field("event_id", text(64), ALL, None, "UUID made by the till; the ledger stores it once"),
    _field("terminal_id", text(64), ALL, None, "the till that recorded it"),
    _field("seq", integer(1, 2**62), ALL, None, "place in the till's gapless sequence"),
    _field(
        "kind",
        one_of(KINDS_V2),
        ALL,
        None,
        "sale, redeem, refund, adjust, action, enrol, replace, block; the ledger's expire, "
        "extend, settlement, correction",
    ),
    _field("recorded_at", text(64), ALL, None, "the till's clock, UTC; never trusted for order"),
    _field("prev_hash", hex_hash, ALL, None, "hash of the till's previous event"),
    _field("card", text(64), ALL, None, "the card the member was identified by"),
    _field("member_id", text(64), ALL, None, "the member the card belonged to at the till"),
    _field("business_time", text(64), ALL, None, "local wall time with UTC offset"),
    _field("store", text(40), ALL, None, "the store of the till"),
    _field("currency", text(3), ALL, None, "ISO 4217 code of every amount"),
    _field("operator", text(64), NONE, ALL, "who was signed in at the till"),
    _field(
        "approval",
        approval,
        NONE,
        TILL_KINDS,
        "the manager who approved it, {manager, action, amount} (programme [approvals])",
    ),
    _field(
        "identified_by",
        identified_by,
        NONE,
        TILL_KINDS,
        "a member QR token's {via: token, replay_id} (docs/MEMBER_QR.md); absent: by card",
    ),
    _field(
        "programme",
        programme_ref,
        PRICED_KINDS,
        ALL,
        "{id, version, hash} of the programme version it was computed under",
    ),
    _field("postings", postings, ALL, None, "signed change per account (zeros left out)"),
    _field("basket", json_object, SALE, None, "sale: lines, tenders, rewards, points discount"),
    _field("member_snapshot", json_object, SALE, None, "sale: the member facts evaluated"),
    _field("outcome_hash", hex_hash, SALE | REFUND, None, "hash of the outcome or reversal"),
    _field("spent", postings, NONE, SALE, "sale: wallet units spent (points discount, rewards)"),
    _field("rewards_issued", list_of(reward_entry), NONE, SALE, "sale: rewards it issued"),
    _field("rewards_used", list_of(reward_entry), NONE, SALE, "sale: rewards it used"),
    _field(
        "bonuses",
        list_of(bonus),
        NONE,
        SALE,
        "sale: fixed bonuses it earned, {rule, wallet, amount} (the ledger caps them)",
    ),
    _field(
        "offers_used",
        list_of(offer_use),
        NONE,
        SALE,
        "sale: personal offers it used, {id, template, discount_minor}",
    ),
    _field(
        "vouchers_used",
        list_of(voucher_use),
        NONE,
        SALE,
        "sale: bonus vouchers it used, {number, discount_minor}",
    ),
    _field(
        "refers_to",
        text(64),
        REFUND | CORRECTION,
        None,
        "refund: the sale's event id; correction: the event corrected",
    ),
    _field("returned", list_of(returned_line), REFUND, None, "refund: units per line"),
    _field("refund_minor", integer(0, MAX_AMOUNT), REFUND, None, "refund: money given back"),
    _field(
        "rewards_revoked", list_of(text(200)), NONE, REFUND, "refund: issued rewards taken back"
    ),
    _field(
        "rewards_restored",
        list_of(reward_entry),
        NONE,
        REFUND,
        "refund: used rewards given back",
    ),
    _field(
        "spent_returned",
        postings,
        NONE,
        REFUND,
        "refund: wallet units its sale spent that it gives back",
    ),
    _field(
        "bonuses_returned",
        list_of(bonus),
        NONE,
        REFUND,
        "refund: fixed bonuses of its sale it takes back, {rule, wallet, amount}",
    ),
    _field(
        "discount_minor",
        integer(0, MAX_AMOUNT),
        frozenset({"redeem"}),
        None,
        "redeem: the discount the points bought",
    ),
    _field(
        "purchase_minor",
        integer(0, MAX_AMOUNT),
        NONE,
        frozenset({"redeem"}),
        "redeem: the purchase that capped the discount",
    ),
    _field("action", text(40), frozenset({"action"}), None, "action: the programme action id"),
    _field(
        "reason",
        text(40),
        frozenset({"adjust"}) | CORRECTION | CARD_KINDS,
        None,
        "adjust: the reason code; replace, block: lost, stolen, damaged, ...; correction "
        "(ledger): why (cap, stale_version, ...)",
    ),
    _field(
        "note",
        text(1000),
        NONE,
        frozenset({"adjust"}) | CORRECTION | CARD_KINDS,
        "adjust, replace, block: the manager's note; correction: the rule in words",
    ),
    _field(
        "new_card",
        text(64),
        frozenset({"replace"}),
        None,
        "replace: the member's new card (the old one is ``card``)",
    ),
    _field(
        "enrolment",
        enrolment_problem,
        frozenset({"enrol"}),
        None,
        "enrol: {name, phone, email, birth_date, privacy_accepted_at, marketing}",
    ),
    _field(
        "expired",
        list_of(expired_lot),
        frozenset({"expire"}),
        None,
        "expire (ledger): the lots emptied, {wallet, last_day, amount}",
    ),
    _field(
        "extended",
        list_of(extended_lot),
        frozenset({"extend"}),
        None,
        "extend (ledger): the lots whose last day moved later, {wallet, last_day, to, amount}",
    ),
    _field(
        "settlement",
        settlement_ref,
        SETTLEMENT,
        None,
        "settlement (ledger): {id, period} of the settlement it pays ({id} for a voucher "
        "at a threshold)",
    ),
    _field(
        "basis_minor",
        integer(-MAX_AMOUNT, MAX_AMOUNT),
        NONE,
        SETTLEMENT,
        "settlement (ledger): the period's qualifying spend it was computed on",
    ),
    _field(
        "vouchers_issued",
        list_of(voucher_issued),
        NONE,
        SETTLEMENT,
        "settlement (ledger): vouchers it issues, {number, value_minor, min_spend_minor, "
        "valid_until}",
    ),
)
"""Schema 2, in the order documentation lists them."""

FIELDS_V1: Final[tuple[EventField, ...]] = (
    _field("event_id", text(64), KINDS_V1, None, ""),
    _field("terminal_id", text(64), KINDS_V1, None, ""),
    _field("seq", integer(1, 2**62), KINDS_V1, None, ""),
    _field("kind", one_of(KINDS_V1), KINDS_V1, None, ""),
    _field("card", text(64), KINDS_V1, None, ""),
    _field("points", integer(-(10**12), 10**12), KINDS_V1, None, ""),
    _field("amount_minor", integer(0, MAX_AMOUNT), KINDS_V1, None, ""),
    _field("currency", text(3), KINDS_V1, None, ""),
    _field("rule_version", integer(1, 2**62), KINDS_V1, None, ""),
    _field("recorded_at", text(64), KINDS_V1, None, ""),
    _field("prev_hash", hex_hash, KINDS_V1, None, ""),
    _field("refers_to", null_or(text(64)), KINDS_V1, None, ""),
    _field("note", optional_text(1000), KINDS_V1, None, ""),
)
"""Release 0.1.0's events: every field present (``refers_to`` may be null)."""

FIELD_NAMES: Final = frozenset(f.name for f in FIELDS)
_BY_NAME: Final = {f.name: f for f in FIELDS}
_BY_NAME_V1: Final = {f.name: f for f in FIELDS_V1}


def schema_of(content: Mapping[str, Any]) -> int:
    """2 for events that say so, 1 for release 0.1.0's (no ``schema`` key)."""
    return 1 if "schema" not in content else int(content["schema"])


def event_problem(content: Mapping[str, Any]) -> tuple[str, str] | None:
    """``(field, problem)`` for the first thing wrong with an event's content (every
    field but ``hash``), or None when its fields are all as the schema says."""
    if "schema" not in content:
        return _problem(content, _BY_NAME_V1, str(content.get("kind", "")), KINDS_V1)
    if content["schema"] != SCHEMA:
        return "schema", f"must be {SCHEMA} (or absent for release 0.1.0 events)"
    return _problem(content, _BY_NAME, str(content.get("kind", "")), KINDS_V2)


def _problem(
    content: Mapping[str, Any],
    fields: Mapping[str, EventField],
    kind: str,
    kinds: frozenset[str],
) -> tuple[str, str] | None:
    if kind not in kinds:
        return "kind", f"must be one of {', '.join(sorted(kinds))}"
    for name, value in content.items():
        spec = fields.get(name)
        if spec is None:
            return name, "is not a field of this event schema"
        if kind not in spec.allowed:
            return name, f"is not a field of {_article(kind)} {kind} event"
        problem = spec.check(value)
        if problem is not None:
            return name, problem
    for spec in fields.values():
        if kind in spec.required and spec.name not in content:
            return spec.name, f"is required in {_article(kind)} {kind} event"
    return None


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"
