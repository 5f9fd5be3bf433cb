"""How the cashier screen writes points, balances and receipts.

Pure functions of the till's views, so the screen's wording can be tested and read
without running the App.
"""

from __future__ import annotations

from datetime import datetime

from loyalty.events import EventKind
from pos_client.views import MemberView, Receipt

EMPTY = "—"
"""Shown where a value is not known yet (no member, no tier)."""

KIND_LABELS = {
    EventKind.SALE: "Sale",
    EventKind.EARN: "Earn",
    EventKind.REDEEM: "Redeem",
    EventKind.REFUND: "Refund",
    EventKind.ADJUST: "Adjustment",
}


def points(value: int) -> str:
    """``1 250`` for 1250: groups of three separated by a space, as Nordic tills do."""
    return f"{value:,}".replace(",", " ")


def signed_points(value: int) -> str:
    """``+149`` or ``-200``: a change to a balance, never an unsigned number."""
    return ("+" if value >= 0 else "-") + points(abs(value))


def balance_lines(member: MemberView) -> tuple[str, str]:
    """The balance and, when some of it is not yet confirmed, how much of it.

    The shown balance includes this till's unsynced events (guarantee 4); the second
    line makes that part visible so nobody mistakes it for a confirmed figure.
    """
    total = f"{points(member.balance)} points"
    if member.unconfirmed_points == 0:
        return total, ""
    return total, f"(of which {signed_points(member.unconfirmed_points)} not yet synced)"


def tier(member: MemberView | None) -> str:
    return member.tier if member is not None and member.tier else EMPTY


def kind_label(kind: EventKind) -> str:
    return KIND_LABELS.get(kind, str(kind).capitalize())


def receipt_time(receipt: Receipt) -> str:
    """``HH:MM:SS`` in local time of the terminal's clock at recording, as printed."""
    try:
        moment = datetime.fromisoformat(receipt.recorded_at.replace("Z", "+00:00"))
    except ValueError:
        return ""
    return moment.astimezone().strftime("%H:%M:%S")
