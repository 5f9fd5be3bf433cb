"""A till that knows its store's staff (a cashier and a manager with a badge), under a
programme whose [approvals] ask a manager for large redemptions and refunds."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from loyalty.programme import parse_programme
from loyalty.programme.default import simple_programme_document
from pos_client.till import Till
from tests.integration.staff_feed import pull_staff, staff_change
from tests.ui.conftest import open_till

CASHIER, CASHIER_PIN = "C1", "1111"
MANAGER, MANAGER_PIN, MANAGER_BADGE = "M1", "2468", "99001"
REDEEM_ABOVE = 100
REFUND_ABOVE_MINOR = 3000


def approvals_programme():
    document = simple_programme_document()
    document["approvals"] = {
        "redeem_above": REDEEM_ABOVE,
        "refund_above_minor": REFUND_ABOVE_MINOR,
    }
    return parse_programme(document)


FIXED_NOW = datetime(2026, 12, 4, 10, 30, tzinfo=timezone(timedelta(hours=1)))
"""The clock of a till whose screens are snapshotted (dates and times stay put)."""


def open_staffed_till(directory: Path, fixed_clock: bool = False) -> Till:
    till = open_till(directory, programme=approvals_programme())
    if fixed_clock:
        till.clock = lambda: FIXED_NOW
    pull_staff(
        till.store,
        [
            staff_change(CASHIER, CASHIER_PIN, 1, name="Cato Cashier"),
            staff_change(
                MANAGER, MANAGER_PIN, 2, name="Mona Manager", role="manager", badge=MANAGER_BADGE
            ),
        ],
    )
    return till


def sell_as_cashier(till: Till, card: str, amount: str = "149.90") -> None:
    """One sale by the cashier, who then signs out (the till as a manager finds it)."""
    till.sign_in(CASHIER, CASHIER_PIN)
    till.scan(card)
    till.earn(amount)
    till.clear_member()
    till.sign_out()
