"""The programme's basic rules: earning points and redeeming them.

Rules are data with a version (guarantee 6): every event names the version it was
computed under, so the ledger can recompute it. All arithmetic is integer and rounds
with :func:`loyalty.money.divide_down`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from loyalty.errors import RedemptionRefused
from loyalty.money import Money, divide_down, format_money, minor_per_unit


@dataclass(frozen=True)
class ProgrammeRules:
    """One version of the programme's earn and redeem rules."""

    version: int = 1
    """Rule version; events record it and the ledger recomputes under it."""
    currency: str = "NOK"
    """Currency of every amount the programme handles."""
    points_per_unit: int = 1
    """Points earned per whole currency unit spent (1 point per krone)."""
    redeem_points: int = 100
    """Points that buy ``redeem_value_minor`` of discount (100 points ...)."""
    redeem_value_minor: int = 1000
    """... are worth this many minor units (10.00 NOK)."""
    min_redeem_points: int = 100
    """The smallest redemption a member may make."""
    offline_redeem_cap: int = 1000
    """While a till is offline: the most points one member may redeem there per day
    (two stores offline could otherwise spend the same points twice)."""
    max_offline_hours: int = 72
    """A till that has not synced for this long refuses new redemptions."""

    def __post_init__(self) -> None:
        minor_per_unit(self.currency)
        for name in ("version", "points_per_unit", "redeem_points", "redeem_value_minor"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name} must be a positive whole number")
        if isinstance(self.min_redeem_points, bool) or self.min_redeem_points < 1:
            raise ValueError("min_redeem_points must be at least 1")
        for name in ("offline_redeem_cap", "max_offline_hours"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a whole number, 0 or more")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProgrammeRules:
        """Build rules from a mapping, refusing unknown keys by name."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown programme setting(s): {', '.join(unknown)}")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def earn_points(self, amount: Money) -> int:
        """Points for a purchase of ``amount`` (rounded down; 149.90 NOK → 149)."""
        self._check_currency(amount)
        return divide_down(amount.minor * self.points_per_unit, minor_per_unit(self.currency))

    def redemption_value(self, points: int) -> Money:
        """The discount that ``points`` buy (rounded down to whole minor units)."""
        return Money(
            divide_down(points * self.redeem_value_minor, self.redeem_points), self.currency
        )

    def max_redeemable(self, available: int, purchase: Money | None = None) -> int:
        """The most points a member with ``available`` points may redeem now."""
        most = max(available, 0)
        if purchase is not None:
            self._check_currency(purchase)
            # Largest p with floor(p * value / points) <= purchase.
            by_purchase = divide_down(
                (purchase.minor + 1) * self.redeem_points - 1, self.redeem_value_minor
            )
            most = min(most, by_purchase)
        return most if most >= self.min_redeem_points else 0

    def check_redemption(self, points: int, available: int, purchase: Money | None = None) -> Money:
        """Return the discount for redeeming ``points``, or raise RedemptionRefused.

        Refuses: non-positive points, fewer than the minimum, more than the member
        has, and a discount larger than the purchase.
        """
        if isinstance(points, bool) or not isinstance(points, int) or points <= 0:
            raise RedemptionRefused("Enter the number of points to redeem.")
        if points < self.min_redeem_points:
            raise RedemptionRefused(f"The smallest redemption is {self.min_redeem_points} points.")
        if points > available:
            raise RedemptionRefused(
                f"Not enough points: the member has {max(available, 0)} points."
            )
        value = self.redemption_value(points)
        if purchase is not None:
            self._check_currency(purchase)
            if value.minor > purchase.minor:
                raise RedemptionRefused(
                    f"{points} points are worth {format_money(value)}, more than the "
                    f"purchase of {format_money(purchase)}. Redeem at most "
                    f"{self.max_redeemable(available, purchase)} points."
                )
        return value

    def check_offline_redemption(
        self, points: int, redeemed_offline_today: int, offline_hours: float | None
    ) -> None:
        """Bounds on redeeming while the till cannot reach the ledger (guarantee 5).

        ``redeemed_offline_today``: points this member redeemed at this till today
        that the ledger has not confirmed. ``offline_hours``: hours since the till's
        last successful sync, None if it never synced.
        """
        if offline_hours is None:
            raise RedemptionRefused(
                "This till has not reached the ledger yet, so points cannot be redeemed "
                "offline. Connect it once, then try again."
            )
        if offline_hours >= self.max_offline_hours:
            raise RedemptionRefused(
                f"This till has been offline for {int(offline_hours)} hours; redemptions "
                f"stop after {self.max_offline_hours}. Points can still be earned."
            )
        left = self.offline_redeem_cap - redeemed_offline_today
        if points > left:
            raise RedemptionRefused(
                f"While offline a member may redeem at most {self.offline_redeem_cap} "
                f"points a day here; {max(left, 0)} are left today. Points can still be earned."
            )

    def _check_currency(self, amount: Money) -> None:
        if amount.currency != self.currency:
            raise RedemptionRefused(
                f"The programme runs in {self.currency}, not {amount.currency}."
            )
