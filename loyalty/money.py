"""Money as integer minor units with a currency code, and the one rounding rule.

Amounts are never floats: 123.45 NOK is ``Money(12345, "NOK")``. Parsing accepts
what a cashier types (``123``, ``123.45``, ``123,45``, ``1 234,50``) and refuses
anything with more decimals than the currency has.

**The rounding rule.** Wherever the programme divides (points from an amount, the
value of redeemed points), the result is rounded *down* to a whole point or a whole
minor unit with :func:`divide_down`. A member never receives a fraction of a point or
of an øre that was not fully earned, and the same inputs always give the same result
on every till and at the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass

from loyalty.errors import InvalidAmount

# ISO 4217 minor-unit exponents for the currencies the chain trades in.
MINOR_UNIT_DIGITS: dict[str, int] = {
    "NOK": 2,
    "SEK": 2,
    "DKK": 2,
    "EUR": 2,
    "ISK": 0,
    "USD": 2,
    "GBP": 2,
}

# A single purchase above this is a typing error, not a sale (10 million units).
MAX_AMOUNT_UNITS = 10_000_000


def divide_down(numerator: int, denominator: int) -> int:
    """The programme's one rounding rule: divide and round toward zero.

    ``divide_down(7, 2) == 3`` and ``divide_down(-7, 2) == -3``: a refund takes back
    exactly what the matching earn gave.
    """
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    quotient = abs(numerator) // denominator
    return quotient if numerator >= 0 else -quotient


def minor_per_unit(currency: str) -> int:
    """How many minor units make one currency unit (100 for NOK)."""
    digits = MINOR_UNIT_DIGITS.get(currency)
    if digits is None:
        raise InvalidAmount(f"Unknown currency {currency!r}.")
    return int(10**digits)


@dataclass(frozen=True, order=True)
class Money:
    """An amount in integer minor units of ``currency``."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.minor, bool) or not isinstance(self.minor, int):
            raise TypeError("Money.minor must be an int (minor units)")
        minor_per_unit(self.currency)

    def __str__(self) -> str:
        return format_money(self)

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise InvalidAmount(f"Cannot mix {self.currency} and {other.currency}.")


def parse_money(text: str, currency: str) -> Money:
    """Read an amount as a cashier types it; raise :class:`InvalidAmount` if unclear.

    Accepts a decimal point or a decimal comma, spaces as thousands separators, and
    no more decimals than the currency has. Negative amounts are refused: refunds are
    their own operation.
    """
    digits = MINOR_UNIT_DIGITS.get(currency)
    if digits is None:
        raise InvalidAmount(f"Unknown currency {currency!r}.")
    cleaned = text.strip().replace(" ", "").replace("\u00a0", "")
    if not cleaned:
        raise InvalidAmount("Enter the purchase amount.")
    if cleaned.startswith("-"):
        raise InvalidAmount("The amount cannot be negative.")
    cleaned = cleaned.replace(",", ".")
    whole, sep, fraction = cleaned.partition(".")
    if not whole:
        whole = "0"
    if not (whole.isascii() and whole.isdigit()) or (
        sep and not (fraction.isascii() and fraction.isdigit())
    ):
        raise InvalidAmount(f"{text.strip()!r} is not an amount. Type it like 149.90.")
    if len(fraction) > digits:
        raise InvalidAmount(f"{currency} amounts have at most {digits} decimals.")
    if int(whole) > MAX_AMOUNT_UNITS:
        raise InvalidAmount("The amount is too large for one purchase.")
    minor = int(whole) * 10**digits + (int(fraction.ljust(digits, "0")) if digits else 0)
    return Money(minor, currency)


def format_money(money: Money) -> str:
    """``Money(14990, "NOK")`` → ``"149.90 NOK"``."""
    digits = MINOR_UNIT_DIGITS[money.currency]
    sign = "-" if money.minor < 0 else ""
    value = abs(money.minor)
    if digits == 0:
        return f"{sign}{value} {money.currency}"
    units, minor = divmod(value, 10**digits)
    return f"{sign}{units}.{minor:0{digits}d} {money.currency}"
