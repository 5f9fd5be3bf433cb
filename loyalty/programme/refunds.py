"""Refunds by difference: what returning lines takes back.

The reversal of a refund is outcome(basket left after it) − outcome(basket left
before it), both under the sale's version and member snapshot, and both at the
sale's prices (:func:`loyalty.programme.evaluate.evaluate_remaining`: each line
left keeps its share of what the sale's line was paid). Several partial refunds
therefore add up to exactly the sale's outcome, whatever the split: nobody gains by
returning in pieces, a full return nets every account to zero, and the money back
is never more than the returned units were paid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from loyalty.canonical import sha256_hex
from loyalty.programme.basket import Basket, BasketError, MemberSnapshot, RewardInstance
from loyalty.programme.evaluate import evaluate, evaluate_remaining
from loyalty.programme.model import Programme
from loyalty.programme.outcome import Outcome, issued_reward_id, subtract


@dataclass(frozen=True)
class Reversal:
    """What a refund takes back (negative postings) and gives back."""

    returned: Mapping[int, int]
    """Units returned per line number, by this refund."""
    postings: Mapping[str, int]
    """Change per account: earnings taken back, points spent given back."""
    refund_minor: int
    """Money the customer gets back: what the returned units were paid."""
    rewards_revoked: tuple[str, ...]
    """Ids of rewards the sale issued that the basket left no longer earns."""
    rewards_restored: tuple[RewardInstance, ...]
    """Issued rewards the sale used that the basket left no longer uses."""
    before: Outcome
    """The outcome of the basket left before this refund."""
    after: Outcome
    """The outcome of the basket left after this refund."""

    @property
    def spent_returned(self) -> dict[str, int]:
        """Wallet units the sale spent (points discount, rewards' cost) that this
        refund gives back: part of :attr:`postings`, which the ledger's lots restore
        to where they were taken from."""
        return subtract(self.before.spent, self.after.spent)

    @property
    def bonuses_returned(self) -> list[dict[str, Any]]:
        """The fixed bonuses the sale earned that the basket left no longer earns
        (``{rule, wallet, amount}``): part of :attr:`postings`; the ledger needs them
        apart to keep its per-member caps right (:mod:`ledger.caps`)."""
        after = {(b.rule, b.wallet): b.amount for b in self.after.bonuses}
        found = []
        for bonus in self.before.bonuses:
            amount = bonus.amount - after.get((bonus.rule, bonus.wallet), 0)
            if amount > 0:
                found.append({"rule": bonus.rule, "wallet": bonus.wallet, "amount": amount})
        return found

    def refunded_per_line(self) -> dict[int, int]:
        """Money back per returned line (they add up to :attr:`refund_minor`)."""
        now = {line.line: line.paid_minor for line in self.after.lines}
        return {
            line.line: line.paid_minor - now.get(line.line, 0)
            for line in self.before.lines
            if line.line in self.returned
        }

    def content(self) -> dict[str, Any]:
        return reversal_content(
            self.returned,
            self.postings,
            self.refund_minor,
            self.rewards_revoked,
            [r.to_json() for r in self.rewards_restored],
        )

    @property
    def outcome_hash(self) -> str:
        return sha256_hex(self.content())


def reversal_content(
    returned: Mapping[int, int],
    postings: Mapping[str, int],
    refund_minor: int,
    revoked: Sequence[str],
    restored: Sequence[Mapping[str, str]],
) -> dict[str, Any]:
    """The canonical form of a reversal, which its ``outcome_hash`` covers."""
    return {
        "returned": [{"line": k, "qty": v} for k, v in sorted(returned.items())],
        "postings": dict(sorted(postings.items())),
        "refund_minor": refund_minor,
        "rewards_revoked": list(revoked),
        "rewards_restored": [dict(r) for r in restored],
    }


LEGACY_LINE = 1
"""A release 0.1.0 ``earn`` (a typed amount) refunds as line 1, one unit."""


def legacy_reversal(earned: Mapping[str, int], amount_minor: int) -> dict[str, Any]:
    """The reversal of a release 0.1.0 earn: all its points, its whole amount."""
    return reversal_content(
        {LEGACY_LINE: 1}, {k: -v for k, v in earned.items()}, amount_minor, (), ()
    )


def returned_so_far(refunds: list[Mapping[int, int]]) -> dict[int, int]:
    """Units returned per line by earlier refunds of one sale."""
    total: dict[int, int] = {}
    for refund in refunds:
        for line, qty in refund.items():
            total[line] = total.get(line, 0) + qty
    return total


def reverse(
    programme: Programme,
    version: int,
    sale: Basket,
    member: MemberSnapshot,
    sale_event_id: str,
    before: Mapping[int, int],
    returning: Mapping[int, int],
) -> Reversal:
    """The reversal for returning ``returning`` units after ``before`` were returned.

    Raises :class:`BasketError` for a line the sale does not have, a quantity of zero
    or less, or more units than are left.
    """
    for line, qty in returning.items():
        sold = sale.line(line)
        if sold is None:
            raise BasketError(f"The receipt has no line {line}.")
        if qty <= 0:
            raise BasketError(f"Line {line}: return at least one unit.")
        left = sold.qty - before.get(line, 0)
        if qty > left:
            raise BasketError(
                f"Line {line} ({sold.name}): {left} of {sold.qty} left to return, not {qty}."
            )
    after_returned = returned_so_far([before, returning])
    whole = evaluate(programme, sale, member, version=version, strict=False)
    was = evaluate_remaining(programme, sale, member, whole, _left(sale, before), version=version)
    now = evaluate_remaining(
        programme, sale, member, whole, _left(sale, after_returned), version=version
    )
    issued_now = {(r.rule, r.n) for r in now.rewards_issued}
    used_now = {r.instance for r in now.rewards_used if r.instance}
    held = {r.id: r for r in member.rewards}
    return Reversal(
        returned=dict(sorted(returning.items())),
        postings=subtract(now.postings, was.postings),
        refund_minor=was.paid_minor - now.paid_minor,
        rewards_revoked=tuple(
            issued_reward_id(sale_event_id, r.rule, r.n)
            for r in was.rewards_issued
            if (r.rule, r.n) not in issued_now
        ),
        rewards_restored=tuple(
            held.get(r.instance, RewardInstance(r.instance, r.reward))
            for r in was.rewards_used
            if r.instance and r.instance not in used_now
        ),
        before=was,
        after=now,
    )


def _left(sale: Basket, returned: Mapping[int, int]) -> dict[int, int]:
    return {line.line: line.qty - returned.get(line.line, 0) for line in sale.lines}
