"""Exact arithmetic for the programme engine: decimal rates, rounding, allocation.

Inside the engine every amount is exact: a rate or factor is a
:class:`fractions.Fraction`, and the many per-line amounts are integers over one
common denominator (as exact, and far cheaper than a fraction each); only the
outcome is made of plain integers. This module is the one place where an exact
amount becomes an integer (:func:`round_fraction`, :func:`round_ratio`) and where
an integer is shared out over lines (:func:`allocate`, :func:`apportion`), so the
till and the ledger round identically.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from fractions import Fraction
from math import lcm
from typing import Final, Literal

RoundingMode = Literal["floor", "half_up", "half_even"]
ROUNDING_MODES: Final = ("floor", "half_up", "half_even")

_DECIMAL = re.compile(r"^(-?)(\d{1,18})(?:\.(\d{1,18}))?$")


class NotADecimal(ValueError):
    """A rate is not an exact decimal (a float, or text that is not a number)."""


def parse_decimal(value: object) -> Fraction:
    """``"1.25"`` → ``Fraction(5, 4)``; whole numbers are accepted as they are.

    Floats are refused: ``1.1`` as a binary float is not 11/10, and two machines must
    never disagree about a rate. Raises :class:`NotADecimal` saying what to write.
    """
    if isinstance(value, bool):
        raise NotADecimal(f'must be a decimal in quotes like "1.25", not {value!r}')
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        raise NotADecimal(
            f'must be an exact decimal in quotes like "{value}", not the float {value!r} '
            "(floats are not exact)"
        )
    if not isinstance(value, str):
        raise NotADecimal(f'must be a decimal in quotes like "1.25", not {value!r}')
    match = _DECIMAL.match(value.strip())
    if match is None:
        raise NotADecimal(f'must be a decimal like "1.25", not {value!r}')
    sign, whole, fraction = match.groups()
    number = Fraction(int(whole)) + (
        Fraction(int(fraction), 10 ** len(fraction)) if fraction else Fraction(0)
    )
    return -number if sign else number


def decimal_text(value: Fraction) -> str:
    """A fraction as the shortest exact decimal when it has one, else ``"p/q"``."""
    if value.denominator == 1:
        return str(value.numerator)
    denominator, twos, fives = value.denominator, 0, 0
    while denominator % 2 == 0:
        denominator //= 2
        twos += 1
    while denominator % 5 == 0:
        denominator //= 5
        fives += 1
    if denominator != 1:
        return f"{value.numerator}/{value.denominator}"
    places = max(twos, fives)
    scaled = value * 10**places
    sign = "-" if scaled < 0 else ""
    digits = str(abs(scaled.numerator)).rjust(places + 1, "0")
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def round_fraction(value: Fraction, mode: RoundingMode) -> int:
    """Round ``value`` to an integer with the programme's declared mode.

    ``floor`` rounds toward minus infinity, ``half_up`` rounds halves away from zero,
    ``half_even`` rounds halves to the even neighbour (banker's rounding).
    """
    return round_ratio(value.numerator, value.denominator, mode)


def round_ratio(numerator: int, denominator: int, mode: RoundingMode) -> int:
    """Round ``numerator / denominator`` (``denominator`` > 0, the pair need not be in
    lowest terms) exactly as :func:`round_fraction` rounds that fraction.

    The evaluator keeps a basket's amounts as integers over one common denominator
    (a :class:`~fractions.Fraction` per line and rule is most of the work otherwise);
    this rounds them without building a fraction. Only integer operations, so the
    result is the same on every machine.
    """
    if mode == "floor":
        return numerator // denominator
    if mode == "half_up":
        # floor(|n/d| + 1/2), with the sign put back: halves away from zero.
        rounded = (2 * abs(numerator) + denominator) // (2 * denominator)
        return rounded if numerator >= 0 else -rounded
    if mode == "half_even":
        whole, remainder = divmod(numerator, denominator)
        twice = 2 * remainder
        if twice < denominator or (twice == denominator and whole % 2 == 0):
            return whole
        return whole + 1
    raise ValueError(f"unknown rounding mode {mode!r}")


def allocate(total: int, weights: Sequence[Fraction | int]) -> list[int]:
    """Share the integer ``total`` over ``weights`` by the largest remainder method.

    Each share is ``total * weight / sum(weights)`` rounded down; the units left over
    go one each to the largest remainders, ties to the earlier position (lines are
    passed in line-number order). The shares always add up to ``total``; weights of
    zero get nothing. ``total`` and every weight must be zero or more.

    Fractional weights are brought to one common denominator first: the shares only
    depend on the weights' proportions, and integers are exact and far cheaper.
    """
    if total < 0 or any(w < 0 for w in weights):
        raise ValueError(_NEGATIVE)
    if all(type(w) is int for w in weights):
        return _largest_remainder(total, weights)  # type: ignore[arg-type]
    fractions = [Fraction(w) for w in weights]
    common = lcm(*(f.denominator for f in fractions))
    return _largest_remainder(total, [f.numerator * (common // f.denominator) for f in fractions])


def allocate_integers(total: int, weights: Sequence[int]) -> list[int]:
    """:func:`allocate` for integer weights (amounts paid, in minor units), as the
    price phase spreads its discounts: the same shares, without looking at each
    weight's type."""
    if total < 0 or (weights and min(weights) < 0):
        raise ValueError(_NEGATIVE)
    return _largest_remainder(total, weights)


_NEGATIVE = "allocate needs a total and weights of zero or more"


def _largest_remainder(total: int, weights: Sequence[int]) -> list[int]:
    """:func:`allocate` for integer weights of zero or more: each remainder is over
    the same ``sum(weights)``, so comparing them as integers orders them as the
    exact fractions would."""
    whole = sum(weights)
    if total == 0 or whole == 0:
        if total and not whole:
            raise ValueError("cannot share a total over weights that are all zero")
        return [0] * len(weights)
    shares = [total * weight // whole for weight in weights]
    left = total - sum(shares)
    if left > 0:
        remainders = [total * weight % whole for weight in weights]
        _give_left_over(shares, remainders, left)
    return shares


def _give_left_over(shares: list[int], remainders: list[int], left: int) -> None:
    """One unit each to the ``left`` largest remainders, ties to the earlier position
    (a stable sort, descending, keeps equal remainders in position order)."""
    order = sorted(range(len(shares)), key=remainders.__getitem__, reverse=True)
    for index in order[:left]:
        shares[index] += 1


def apportion(total: int, exact: Sequence[Fraction]) -> list[int]:
    """Show a receipt's rounded ``total`` per line: each line's exact amount rounded
    down, and the units left over one each to the largest remainders (ties to the
    earlier line). A line of 100.00 at 1 point per krone shows 100, whatever else is
    on the receipt; the lines always add up to ``total``.

    ``total`` must be at least the sum of the rounded-down amounts (it is, for every
    rounding mode, since it rounds their exact sum); otherwise the total is shared in
    proportion by :func:`allocate`.
    """
    common = lcm(*(e.denominator for e in exact)) if exact else 1
    return apportion_scaled(total, [e.numerator * (common // e.denominator) for e in exact], common)


def apportion_scaled(total: int, numerators: Sequence[int], denominator: int) -> list[int]:
    """:func:`apportion` of the amounts ``numerators[i] / denominator`` (``denominator``
    > 0): the evaluator's form, integers over one common denominator, so that the
    remainders are integers compared directly."""
    shares = [numerator // denominator for numerator in numerators]
    left = total - sum(shares)
    if left < 0 or left > len(numerators):
        return allocate_integers(total, numerators)
    if left:
        remainders = [numerator % denominator for numerator in numerators]
        _give_left_over(shares, remainders, left)
    return shares
