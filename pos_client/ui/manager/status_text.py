"""A member's status and history rows in words, for the manager's member page.

Figures are said as the cashier's screen says them (:mod:`pos_client.ui.formatting`,
:mod:`pos_client.wording`): the wallet's own words, a debt as owed, and what this
till has not synced yet apart from what the ledger confirmed.
"""

from __future__ import annotations

from datetime import date

from pos_client import wording
from pos_client.member_desk_views import HistoryRow, MemberStatus, mask_phone
from pos_client.ui import formatting
from pos_client.ui.holding_lines import holdings_line


def age_words(seconds: float | None) -> str:
    """``3 min``, ``2 h``, ``4 days``."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return "under a minute"
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 2 * 86400:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} days"


def status_text(status: MemberStatus, today: date | None = None) -> str:
    """The member's status, one fact a line, empty facts left out."""
    member = status.member
    info = member.programme
    day = today or member.as_of or date.today()
    head = f"{member.name} · member {member.member_id}"
    if status.tier:
        head += f" · tier {status.tier}"
    if status.phone:
        head += f" · phone {mask_phone(status.phone)}"
    lines = [head]
    for line in status.accounts:
        text = wording.account_amount(line.account, line.total, info)
        if line.pending:
            confirmed = wording.account_amount(line.account, line.confirmed, info)
            pending = wording.account_amount(line.account, line.pending, info, True)
            text += f" (confirmed {confirmed}; {pending} not yet synced)"
        lines.append(text)
    extras = (
        formatting.tier_progress(member, day),
        formatting.stamps_progress(member),
        formatting.rewards_held(member),
        holdings_line(member, day),
        formatting.expiring(member),
    )
    lines += [extra for extra in extras if extra]
    flags = ", ".join(status.flag_reasons) if status.flag_reasons else "flagged"
    lines.append(f"Flags: {flags}" if status.flagged else "No flags")
    cards = " · ".join(f"{card.masked_card} {card.state}" for card in status.cards)
    pending = f" · {status.pending_events} event(s) not yet synced" if status.pending_events else ""
    lines.append(f"Cards: {cards}{pending}")
    return "\n".join(lines)


def history_cells(row: HistoryRow) -> tuple[str, ...]:
    """The history table's cells: when, what, where, points, by, state."""
    points = ", ".join(
        wording.account_amount(wallet, amount, None, sign=True, short=True)
        for wallet, amount in row.points.items()
    )
    what = row.what + (f" #{row.receipt_no}" if row.receipt_no else "")
    if row.flags:
        what += f" ({', '.join(row.flags)})"
    return (row.when, what, row.where, points, row.operator, row.state)
