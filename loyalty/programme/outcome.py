"""What a basket gives under a programme version: integers, a per-line explanation,
the postings per account, and a hash over the canonical form.

The till records the outcome's postings and hash in the sale event; the ledger
evaluates the same inputs and compares the hash (a difference is a finding, never a
correction).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from loyalty.canonical import sha256_hex
from loyalty.programme.basket import AppliedReward
from loyalty.programme.model import QUALIFYING_SPEND, STAMPS_PREFIX


@dataclass(frozen=True)
class LineOutcome:
    """One line's part: its amounts, what it earned and the rules that shaped it."""

    line: int
    list_minor: int
    paid_minor: int
    """After member prices, rewards and discounts."""
    earning_units: int
    """Units the member paid for (a free unit earns nothing)."""
    discounts: Mapping[str, int]
    """Money off the line per discount: ``redeem`` (points), a reward's id (with
    ``#instance`` for an issued one)."""
    wallets: Mapping[str, int]
    """Earned per wallet (for per-receipt rounding: the receipt's total shared over
    the lines by largest remainder, so the lines add up to it)."""
    stamps: Mapping[str, int]
    rules: tuple[str, ...]
    """Ids of the prices, rewards and rules applied to the line, in evaluation order."""

    def to_json(self, *, copy: bool = True) -> dict[str, Any]:
        """The JSON form: new dicts and lists, keys in order. ``copy=False`` leaves
        the mappings (when dicts) and ``rules`` as they are, for the canonical
        encoding, which sorts keys and writes a tuple as a list itself: the same
        bytes, without copying every line's mappings for each hash."""
        mapping = sorted_dict if copy else _encodable
        return {
            "line": self.line,
            "list_minor": self.list_minor,
            "paid_minor": self.paid_minor,
            "earning_units": self.earning_units,
            "discounts": mapping(self.discounts),
            "wallets": mapping(self.wallets),
            "stamps": mapping(self.stamps),
            "rules": list(self.rules) if copy else self.rules,
        }


@dataclass(frozen=True)
class IssuedReward:
    """A reward the basket issues: the ``n``-th completion of stamp rule ``rule``."""

    rule: str
    reward: str
    n: int

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "reward": self.reward, "n": self.n}


@dataclass(frozen=True)
class Bonus:
    """A fixed bonus the basket earned."""

    rule: str
    wallet: str
    amount: int

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "wallet": self.wallet, "amount": self.amount}


@dataclass(frozen=True)
class OfferUse:
    """A personal offer the basket used, and what it took off."""

    id: str
    template: str
    discount_minor: int

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "template": self.template, "discount_minor": self.discount_minor}


@dataclass(frozen=True)
class VoucherUse:
    """A bonus voucher the basket used, and what it took off (at most its value)."""

    number: str
    discount_minor: int

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number, "discount_minor": self.discount_minor}


@dataclass(frozen=True)
class Outcome:
    """The result of :func:`loyalty.programme.evaluate.evaluate`."""

    programme: str
    version: int
    programme_hash: str
    currency: str
    list_minor: int
    paid_minor: int
    wallets: Mapping[str, int]
    """Earned per wallet of the programme (0 included)."""
    spent_by: Mapping[str, Mapping[str, int]]
    """Wallet units spent per discount: ``redeem`` (points as a discount), a claimed
    reward's id."""
    stamps: Mapping[str, int]
    """Net change per stamp card: stamps earned minus those a completed card used."""
    stamps_earned: Mapping[str, int]
    qualifying_spend_minor: int
    bonuses: tuple[Bonus, ...]
    rewards_issued: tuple[IssuedReward, ...]
    rewards_used: tuple[AppliedReward, ...]
    lines: tuple[LineOutcome, ...]
    offers_used: tuple[OfferUse, ...] = ()
    vouchers_used: tuple[VoucherUse, ...] = ()
    outcome_hash: str = field(default="", compare=False)

    @property
    def discount_minor(self) -> int:
        return self.list_minor - self.paid_minor

    @property
    def spent(self) -> dict[str, int]:
        """Wallet units spent in the basket, all discounts together."""
        total: dict[str, int] = {}
        for wallets in self.spent_by.values():
            for wallet, units in wallets.items():
                total[wallet] = total.get(wallet, 0) + units
        return {k: v for k, v in sorted(total.items()) if v}

    @property
    def postings(self) -> dict[str, int]:
        """The signed change per account this basket makes (zeros left out)."""
        postings: dict[str, int] = {}
        spent_per_wallet = self.spent
        for wallet, earned in self.wallets.items():
            postings[wallet] = earned - spent_per_wallet.get(wallet, 0)
        for wallet, spent in spent_per_wallet.items():
            postings.setdefault(wallet, -spent)
        for card, delta in self.stamps.items():
            postings[STAMPS_PREFIX + card] = delta
        postings[QUALIFYING_SPEND] = self.qualifying_spend_minor
        return {k: v for k, v in sorted(postings.items()) if v}

    def content(self, *, copy: bool = True) -> dict[str, Any]:
        """The canonical form without the hash: what :attr:`outcome_hash` covers
        (``copy`` as for :meth:`LineOutcome.to_json`). Offers and vouchers used appear
        only when there are some, so outcomes without them hash as they always did."""
        content = {
            "programme": self.programme,
            "version": self.version,
            "programme_hash": self.programme_hash,
            "currency": self.currency,
            "list_minor": self.list_minor,
            "paid_minor": self.paid_minor,
            "discount_minor": self.discount_minor,
            "wallets": dict(sorted(self.wallets.items())),
            "spent": self.spent,
            "spent_by": {k: dict(sorted(v.items())) for k, v in sorted(self.spent_by.items())},
            "stamps": dict(sorted(self.stamps.items())),
            "stamps_earned": dict(sorted(self.stamps_earned.items())),
            "qualifying_spend_minor": self.qualifying_spend_minor,
            "bonuses": [b.to_json() for b in self.bonuses],
            "rewards_issued": [r.to_json() for r in self.rewards_issued],
            "rewards_used": [r.to_json() for r in self.rewards_used],
            "postings": self.postings,
            "lines": [line.to_json(copy=copy) for line in self.lines],
        }
        if self.offers_used:
            content["offers_used"] = [o.to_json() for o in self.offers_used]
        if self.vouchers_used:
            content["vouchers_used"] = [v.to_json() for v in self.vouchers_used]
        return content

    def to_json(self) -> dict[str, Any]:
        return {**self.content(), "outcome_hash": self.outcome_hash}


def sorted_dict(values: Mapping[str, int]) -> dict[str, int]:
    """``dict(sorted(values.items()))``: a new dict, keys in order; quicker for the
    empty and one-key mappings most lines have (an outcome has a few per line)."""
    if len(values) < 2:
        return dict(values)
    return dict(sorted(values.items()))


def _encodable(values: Mapping[str, int]) -> Mapping[str, int]:
    """``values`` as the JSON encoder takes it: a dict as it is, else a copy."""
    return values if type(values) is dict else dict(values)


def line_outcome(
    line: int,
    list_minor: int,
    paid_minor: int,
    earning_units: int,
    discounts: Mapping[str, int],
    wallets: Mapping[str, int],
    stamps: Mapping[str, int],
    rules: tuple[str, ...],
) -> LineOutcome:
    """``LineOutcome(line, list_minor, ...)``, made faster: a frozen dataclass's
    ``__init__`` sets each field through ``object.__setattr__``, which for every line
    of every evaluation is a noticeable part of it. The instance is the same (the
    class has no ``__post_init__`` and no slots; fields in their order)."""
    made = object.__new__(LineOutcome)
    made.__dict__.update(
        line=line,
        list_minor=list_minor,
        paid_minor=paid_minor,
        earning_units=earning_units,
        discounts=discounts,
        wallets=wallets,
        stamps=stamps,
        rules=rules,
    )
    return made


def hashed(outcome: Outcome) -> Outcome:
    """``outcome`` with its hash filled in."""
    return replace(outcome, outcome_hash=sha256_hex(outcome.content(copy=False)))


def issued_reward_id(event_id: str, rule: str, n: int) -> str:
    """The id of a reward a sale issued: derived, so the ledger derives the same."""
    return f"{event_id}/{rule}/{n}"


SALE_OUTPUTS = (
    "postings",
    "spent",
    "rewards_issued",
    "rewards_used",
    "bonuses",
    "offers_used",
    "vouchers_used",
    "outcome_hash",
)
"""The fields a sale event records of its outcome (:func:`sale_record`)."""


def sale_record(event_id: str, outcome: Outcome) -> dict[str, Any]:
    """What a sale event records of its outcome, field by field (empty ones left out):
    the one definition the till writes (``pos_client.recording``) and the ledger
    compares with what it computes again (``ledger.recompute``)."""
    fields: dict[str, Any] = {
        "postings": outcome.postings,
        "spent": dict(outcome.spent),
        "rewards_issued": [
            {"id": issued_reward_id(event_id, r.rule, r.n), "reward": r.reward}
            for r in outcome.rewards_issued
        ],
        "rewards_used": [r.to_json() for r in outcome.rewards_used],
        "bonuses": [b.to_json() for b in outcome.bonuses],
        "offers_used": [o.to_json() for o in outcome.offers_used],
        "vouchers_used": [v.to_json() for v in outcome.vouchers_used],
        "outcome_hash": outcome.outcome_hash,
    }
    return {k: fields[k] for k in SALE_OUTPUTS if fields[k] or k in ("postings", "outcome_hash")}


def subtract(after: Mapping[str, int], before: Mapping[str, int]) -> dict[str, int]:
    """``after - before`` per account, zeros left out, keys sorted."""
    keys = sorted(set(after) | set(before))
    return {k: d for k in keys if (d := after.get(k, 0) - before.get(k, 0))}
