"""A programme's rules arranged for the evaluator, worked out once per programme.

The evaluator (:mod:`loyalty.programme.evaluate`) runs for every change to a basket
at the till and again for every sale the ledger is pushed, nearly always under one
of a few programme versions. What depends on the programme alone is worked out
here once per :class:`~loyalty.programme.model.Programme` object and kept while
that object lives (a programme never changes): its stack groups in evaluation
order with their rules, each base rule's exact factor per minor unit as an integer
over one common denominator, the factor of each combination of multipliers, and
which of its line conditions a line with given facts (sku, tags, flags) meets, as
the bits of one integer (:meth:`Plan.mask`): lines with the same mask are alike
for every rule, so the evaluator works a rule out once per mask, not per line.

How the rules of a stack group combine (:func:`combine_per_wallet`,
:func:`boost_factor`) is defined here too, so that the plan and the evaluator
cannot disagree about it.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from functools import partial
from math import lcm, prod
from typing import Final, TypeVar

from loyalty.money import MINOR_UNIT_DIGITS, minor_per_unit
from loyalty.programme.conditions import Conditions, Facts
from loyalty.programme.model import (
    EarnPercent,
    EarnRate,
    FixedBonus,
    Multiplier,
    Programme,
    StackGroup,
    StampRule,
)

_R = TypeVar("_R", bound=EarnRate | EarnPercent | Multiplier | FixedBonus)
_W = TypeVar("_W", bound=EarnRate | EarnPercent | FixedBonus)

MAX_MASKS: Final = 20_000
"""Line facts a plan remembers the mask of before it starts over (a catalogue's
products, a few times over): what a plan holds stays bounded."""
MAX_SIGNATURES: Final = 256
"""Sets of applying rules (:data:`Applying`) a plan keeps recipes for; at most
:data:`MAX_RECIPES` each, then it starts over."""
MAX_RECIPES: Final = 4096

Combined = tuple[tuple[str, tuple[str, ...], int], ...]
"""Per wallet, the ids of the base rules that count and their factor together."""
Applying = tuple[tuple[int, ...], ...]
"""Per base group, then per boost group: the positions of its rules that apply to a
basket (their basket conditions hold)."""
Recipe = tuple[tuple[str, ...], tuple[tuple[str, int], ...]]
"""See :meth:`Plan.recipe`."""
Boosted = tuple[int, tuple[str, ...]] | None
"""A boost's factor over its group's common denominator and the ids of the rules
that count, or None for no boost."""


@dataclass(frozen=True, eq=False)
class BaseGroup:
    """A stack group of earn rates and percentages (step 5)."""

    group: StackGroup
    rules: tuple[EarnRate | EarnPercent, ...]
    bits: tuple[int, ...]
    """Per rule: the bit of its conditions in a line's mask."""
    factors: tuple[int, ...]
    """Per rule: what it gives per minor unit of earning amount (``rate / unit`` or
    ``percent / 100``), over :attr:`Plan.base_denominator`."""
    _combined: dict[tuple[int, ...], Combined] = field(default_factory=dict, repr=False)

    def combined(self, found: tuple[int, ...]) -> Combined:
        """What the rules at positions ``found`` (those that apply to a line) give,
        per wallet, combined by the group's mode."""
        done = self._combined.get(found)
        if done is None:
            factor = {id(self.rules[i]): self.factors[i] for i in found}
            done = tuple(
                (wallet, tuple(r.id for r in rules), sum(factor[id(r)] for r in rules))
                for wallet, rules in combine_per_wallet(self.group, [self.rules[i] for i in found])
            )
            self._combined[found] = done
        return done


@dataclass(frozen=True, eq=False)
class BoostGroup:
    """A stack group of multipliers (step 6)."""

    group: StackGroup
    rules: tuple[Multiplier, ...]
    bits: tuple[int, ...]
    """Per rule: the bit of its conditions in a line's mask."""
    common: int
    """A denominator of every factor the group can give, whatever rules of it boost
    a line: the product of the rules' ``1 + increment`` denominators when the mode
    multiplies the factors, else their least common multiple (one increment, or a
    sum of them, added to 1)."""
    _factors: dict[tuple[tuple[int, ...], str], Boosted] = field(default_factory=dict, repr=False)

    def factor(self, found: tuple[int, ...], wallet: str) -> Boosted:
        """The factor the rules at positions ``found`` (those that apply to a line)
        give its amount in ``wallet``, over :attr:`common`, and the ids of the rules
        that count; None when none of them is for that wallet."""
        key = (found, wallet)
        if key in self._factors:
            return self._factors[key]
        rules = [self.rules[i] for i in found if self.rules[i].wallet in (None, wallet)]
        done = None
        if rules:
            factor = boost_factor(self.group, rules)
            if self.common % factor.denominator:
                raise ArithmeticError(f"{factor} is not over {self.common}")  # never
            scaled = factor.numerator * (self.common // factor.denominator)
            done = (scaled, tuple(r.id for r in chosen(self.group, rules)))
        self._factors[key] = done
        return done


@dataclass(frozen=True)
class BonusGroup:
    """A stack group of fixed bonuses (step 7)."""

    group: StackGroup
    rules: tuple[FixedBonus, ...]


@dataclass(frozen=True, eq=False)
class Plan:
    """What the evaluator needs of a programme, beyond the programme itself (its
    caches fill as baskets are evaluated; compared by identity)."""

    conditions: tuple[Conditions, ...]
    """Every conditions table of the programme's rules, prices and rewards: bit ``i``
    of a line's mask says whether the line meets the line conditions of the ``i``-th."""
    bits: dict[int, int]
    """The bit of each of :attr:`conditions`, by ``id()`` (the plan keeps them alive)."""
    currency_known: bool
    """Whether the programme's currency is known; if not, the base factors are
    placeholders and the evaluator raises as it always has, in step 5."""
    base: tuple[BaseGroup, ...]
    base_denominator: int
    """The least common denominator of every base rule's factor."""
    boosts: tuple[BoostGroup, ...]
    bonuses: tuple[BonusGroup, ...]
    stamp_cards: tuple[StampRule, ...]
    price_bits: tuple[int, ...]
    """Per member price (``programme.prices``): the bit of its conditions."""
    timed: tuple[Conditions, ...]
    """Those of :attr:`conditions` that look at the local weekday, time or date."""
    _masks: dict[Facts, int] = field(default_factory=dict, repr=False)
    _recipes: dict[Applying, dict[int, Recipe]] = field(default_factory=dict, repr=False)

    def time_facts(self, local: datetime) -> tuple[bool, ...]:
        """Whether each of :attr:`timed` holds at ``local``: all that an evaluation
        reads of the business time."""
        return tuple(when.time_matches(local) for when in self.timed)

    def mask(self, facts: Facts) -> int:
        """Which of :attr:`conditions` a line with these ``facts`` meets, as bits
        (remembered: a catalogue's products come back basket after basket)."""
        mask = self._masks.get(facts)
        if mask is None:
            mask = sum(
                1 << i for i, when in enumerate(self.conditions) if when.line_matches(*facts)
            )
            if len(self._masks) >= MAX_MASKS:
                self._masks.clear()
            self._masks[facts] = mask
        return mask

    def recipes(self, applying: Applying) -> dict[int, Recipe]:
        """Recipes by mask (filled in by :meth:`recipe`) for baskets where the rules
        that apply are those at the positions ``applying``: a tuple per base group,
        then one per boost group."""
        found = self._recipes.get(applying)
        if found is None:
            if len(self._recipes) >= MAX_SIGNATURES:
                self._recipes.clear()
            found = self._recipes[applying] = {}
        return found

    def recipe(self, applying: Applying, mask: int) -> Recipe:
        """Steps 5 and 6 for a line with a non-zero earning amount and this ``mask``,
        where the rules at the positions ``applying`` apply to the basket: the rule
        ids it notes, in order (each once), and per wallet what its earning amount is
        multiplied by. A wallet the base rules give nothing (a rate of 0) is not boosted, nor
        one a boost brought to nothing; a boost group none of whose rules apply is
        left out (its ``common`` is not in the evaluation's denominator)."""
        notes: list[str] = []
        factors: dict[str, int] = {}
        for group, positions in zip(self.base, applying[: len(self.base)], strict=True):
            found = tuple(i for i in positions if mask >> group.bits[i] & 1)
            for wallet, ids, factor in group.combined(found):
                notes += ids
                factors[wallet] = factors.get(wallet, 0) + factor
        for boost, positions in zip(self.boosts, applying[len(self.base) :], strict=True):
            if not positions:
                continue
            found = tuple(i for i in positions if mask >> boost.bits[i] & 1)
            for wallet, factor in factors.items():  # (values change, keys do not)
                boosted = boost.factor(found, wallet) if found and factor else None
                if boosted is None:
                    factors[wallet] = factor * boost.common
                else:
                    factors[wallet] = factor * boosted[0]
                    notes += boosted[1]
        recipe = (tuple(dict.fromkeys(notes)), tuple(factors.items()))
        recipes = self.recipes(applying)
        if len(recipes) >= MAX_RECIPES:
            recipes.clear()
        recipes[mask] = recipe
        return recipe


_plans: dict[int, tuple[weakref.ref[Programme], Plan]] = {}
"""Plans by ``id()`` of their programme, with a weak reference to tell a programme
from a later one at the same address. Single dict operations, no lock: two threads
may make the same plan at once, and either is right."""


def plan_of(programme: Programme) -> Plan:
    """The plan of ``programme``, made on first use and kept while it lives."""
    key = id(programme)
    entry = _plans.get(key)
    if entry is not None and entry[0]() is programme:
        return entry[1]
    plan = _make_plan(programme)
    _plans[key] = (weakref.ref(programme, partial(_forget, key)), plan)
    return plan


def _forget(key: int, _gone: object) -> None:
    """A programme is gone: drop its plan (this runs before its id can be reused)."""
    _plans.pop(key, None)


def _make_plan(programme: Programme) -> Plan:
    every = [r.when for r in programme.rules] + [p.when for p in programme.prices]
    conditions = tuple(
        {id(when): when for when in every + [r.when for r in programme.rewards]}.values()
    )
    bits = {id(when): i for i, when in enumerate(conditions)}
    currency_known = programme.currency in MINOR_UNIT_DIGITS
    unit = minor_per_unit(programme.currency) if currency_known else 1
    base = []
    exact: dict[int, Fraction] = {}
    for group in _groups_of(programme, EarnRate, EarnPercent):
        rules = [
            r
            for r in programme.rules
            if isinstance(r, EarnRate | EarnPercent) and r.group == group.id
        ]
        for rule in rules:
            exact[id(rule)] = rule.rate / unit if isinstance(rule, EarnRate) else rule.percent / 100
        base.append((group, tuple(rules)))
    denominator = lcm(*(f.denominator for f in exact.values()))
    scaled = {k: f.numerator * (denominator // f.denominator) for k, f in exact.items()}
    return Plan(
        conditions=conditions,
        bits=bits,
        currency_known=currency_known,
        base=tuple(
            BaseGroup(
                group,
                rules,
                tuple(bits[id(r.when)] for r in rules),
                tuple(scaled[id(r)] for r in rules),
            )
            for group, rules in base
        ),
        base_denominator=denominator,
        boosts=tuple(
            _boost_group(programme, group, bits) for group in _groups_of(programme, Multiplier)
        ),
        bonuses=tuple(
            BonusGroup(group, tuple(_in_group(programme, group, FixedBonus)))
            for group in _groups_of(programme, FixedBonus)
        ),
        stamp_cards=programme.stamp_cards,
        price_bits=tuple(bits[id(p.when)] for p in programme.prices),
        timed=tuple(when for when in conditions if when.looks_at_time),
    )


def _boost_group(programme: Programme, group: StackGroup, bits: dict[int, int]) -> BoostGroup:
    rules = tuple(_in_group(programme, group, Multiplier))
    denominators = [(1 + r.increment).denominator for r in rules]
    common = prod(denominators) if group.mode == "multiply" else lcm(*denominators)
    return BoostGroup(group, rules, tuple(bits[id(r.when)] for r in rules), common)


def _groups_of(programme: Programme, *kinds: type) -> list[StackGroup]:
    """The groups, in evaluation order, that hold a rule of one of ``kinds``."""
    used = {r.group for r in programme.rules if isinstance(r, kinds)}  # type: ignore[union-attr]
    return [g for g in programme.groups if g.id in used]


def _in_group(programme: Programme, group: StackGroup, kind: type[_R]) -> list[_R]:
    return [r for r in programme.rules if isinstance(r, kind) and r.group == group.id]


# --- how the rules of a group combine -----------------------------------------------


def combine_per_wallet(group: StackGroup, rules: Sequence[_W]) -> list[tuple[str, list[_W]]]:
    """Per wallet, the rules of a base or bonus group that count, by the group's mode.

    ``add``: all of them; ``first_by_priority``: the lowest priority (then the first
    written); ``newest_only``: the last written; ``max``: the one that gives most
    (for a base rule: the highest rate or percentage; ties to the first written).
    """
    wallets: dict[str, list[_W]] = {}
    for rule in rules:
        wallets.setdefault(rule.wallet, []).append(rule)
    return [(wallet, list(chosen(group, found))) for wallet, found in wallets.items()]


def chosen(group: StackGroup, rules: Sequence[_R]) -> Sequence[_R]:
    """The rules of ``rules`` (all in ``group``) that count, by the group's mode."""
    if not rules or group.mode in ("add", "add_increments", "multiply"):
        return rules
    if group.mode == "first_by_priority":
        return [min(rules, key=lambda r: r.priority)]
    if group.mode == "newest_only":
        return [rules[-1]]
    return [max(rules, key=_size)]


def _size(rule: EarnRate | EarnPercent | Multiplier | FixedBonus) -> Fraction:
    if isinstance(rule, EarnRate):
        return rule.rate
    if isinstance(rule, EarnPercent):
        return rule.percent
    if isinstance(rule, Multiplier):
        return rule.increment
    return Fraction(rule.amount)


def boost_factor(group: StackGroup, rules: Sequence[Multiplier]) -> Fraction:
    """What the multipliers ``rules`` of ``group`` multiply a line's amount by:
    ``multiply`` multiplies their factors, the other modes add the increments of
    the rules that count to 1."""
    if group.mode == "multiply":
        factor = Fraction(1)
        for rule in rules:
            factor *= 1 + rule.increment
        return factor
    return 1 + sum((r.increment for r in chosen(group, rules)), Fraction(0))
