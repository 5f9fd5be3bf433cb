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

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

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
    }
)
LEDGER_KINDS: Final = frozenset({"expire", "extend", "settlement", "correction"})
"""Kinds only the ledger records (its settlements); a till's event of one is malformed."""
KINDS_V1: Final = frozenset({"earn", "redeem", "refund", "adjust"})
PRICED_KINDS: Final = frozenset({"sale", "redeem", "refund", "action"})
"""Kinds computed under a programme version (they name it in ``programme``)."""

_HASH = re.compile(r"^[0-9a-f]{64}$")
_MAX_AMOUNT = 10**15

Check = Callable[[Any], "str | None"]


def _text(longest: int) -> Check:
    def check(value: Any) -> str | None:
        if not isinstance(value, str):
            return "must be text"
        if not 0 < len(value) <= longest:
            return f"must be 1 to {longest} characters"
        if "\x00" in value:
            return "must not contain a NUL character"
        return None

    return check


def _optional_text(longest: int) -> Check:
    inner = _text(longest)

    def check(value: Any) -> str | None:
        return None if value == "" else inner(value)

    return check


def _integer(low: int, high: int) -> Check:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int):
            return "must be a whole number"
        if not low <= value <= high:
            return f"must be from {low} to {high}"
        return None

    return check


def _hash(value: Any) -> str | None:
    return None if isinstance(value, str) and _HASH.match(value) else "must be 64 hex digits"


def _one_of(choices: frozenset[str]) -> Check:
    def check(value: Any) -> str | None:
        return None if value in choices else f"must be one of {', '.join(sorted(choices))}"

    return check


def _object(value: Any) -> str | None:
    return None if isinstance(value, dict) else "must be an object"


def _postings(value: Any) -> str | None:
    if not isinstance(value, dict):
        return "must be an object of account: whole number"
    for account, amount in value.items():
        if not isinstance(account, str) or not 0 < len(account) <= 64:
            return "has an account name that is not 1 to 64 characters"
        if isinstance(amount, bool) or not isinstance(amount, int):
            return f"{account} must be a whole number"
        if not -_MAX_AMOUNT <= amount <= _MAX_AMOUNT or amount == 0:
            return f"{account} must be non-zero and at most {_MAX_AMOUNT} in size"
    return None


def _programme_ref(value: Any) -> str | None:
    if not isinstance(value, dict) or set(value) != {"id", "version", "hash"}:
        return "must be an object with id, version and hash"
    return (
        _text(40)(value["id"])
        or _integer(0, 10**12)(value["version"])
        or (None if _hash(value["hash"]) is None else "hash must be 64 hex digits")
    )


def _list_of(item: Check) -> Check:
    def check(value: Any) -> str | None:
        if not isinstance(value, list) or not value:
            return "must be a non-empty list"
        for index, element in enumerate(value):
            problem = item(element)
            if problem is not None:
                return f"[{index}] {problem}"
        return None

    return check


def _reward_entry(value: Any) -> str | None:
    if not isinstance(value, dict) or not {"reward"} <= set(value) <= {"id", "reward"}:
        return "must be an object with reward (and id)"
    return _text(40)(value["reward"]) or (_text(200)(value["id"]) if "id" in value else None)


def _expired_lot(value: Any) -> str | None:
    if not isinstance(value, dict) or set(value) != {"wallet", "last_day", "amount"}:
        return "must be an object with wallet, last_day and amount"
    return (
        _text(64)(value["wallet"])
        or _text(10)(value["last_day"])
        or _integer(1, _MAX_AMOUNT)(value["amount"])
    )


def _extended_lot(value: Any) -> str | None:
    if not isinstance(value, dict) or set(value) != {"wallet", "last_day", "to", "amount"}:
        return "must be an object with wallet, last_day, to and amount"
    return (
        _text(64)(value["wallet"])
        or _text(10)(value["last_day"])
        or _text(10)(value["to"])
        or _integer(1, _MAX_AMOUNT)(value["amount"])
    )


def _settlement_ref(value: Any) -> str | None:
    if not isinstance(value, dict) or not {"id"} <= set(value) <= {"id", "period"}:
        return "must be an object with id (and period)"
    return _text(40)(value["id"]) or (_text(7)(value["period"]) if "period" in value else None)


def _object_of(fields: Mapping[str, Check]) -> Check:
    """An object with exactly these keys, each checked."""

    def check(value: Any) -> str | None:
        if not isinstance(value, dict) or set(value) != set(fields):
            return f"must be an object with {', '.join(sorted(fields))}"
        for key, inner in fields.items():
            problem = inner(value[key])
            if problem is not None:
                return f"{key} {problem}"
        return None

    return check


_voucher_use = _object_of({"number": _text(40), "discount_minor": _integer(0, _MAX_AMOUNT)})
_offer_use = _object_of(
    {"id": _text(64), "template": _text(40), "discount_minor": _integer(0, _MAX_AMOUNT)}
)
_bonus = _object_of({"rule": _text(40), "wallet": _text(64), "amount": _integer(1, _MAX_AMOUNT)})
_voucher_issued = _object_of(
    {
        "number": _text(40),
        "value_minor": _integer(1, _MAX_AMOUNT),
        "min_spend_minor": _integer(0, _MAX_AMOUNT),
        "valid_until": _text(10),
    }
)


def _returned_line(value: Any) -> str | None:
    if not isinstance(value, dict) or set(value) != {"line", "qty"}:
        return "must be an object with line and qty"
    return _integer(1, 100_000)(value["line"]) or _integer(1, 100_000)(value["qty"])


def _null_or(check: Check) -> Check:
    def inner(value: Any) -> str | None:
        return None if value is None else check(value)

    return inner


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

FIELDS: Final[tuple[EventField, ...]] = (
    _field("schema", _integer(SCHEMA, SCHEMA), ALL, None, "the event schema, 2"),
    _field("event_id", _text(64), ALL, None, "UUID made by the till; the ledger stores it once"),
    _field("terminal_id", _text(64), ALL, None, "the till that recorded it"),
    _field("seq", _integer(1, 2**62), ALL, None, "place in the till's gapless sequence"),
    _field(
        "kind",
        _one_of(KINDS_V2),
        ALL,
        None,
        "sale, redeem, refund, adjust, action; the ledger's expire, extend, settlement, correction",
    ),
    _field("recorded_at", _text(64), ALL, None, "the till's clock, UTC; never trusted for order"),
    _field("prev_hash", _hash, ALL, None, "hash of the till's previous event"),
    _field("card", _text(64), ALL, None, "the card the member was identified by"),
    _field("member_id", _text(64), ALL, None, "the member the card belonged to at the till"),
    _field("business_time", _text(64), ALL, None, "local wall time with UTC offset"),
    _field("store", _text(40), ALL, None, "the store of the till"),
    _field("currency", _text(3), ALL, None, "ISO 4217 code of every amount"),
    _field("operator", _text(64), NONE, ALL, "who was signed in at the till"),
    _field(
        "programme",
        _programme_ref,
        PRICED_KINDS,
        ALL,
        "{id, version, hash} of the programme version it was computed under",
    ),
    _field("postings", _postings, ALL, None, "signed change per account (zeros left out)"),
    _field("basket", _object, SALE, None, "sale: lines, tenders, rewards, points discount"),
    _field("member_snapshot", _object, SALE, None, "sale: the member facts evaluated"),
    _field("outcome_hash", _hash, SALE | REFUND, None, "hash of the outcome or reversal"),
    _field("spent", _postings, NONE, SALE, "sale: wallet units spent (points discount, rewards)"),
    _field("rewards_issued", _list_of(_reward_entry), NONE, SALE, "sale: rewards it issued"),
    _field("rewards_used", _list_of(_reward_entry), NONE, SALE, "sale: rewards it used"),
    _field(
        "bonuses",
        _list_of(_bonus),
        NONE,
        SALE,
        "sale: fixed bonuses it earned, {rule, wallet, amount} (the ledger caps them)",
    ),
    _field(
        "offers_used",
        _list_of(_offer_use),
        NONE,
        SALE,
        "sale: personal offers it used, {id, template, discount_minor}",
    ),
    _field(
        "vouchers_used",
        _list_of(_voucher_use),
        NONE,
        SALE,
        "sale: bonus vouchers it used, {number, discount_minor}",
    ),
    _field(
        "refers_to",
        _text(64),
        REFUND | CORRECTION,
        None,
        "refund: the sale's event id; correction: the event corrected",
    ),
    _field("returned", _list_of(_returned_line), REFUND, None, "refund: units per line"),
    _field("refund_minor", _integer(0, _MAX_AMOUNT), REFUND, None, "refund: money given back"),
    _field(
        "rewards_revoked", _list_of(_text(200)), NONE, REFUND, "refund: issued rewards taken back"
    ),
    _field(
        "rewards_restored",
        _list_of(_reward_entry),
        NONE,
        REFUND,
        "refund: used rewards given back",
    ),
    _field(
        "spent_returned",
        _postings,
        NONE,
        REFUND,
        "refund: wallet units its sale spent that it gives back",
    ),
    _field(
        "bonuses_returned",
        _list_of(_bonus),
        NONE,
        REFUND,
        "refund: fixed bonuses of its sale it takes back, {rule, wallet, amount}",
    ),
    _field(
        "discount_minor",
        _integer(0, _MAX_AMOUNT),
        frozenset({"redeem"}),
        None,
        "redeem: the discount the points bought",
    ),
    _field(
        "purchase_minor",
        _integer(0, _MAX_AMOUNT),
        NONE,
        frozenset({"redeem"}),
        "redeem: the purchase that capped the discount",
    ),
    _field("action", _text(40), frozenset({"action"}), None, "action: the programme action id"),
    _field(
        "reason",
        _text(40),
        frozenset({"adjust"}) | CORRECTION,
        None,
        "adjust: the reason code; correction (ledger): why (cap, stale_version, ...)",
    ),
    _field(
        "note",
        _text(1000),
        NONE,
        frozenset({"adjust"}) | CORRECTION,
        "adjust: the manager's note; correction: the rule in words",
    ),
    _field(
        "expired",
        _list_of(_expired_lot),
        frozenset({"expire"}),
        None,
        "expire (ledger): the lots emptied, {wallet, last_day, amount}",
    ),
    _field(
        "extended",
        _list_of(_extended_lot),
        frozenset({"extend"}),
        None,
        "extend (ledger): the lots whose last day moved later, {wallet, last_day, to, amount}",
    ),
    _field(
        "settlement",
        _settlement_ref,
        SETTLEMENT,
        None,
        "settlement (ledger): {id, period} of the settlement it pays ({id} for a voucher "
        "at a threshold)",
    ),
    _field(
        "basis_minor",
        _integer(-_MAX_AMOUNT, _MAX_AMOUNT),
        NONE,
        SETTLEMENT,
        "settlement (ledger): the period's qualifying spend it was computed on",
    ),
    _field(
        "vouchers_issued",
        _list_of(_voucher_issued),
        NONE,
        SETTLEMENT,
        "settlement (ledger): vouchers it issues, {number, value_minor, min_spend_minor, "
        "valid_until}",
    ),
)
"""Schema 2, in the order documentation lists them."""

FIELDS_V1: Final[tuple[EventField, ...]] = (
    _field("event_id", _text(64), KINDS_V1, None, ""),
    _field("terminal_id", _text(64), KINDS_V1, None, ""),
    _field("seq", _integer(1, 2**62), KINDS_V1, None, ""),
    _field("kind", _one_of(KINDS_V1), KINDS_V1, None, ""),
    _field("card", _text(64), KINDS_V1, None, ""),
    _field("points", _integer(-(10**12), 10**12), KINDS_V1, None, ""),
    _field("amount_minor", _integer(0, _MAX_AMOUNT), KINDS_V1, None, ""),
    _field("currency", _text(3), KINDS_V1, None, ""),
    _field("rule_version", _integer(1, 2**62), KINDS_V1, None, ""),
    _field("recorded_at", _text(64), KINDS_V1, None, ""),
    _field("prev_hash", _hash, KINDS_V1, None, ""),
    _field("refers_to", _null_or(_text(64)), KINDS_V1, None, ""),
    _field("note", _optional_text(1000), KINDS_V1, None, ""),
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
