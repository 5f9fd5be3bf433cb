"""Release 0.1.0's rules (event schema 1): points per krone and a redemption value.

Tills of that release recorded ``earn``, ``redeem`` and ``refund`` events under a
numbered rules version; the ledger keeps those versions and checks such events
against them. New events are computed under programme versions
(:mod:`loyalty.programme`) instead; nothing else uses these rules.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from loyalty.money import Money, minor_per_unit


@dataclass(frozen=True)
class ProgrammeRules:
    """One version of release 0.1.0's earn and redeem rules."""

    version: int = 1
    currency: str = "NOK"
    points_per_unit: int = 1
    """Points earned per whole currency unit spent, rounded down."""
    redeem_points: int = 100
    """Points that buy ``redeem_value_minor`` of discount."""
    redeem_value_minor: int = 1000
    min_redeem_points: int = 100
    offline_redeem_cap: int = 1000
    max_offline_hours: int = 72

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProgrammeRules:
        """Rules from a stored mapping, refusing unknown keys by name."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown programme setting(s): {', '.join(unknown)}")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def earn_points(self, amount: Money) -> int:
        """Points for a purchase of ``amount`` (rounded down; 149.90 NOK → 149)."""
        return amount.minor * self.points_per_unit // minor_per_unit(self.currency)

    def redemption_value(self, points: int) -> Money:
        """The discount that ``points`` buy (rounded down to whole minor units)."""
        return Money(points * self.redeem_value_minor // self.redeem_points, self.currency)
