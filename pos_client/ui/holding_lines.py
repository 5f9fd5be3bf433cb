"""The member panel's line about what the member holds besides balances: bonus
vouchers to scan, personal offers that apply by themselves, and a member dividend
accrued so far (this till's unsynced part marked as such)."""

from __future__ import annotations

from datetime import date

from pos_client.holdings import vouchers_usable
from pos_client.ui.formatting import MONTHS, money
from pos_client.views import MemberView


def _day(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]}"


def vouchers_text(member: MemberView, today: date) -> str:
    """``Voucher 3.00 GBP to 1 May`` or ``2 vouchers 6.00 GBP``: scan them to use."""
    usable = vouchers_usable(member.vouchers, today, member.used)
    if not usable:
        return ""
    if len(usable) == 1:
        (voucher,) = usable
        value = money(voucher.value_minor, voucher.currency)
        return f"Voucher {value} to {_day(voucher.valid_until)} (scan it)"
    currency = usable[0].currency
    total = sum(v.value_minor for v in usable if v.currency == currency)
    return f"{len(usable)} vouchers {money(total, currency)} (scan them)"


def offers_text(member: MemberView, today: date) -> str:
    """``Offers: 20 % off jeans``: those valid today with uses left."""
    info = member.programme
    counts = member.used.offers or {}
    names = [
        (info.offers.get(o.template, o.template) if info is not None else o.template)
        for o in member.offers
        if o.valid_from <= today <= o.valid_until and o.uses_left - counts.get(o.id, 0) > 0
    ]
    return f"Offers: {', '.join(names)}" if names else ""


def accrued_text(member: MemberView) -> str:
    """``Dividend 2026 so far 37.15 NOK (+1.20 unsynced)``."""
    info = member.programme
    if info is None:
        return ""
    parts = []
    shown = set()
    for accrual in member.accrued:
        shown.add(accrual.settlement)
        name = info.settlement_names.get(accrual.settlement, accrual.settlement)
        text = f"{name} {accrual.period} so far {money(accrual.amount, info.currency)}"
        unsynced = member.accrued_unsynced.get(accrual.settlement, 0)
        if unsynced:
            text += f" (+{money(unsynced, info.currency)} unsynced)"
        parts.append(text)
    for settlement, unsynced in sorted(member.accrued_unsynced.items()):
        if settlement not in shown and unsynced:
            name = info.settlement_names.get(settlement, settlement)
            parts.append(f"{name} so far {money(unsynced, info.currency)} (unsynced)")
    return " · ".join(parts)


def holdings_line(member: MemberView, today: date) -> str:
    parts = (vouchers_text(member, today), offers_text(member, today), accrued_text(member))
    return " · ".join(p for p in parts if p)
