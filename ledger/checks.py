"""What the ledger checks on each event before and while applying it.

Two kinds of finding, with different consequences:

* :func:`malformed_reason` — the event cannot be what a till recorded (its hash does
  not match its content, the sign of its points contradicts its kind, an unknown
  currency, an invalid card number). It stops the terminal's stream, like a gap.
* :func:`rule_findings` — the event is well-formed but its points differ from what
  the named rules version gives. It is applied as sent (what happened at the till
  happened) and flagged for review.
"""

from __future__ import annotations

from functools import lru_cache

from loyalty.cards import validate_card_number
from loyalty.errors import LoyaltyError
from loyalty.events import compute_hash
from loyalty.money import MINOR_UNIT_DIGITS, Money
from loyalty.programme import ProgrammeRules
from sync.protocol import EventIn


def content_hash(event: EventIn) -> str:
    """The hash the event's content gives: what ``event.hash`` must equal.

    The mapping is exactly ``Event.content()`` (every field but ``hash``), hashed by
    :func:`loyalty.events.compute_hash`, without building a domain event first
    because this runs for every pushed event.
    """
    content = {
        "event_id": event.event_id,
        "terminal_id": event.terminal_id,
        "seq": event.seq,
        "kind": event.kind,
        "card": event.card,
        "points": event.points,
        "amount_minor": event.amount_minor,
        "currency": event.currency,
        "rule_version": event.rule_version,
        "recorded_at": event.recorded_at,
        "prev_hash": event.prev_hash,
        "refers_to": event.refers_to,
        "note": event.note,
    }
    return compute_hash(content)


def malformed_reason(event: EventIn) -> str | None:
    """Why the event is malformed, or None when it is well-formed."""
    if content_hash(event) != event.hash:
        return f"Event {event.seq}: its hash does not match its content (altered in transit?)."
    sign_problem = {
        "earn": event.points < 0,
        "redeem": event.points >= 0,
        "refund": event.points > 0,
        "adjust": False,
    }[event.kind]
    if sign_problem:
        return f"Event {event.seq}: a {event.kind} cannot have {event.points} points."
    if event.currency not in MINOR_UNIT_DIGITS:
        return f"Event {event.seq}: unknown currency {event.currency!r}."
    card_problem = _card_problem(event.card)
    if card_problem is not None:
        return f"Event {event.seq}: card {event.card!r} is not a member card: {card_problem}"
    return None


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


def rule_findings(event: EventIn, rules: ProgrammeRules | None) -> str | None:
    """Why the event's points differ from its rules version, or None if they agree."""
    if rules is None:
        return f"rules version {event.rule_version} is unknown to the ledger"
    if event.kind == "adjust":
        return None
    if event.currency != rules.currency:
        return f"currency {event.currency} but rules version {rules.version} is {rules.currency}"
    amount = Money(event.amount_minor, event.currency)
    if event.kind == "earn":
        expected = rules.earn_points(amount)
        if event.points != expected:
            return f"earned {event.points} points, rules version {rules.version} give {expected}"
    elif event.kind == "refund":
        expected = -rules.earn_points(amount)
        if event.points != expected:
            return f"refund of {event.points} points, rules version {rules.version} give {expected}"
    else:
        value = rules.redemption_value(-event.points).minor
        if event.amount_minor != value:
            return (
                f"{-event.points} points redeemed for {event.amount_minor} minor units, "
                f"rules version {rules.version} give {value}"
            )
        if -event.points < rules.min_redeem_points:
            return f"redeemed {-event.points} points, below the minimum {rules.min_redeem_points}"
    return None
