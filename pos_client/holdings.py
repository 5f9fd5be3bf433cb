"""What a member holds besides balances, as the till knows it: bonus vouchers,
personal offers, the birthday reward and the dividend accrued — and what the till may
let them use, online or offline.

The ledger sends the vouchers, offers, birthday (``MM-DD``) and accrual of every
member in the changes feed (:class:`sync.protocol.MemberState`); the till keeps them
with the member and subtracts what its own unsynced events used. The rules here are
pure: given what the member holds, today's date, whether the till is online and what
this till's journal says, which voucher, offer or birthday reward may be used.

* **Vouchers** are used once. A till accepts one the member holds (as the ledger last
  said) that is within its last day and that this till has not seen used; offline
  too. A use elsewhere that the till cannot know of is the ledger's to find
  (``voucher_overuse``).
* **Offers** go into every basket of the member while they have uses left and are
  within their days. Offline, the template's policy decides: ``once_per_till`` lets
  an offer be used once at this till until it syncs again, ``deny`` not at all.
* **A member dividend** accrued so far is the ledger's figure; this till's unsynced
  sales add a provisional estimate to it.
* **The birthday reward** is held while the window opened by the member's birthday
  is open for their tier and the year's reward is not used (as the ledger said, or in
  this till's unsynced sales).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from loyalty.programme import Programme, RewardInstance
from loyalty.programme.basket import AppliedOffer
from loyalty.programme.birthday import (
    Birthday,
    birthday_instance_id,
    instance_year,
    open_window,
    parse_birthday_text,
)
from loyalty.programme.settlements import PeriodPercent


@dataclass(frozen=True)
class HeldVoucher:
    """A bonus voucher the ledger issued to the member and has not seen used."""

    number: str
    value_minor: int
    currency: str
    min_spend_minor: int
    valid_until: date
    """The last local day it may be used."""

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> HeldVoucher:
        return cls(
            str(data["number"]),
            int(data["value_minor"]),
            str(data["currency"]),
            int(data.get("min_spend_minor", 0)),
            date.fromisoformat(str(data["valid_until"])),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "value_minor": self.value_minor,
            "currency": self.currency,
            "min_spend_minor": self.min_spend_minor,
            "valid_until": self.valid_until.isoformat(),
        }


@dataclass(frozen=True)
class HeldOffer:
    """A personal offer assigned to the member, with the uses the ledger counts left."""

    id: str
    template: str
    valid_from: date
    valid_until: date
    uses_left: int

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> HeldOffer:
        return cls(
            str(data["id"]),
            str(data["template"]),
            date.fromisoformat(str(data["valid_from"])),
            date.fromisoformat(str(data["valid_until"])),
            int(data["uses_left"]),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "template": self.template,
            "valid_from": self.valid_from.isoformat(),
            "valid_until": self.valid_until.isoformat(),
            "uses_left": self.uses_left,
        }


@dataclass(frozen=True)
class Accrual:
    """What a period settlement (a member dividend) has accrued so far."""

    settlement: str
    period: str
    amount: int
    """Minor units of the programme currency."""
    wallet: str | None

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Accrual:
        wallet = data.get("wallet")
        return cls(
            str(data["settlement"]),
            str(data["period"]),
            int(data["amount"]),
            None if wallet is None else str(wallet),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "settlement": self.settlement,
            "period": self.period,
            "amount": self.amount,
            "wallet": self.wallet,
        }


@dataclass(frozen=True)
class UsedHere:
    """What this till's journal says the member used that the ledger has not
    confirmed yet (its events after the confirmed mark): voucher numbers, uses per
    offer, birthday years."""

    vouchers: frozenset[str] = frozenset()
    offers: Mapping[str, int] | None = None
    birthdays: frozenset[int] = frozenset()

    @classmethod
    def of_events(cls, unconfirmed: Iterable[Mapping[str, Any]]) -> UsedHere:
        """From the holding fields (``vouchers_used``, ``offers_used``,
        ``rewards_used``, ``rewards_restored``) of events in journal order."""
        return cls().plus(unconfirmed)

    def plus(self, events: Iterable[Mapping[str, Any]]) -> UsedHere:
        """What is used once ``events`` (later ones) count too: a refund that gives a
        birthday reward back makes its year's available again."""
        vouchers = set(self.vouchers)
        offers = dict(self.offers or {})
        birthdays = set(self.birthdays)
        for event in events:
            vouchers.update(str(v["number"]) for v in event.get("vouchers_used", []))
            for offer in event.get("offers_used", []):
                offers[str(offer["id"])] = offers.get(str(offer["id"]), 0) + 1
            for key, add in (("rewards_used", True), ("rewards_restored", False)):
                for entry in event.get(key, []):
                    year = instance_year(str(entry.get("id", "")))
                    if year is not None:
                        (birthdays.add if add else birthdays.discard)(year)
        return UsedHere(frozenset(vouchers), offers, frozenset(birthdays))


def vouchers_usable(
    held: Iterable[HeldVoucher], today: date, used: UsedHere
) -> tuple[HeldVoucher, ...]:
    """The member's vouchers this till may accept today."""
    return tuple(v for v in held if v.valid_until >= today and v.number not in used.vouchers)


def voucher_refusal(
    number: str, held: Iterable[HeldVoucher], today: date, used: UsedHere
) -> str | None:
    """Why this till cannot accept voucher ``number`` for the member now, or None."""
    found = next((v for v in held if v.number == number), None)
    if number in used.vouchers:
        return f"Voucher {number} was already used at this till."
    if found is None:
        return (
            f"Voucher {number} is not one of this member's vouchers (or it is used). "
            "Scan the card of the member it was issued to."
        )
    if found.valid_until < today:
        return f"Voucher {number} ran out on {found.valid_until.isoformat()}."
    return None


def offers_for_basket(
    programme: Programme, held: Iterable[HeldOffer], today: date, online: bool, used: UsedHere
) -> tuple[AppliedOffer, ...]:
    """The offers that go into the member's basket now (see the module doc)."""
    found = []
    counts = used.offers or {}
    for offer in held:
        template = programme.offer_template(offer.template)
        if template is None or not offer.valid_from <= today <= offer.valid_until:
            continue
        used_here = counts.get(offer.id, 0)
        if offer.uses_left - used_here <= 0:
            continue
        if not online and (template.offline == "deny" or used_here):
            continue  # offline: once per till at most, or not at all
        found.append(AppliedOffer(offer.id, offer.template))
    return tuple(sorted(found, key=lambda o: o.id))


def birthday_reward(
    rules: Birthday | None,
    tier: str,
    birthday: str,
    claimed: int,
    today: date,
    used: UsedHere,
) -> RewardInstance | None:
    """The year's birthday reward instance if the member (of ``tier``, as the
    programme counts it) holds it today."""
    day = parse_birthday_text(birthday) if birthday else None
    if rules is None or day is None:
        return None
    year = open_window(rules, tier, day, today)
    if year is None or claimed == year or year in used.birthdays:
        return None
    return RewardInstance(birthday_instance_id(year), rules.reward)


def accrued_unsynced(programme: Programme, store: str, spend_minor: int) -> dict[str, int]:
    """What this till's unsynced sales (``spend_minor`` of qualifying spend, all made
    in ``store``) add to each member dividend, by the settlement's own formula: a
    provisional figure the ledger makes final when the sales reach it."""
    found = {}
    for settlement in programme.settlements:
        if isinstance(settlement, PeriodPercent) and spend_minor:
            rate = str(settlement.rate_for(programme.groups_of(store)))
            found[settlement.id] = PeriodPercent.payout(programme.rounding, {rate: spend_minor})
    return found
