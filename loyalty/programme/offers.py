"""Personal offers (engine 2, ``[[offer_templates]]``): discounts assigned to members.

The programme defines the templates; the ledger assigns offers made from them to
members (``pos-ledger offers import``), and the offers reach the members' tills in
the changes feed. At the till every offer the member holds and may use goes into the
basket (:class:`loyalty.programme.basket.AppliedOffer`); the price phase applies
those whose lines are in it, after member prices and before rewards, and an offer
that finds nothing to take off lapses unused (it was not spent). An offer is used at
most ``uses`` times; offline, a till follows the template's ``offline`` policy, and
the ledger accepts the earliest uses and records later ones as overuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Literal

from loyalty.programme.conditions import Conditions
from loyalty.programme.reader import IDENTIFIER, Table

if TYPE_CHECKING:
    from loyalty.programme.rule_tables import Names

OfferKind = Literal["percent_off", "amount_off"]
OfflinePolicy = Literal["once_per_till", "deny"]
OFFER_DISCOUNT_PREFIX = "offer:"
"""An offer's discount key on a line: ``offer:<offer id>``."""


@dataclass(frozen=True)
class OfferTemplate:
    """What an offer made from this template takes off, and on what terms."""

    id: str
    name: str
    """What the cashier and the member see (``20 % off coffee``)."""
    kind: OfferKind
    when: Conditions
    """The lines it applies to (line conditions) and when (basket conditions)."""
    percent: Fraction = Fraction(0)
    """``percent_off``: off the matching lines."""
    amount_minor: int = 0
    """``amount_off``: off the matching lines together, at most what they are paid."""
    min_spend_minor: int = 0
    """The matching lines must be paid at least this (before the offer)."""
    uses: int = 1
    """How many baskets one offer may be used in."""
    offline: OfflinePolicy = "once_per_till"
    """Offline, ``once_per_till``: a till lets each offer be used once (whatever
    ``uses`` says) unless it knows it used up; ``deny``: not at all."""
    valid_days: int = 30
    """How long an assigned offer lasts when the import gives no end date."""


def offer_template(table: Table, names: Names) -> OfferTemplate:
    """One ``[[offer_templates]]`` table, checked key by key."""
    from loyalty.programme.rule_tables import conditions

    template_id = table.text("id", pattern=IDENTIFIER)
    kind = table.text("kind", choices=("percent_off", "amount_off"))
    template = OfferTemplate(
        id=template_id,
        name=table.text("name"),
        kind=kind,
        when=conditions(table, names),
        percent=table.decimal("percent", Fraction(0)) if kind == "percent_off" else Fraction(0),
        amount_minor=table.integer("amount_minor", 0) if kind == "amount_off" else 0,
        min_spend_minor=table.integer("min_spend_minor", 0),
        uses=table.integer("uses", 1, minimum=1),
        offline=table.text("offline", "once_per_till", choices=("once_per_till", "deny")),
        valid_days=table.integer("valid_days", 30, minimum=1),
    )
    for key, kind_of in (("amount_minor", "amount_off"), ("percent", "percent_off")):
        if table.has(key) and kind != kind_of:
            raise table.error(key, f'only goes with kind = "{kind_of}", not {kind!r}.')
    table.done()
    if kind == "amount_off" and template.amount_minor <= 0:
        raise table.error("amount_minor", "must be more than zero for an amount_off offer.")
    if kind == "percent_off" and not 0 < template.percent <= 100:
        raise table.error("percent", "must be more than 0 and at most 100.")
    if not template.when.selects_lines:
        raise table.error("when", "must pick the lines (tags or skus) the offer is for.")
    return template
