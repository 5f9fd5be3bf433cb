"""Exact arithmetic for the programme engine: decimal rates, rounding, allocation.

Inside the engine every amount is a :class:`fractions.Fraction`; only the outcome is
made of integers. This module is the one place where a fraction becomes an integer
(:func:`round_fraction`) and where an integer is shared out over lines
(:func:`allocate`), so the till and the ledger round identically.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from fractions import Fraction
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
    if mode == "floor":
        return value.numerator // value.denominator
    if mode == "half_up":
        magnitude = abs(value)
        rounded = (magnitude + Fraction(1, 2)).__floor__()
        return rounded if value >= 0 else -rounded
    if mode == "half_even":
        return round(value)
    raise ValueError(f"unknown rounding mode {mode!r}")


def allocate(total: int, weights: Sequence[Fraction | int]) -> list[int]:
    """Share the integer ``total`` over ``weights`` by the largest remainder method.

    Each share is ``total * weight / sum(weights)`` rounded down; the units left over
    go one each to the largest remainders, ties to the earlier position (lines are
    passed in line-number order). The shares always add up to ``total``; weights of
    zero get nothing. ``total`` and every weight must be zero or more.
    """
    if total < 0 or any(w < 0 for w in weights):
        raise ValueError("allocate needs a total and weights of zero or more")
    whole = sum((Fraction(w) for w in weights), Fraction(0))
    if total == 0 or whole == 0:
        if total and not whole:
            raise ValueError("cannot share a total over weights that are all zero")
        return [0] * len(weights)
    exact = [Fraction(total) * Fraction(w) / whole for w in weights]
    shares = [e.numerator // e.denominator for e in exact]
    left = total - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for index in order[:left]:
        shares[index] += 1
    return shares


def apportion(total: int, exact: Sequence[Fraction]) -> list[int]:
    """Show a receipt's rounded ``total`` per line: each line's exact amount rounded
    down, and the units left over one each to the largest remainders (ties to the
    earlier line). A line of 100.00 at 1 point per krone shows 100, whatever else is
    on the receipt; the lines always add up to ``total``.

    ``total`` must be at least the sum of the rounded-down amounts (it is, for every
    rounding mode, since it rounds their exact sum); otherwise the total is shared in
    proportion by :func:`allocate`.
    """
    shares = [e.numerator // e.denominator for e in exact]
    left = total - sum(shares)
    if left < 0 or left > len(exact):
        return allocate(total, exact)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - shares[i]), i))
    for index in order[:left]:
        shares[index] += 1
    return shares
