"""Points as a discount: what they are worth and what a member may redeem now.

All limits a cashier meets are here, with messages in their words: the balance, the
programme's minimum, the purchase (a discount is never larger than what is paid),
and the offline bounds of guarantee 5 (a daily cap per member at a till that cannot
reach the ledger, and no redemption at all after too long offline).
"""

from __future__ import annotations

from dataclasses import dataclass

from loyalty.errors import RedemptionRefused
from loyalty.money import Money, format_money
from loyalty.programme.model import Offline, Programme, Redeem


def redeem_terms(programme: Programme) -> Redeem:
    """The programme's ``[redeem]`` terms, or a refusal when it has none."""
    if programme.redeem is None:
        raise RedemptionRefused(
            f"The {programme.name} programme does not let points be used as a discount."
        )
    return programme.redeem


def redemption_value(redeem: Redeem, points: int) -> int:
    """The discount ``points`` buy, in minor units, rounded down."""
    return points * redeem.value_minor // redeem.points


def max_redeemable(redeem: Redeem, available: int, purchase_minor: int | None = None) -> int:
    """The most points a member with ``available`` may redeem (0: none allowed)."""
    most = max(available, 0)
    if purchase_minor is not None:
        # Largest p with floor(p * value / points) <= purchase.
        most = min(most, ((purchase_minor + 1) * redeem.points - 1) // redeem.value_minor)
    return most if most >= redeem.min_points else 0


@dataclass(frozen=True)
class RedeemLimits:
    """Everything that bounds a redemption now, for the cashier's dialog."""

    balance: int
    minimum: int
    purchase_minor: int | None
    offline_left: int | None
    """Points this member may still redeem today at this till while offline; None
    when the till is online (no offline cap applies)."""
    most: int
    """The most that may be redeemed now (0: none)."""


def limits(
    programme: Programme,
    balance: int,
    purchase_minor: int | None,
    offline_left: int | None,
) -> RedeemLimits:
    redeem = redeem_terms(programme)
    most = max_redeemable(redeem, balance, purchase_minor)
    if offline_left is not None:
        most = min(most, max(offline_left, 0))
        if most < redeem.min_points:
            most = 0
    return RedeemLimits(balance, redeem.min_points, purchase_minor, offline_left, most)


def check_redemption(
    programme: Programme, points: int, available: int, purchase_minor: int | None = None
) -> int:
    """Return the discount (minor units) for redeeming ``points``, or refuse.

    Refuses: not a positive number, fewer than the minimum, more than the member
    has, a negative balance (a debt), and a discount larger than the purchase.
    """
    redeem = redeem_terms(programme)
    if isinstance(points, bool) or not isinstance(points, int) or points <= 0:
        raise RedemptionRefused("Enter the number of points to redeem.")
    if available < 0:
        raise RedemptionRefused(
            f"The member owes {-available} points (a refund took back points already "
            "spent); nothing can be redeemed until the balance is positive again."
        )
    if points < redeem.min_points:
        raise RedemptionRefused(f"The smallest redemption is {redeem.min_points} points.")
    if points > available:
        raise RedemptionRefused(f"Not enough points: the member has {available} points.")
    value = redemption_value(redeem, points)
    if purchase_minor is not None and value > purchase_minor:
        currency = programme.currency
        raise RedemptionRefused(
            f"{points} points are worth {format_money(Money(value, currency))}, more than "
            f"the purchase of {format_money(Money(purchase_minor, currency))}. Redeem at "
            f"most {max_redeemable(redeem, available, purchase_minor)} points."
        )
    return value


def check_offline_redemption(
    offline: Offline, points: int, redeemed_offline_today: int, offline_hours: float | None
) -> None:
    """Bounds on redeeming while the till cannot reach the ledger (guarantee 5).

    ``redeemed_offline_today``: points this member redeemed at this till today that
    the ledger has not confirmed. ``offline_hours``: hours since the till's last
    successful sync, None if it never synced.
    """
    if offline_hours is None:
        raise RedemptionRefused(
            "This till has not reached the ledger yet, so points cannot be redeemed "
            "offline. Connect it once, then try again."
        )
    if offline_hours >= offline.max_offline_hours:
        raise RedemptionRefused(
            f"This till has been offline for {int(offline_hours)} hours; redemptions "
            f"stop after {offline.max_offline_hours}. Points can still be earned."
        )
    left = offline.redeem_cap - redeemed_offline_today
    if points > left:
        raise RedemptionRefused(
            f"While offline a member may redeem at most {offline.redeem_cap} "
            f"points a day here; {max(left, 0)} are left today. Points can still be earned."
        )
