"""What the ledger checks on each event before and while applying it.

Two kinds of finding, with different consequences:

* :func:`malformed_reason` — the event cannot be what a till recorded: its hash does
  not match its content, the sign of its points contradicts its kind (schema 1), an
  unknown currency, an invalid card number, a business time without its offset, or a
  basket or member snapshot the engine cannot read. It stops the terminal's stream,
  like a gap. (A refund that refers to no applied sale of its member, or returns more
  than the sale sold, is malformed too: :mod:`ledger.sales`.) :func:`read_event` is
  the same check, also handing back what it read (:class:`EventInputs`), so a push
  reads each basket once.
* :func:`rule_findings` — a schema 1 event is well-formed but its points differ from
  what its rules version gives; schema 2 events are recomputed by
  :mod:`ledger.recompute`. Either way the event is applied as sent (what happened at
  the till happened) and flagged for review.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from loyalty.cards import validate_card_number
from loyalty.errors import LoyaltyError
from loyalty.event_fields import LEDGER_KINDS
from loyalty.legacy_rules import ProgrammeRules
from loyalty.money import MINOR_UNIT_DIGITS, Money
from loyalty.programme import (
    Basket,
    BasketError,
    MemberSnapshot,
    basket_from_json,
    snapshot_from_json,
)
from loyalty.programme.basket import parse_business_time


@dataclass(frozen=True)
class EventInputs:
    """What the form check read of a well-formed schema 2 event: its business time
    and, for a sale, its basket and member snapshot.

    Kept so that the recomputation (:mod:`ledger.recompute`) evaluates these very
    objects instead of reading the JSON a second time: reading a basket costs about as
    much as a fifth of evaluating it. They are immutable, so sharing them is safe.
    """

    at: datetime
    basket: Basket | None = None
    snapshot: MemberSnapshot | None = None


def _sign_problem(kind: str, points: int) -> bool:
    """Schema 1: an earn never takes points, a redemption always does, a refund never
    gives any."""
    return (
        (kind == "earn" and points < 0)
        or (kind == "redeem" and points >= 0)
        or (kind == "refund" and points > 0)
    )


def malformed_reason(content: Mapping[str, Any]) -> str | None:
    """Why the event is malformed, or None when it is well-formed.

    ``content`` passed the field checks of :mod:`loyalty.event_fields` at the door,
    and the caller has checked its hash.
    """
    return read_event(content)[0]


def read_event(content: Mapping[str, Any]) -> tuple[str | None, EventInputs | None]:
    """:func:`malformed_reason`, and what it read of a well-formed schema 2 event
    (None for schema 1, which has nothing to read)."""
    seq = content["seq"]
    kind = content["kind"]
    if kind in LEDGER_KINDS:
        return f"Event {seq}: only the ledger records {kind} events.", None
    if "schema" not in content and _sign_problem(kind, content["points"]):
        return f"Event {seq}: a {kind} cannot have {content['points']} points.", None
    if content["currency"] not in MINOR_UNIT_DIGITS:
        return f"Event {seq}: unknown currency {content['currency']!r}.", None
    card_problem = _card_problem(content["card"])
    if card_problem is not None:
        return (
            f"Event {seq}: card {content['card']!r} is not a member card: {card_problem}",
            None,
        )
    if "schema" not in content:
        return None, None
    try:
        at = parse_business_time(content["business_time"], "business_time")
        if kind != "sale":
            return None, EventInputs(at)
        basket = basket_from_json(content["basket"], at=at, store=content["store"])
        snapshot = snapshot_from_json(content["member_snapshot"])
    except BasketError as exc:
        return f"Event {seq}: {exc.message}", None
    return None, EventInputs(at, basket, snapshot)


@lru_cache(maxsize=65_536)
def _card_problem(card: str) -> str | None:
    """Why ``card`` is not a member card number as a till would send it (cached:
    a batch names the same few cards many times)."""
    try:
        if validate_card_number(card) != card:
            return "it has surrounding spaces."
    except LoyaltyError as exc:
        return str(exc)
    return None


def rule_findings(content: Mapping[str, Any], rules: ProgrammeRules | None) -> str | None:
    """Why a schema 1 event's points differ from its rules version, or None."""
    version = content["rule_version"]
    if rules is None:
        return f"rules version {version} is unknown to the ledger"
    kind, points, amount_minor = content["kind"], content["points"], content["amount_minor"]
    if kind == "adjust":
        return None
    if content["currency"] != rules.currency:
        return f"currency {content['currency']} but rules version {version} is {rules.currency}"
    amount = Money(amount_minor, content["currency"])
    if kind == "earn":
        expected = rules.earn_points(amount)
        if points != expected:
            return f"earned {points} points, rules version {version} give {expected}"
    elif kind == "refund":
        expected = -rules.earn_points(amount)
        if points != expected:
            return f"refund of {points} points, rules version {version} give {expected}"
    else:
        value = rules.redemption_value(-points).minor
        if amount_minor != value:
            return (
                f"{-points} points redeemed for {amount_minor} minor units, "
                f"rules version {version} give {value}"
            )
        if -points < rules.min_redeem_points:
            return f"redeemed {-points} points, below the minimum {rules.min_redeem_points}"
    return None
