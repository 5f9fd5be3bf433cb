"""The simplest programme: points per currency unit, redeemable as a discount.

A till configured without a programme file runs it (with the ``[programme]``
settings of its configuration), and a new ledger starts with it as version 1. With
the same settings both make the same document, hence the same content hash, so the
ledger can recompute what such a till recorded before it first synced.
"""

from __future__ import annotations

from typing import Any

from loyalty.programme.model import Offline


def simple_programme_document(
    *,
    currency: str = "NOK",
    points_per_unit: int = 1,
    redeem_points: int = 100,
    redeem_value_minor: int = 1000,
    min_redeem_points: int = 100,
    offline_redeem_cap: int = Offline.redeem_cap,
    max_offline_hours: int = Offline.max_offline_hours,
    timezone: str = "UTC",
) -> dict[str, Any]:
    """The document of a points programme with these settings (defaults: 1 point per
    krone, 100 points = 10.00 NOK off from 100 points, the default offline bounds)."""
    return {
        "programme": {
            "id": "points",
            "name": "Points",
            "engine": 1,
            "currency": currency,
            "timezone": timezone,
        },
        "rules": [{"id": "base", "kind": "earn_rate", "rate": str(points_per_unit)}],
        "redeem": {
            "points": redeem_points,
            "value_minor": redeem_value_minor,
            "min_points": min_redeem_points,
        },
        "offline": {
            "redeem_cap": offline_redeem_cap,
            "max_offline_hours": max_offline_hours,
        },
    }
