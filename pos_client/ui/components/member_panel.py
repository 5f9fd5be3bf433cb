"""The member at the till: name, masked card, tier and the way to the next one,
balances, stamps, rewards and what expires next, and their vouchers, offers and
dividend accrued."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Text
from textual.reactive import reactive

from loyalty.timezones import local_time
from pos_client.ui import formatting
from pos_client.ui.components.fixed_text import FixedText
from pos_client.ui.holding_lines import holdings_line
from pos_client.views import MemberView


class MemberPanel(FixedText):
    """Shows :attr:`member`; the screen sets it, the panel only draws it.

    The balance line shows the confirmed and unsynced parts together (guarantee 4),
    so a cashier never reads an unconfirmed figure as final; a negative balance says
    it is owed. The panel has a fixed height (till.tcss): a new member repaints it
    alone.
    """

    member: reactive[MemberView | None] = reactive(None)

    def on_mount(self) -> None:
        self.border_title = "Member"

    def watch_member(self, member: MemberView | None) -> None:
        programme = member.programme if member is not None else None
        self.border_title = f"Member · {programme.name}" if programme else "Member"
        self.update(self._content(member))

    @staticmethod
    def _content(member: MemberView | None) -> Text:
        text = Text()
        if member is None:
            text.append("Scan the member's card, before or after products.", style="dim")
            return text
        text.append(member.name, style="bold")
        text.append(f"   {member.masked_card}   ")
        text.append("Tier ", style="dim")
        text.append(formatting.tier(member))
        if formatting.has_balance(member.programme):
            total, unsynced = formatting.balance_lines(member)
            text.append("\n")
            text.append(total, style="bold red" if member.balance < 0 else "bold")
            if unsynced:
                text.append(f" {unsynced}", style="italic")
            others = formatting.other_wallets(member)
            if others:
                text.append(f"   {others}")
        info = member.programme
        today = (
            member.as_of or local_time(datetime.now(UTC), info.timezone if info else "UTC").date()
        )
        ahead = ""
        if info is not None and info.tier_qualification is not None:
            ahead = formatting.tier_progress(member, today)
        extra = [
            part
            for part in (
                ahead,
                formatting.stamps_progress(member),
                formatting.rewards_held(member) + " (F5)" if member.rewards else "",
                formatting.expiring(member),
            )
            if part
        ]
        text.append("\n")
        text.append(" · ".join(extra) if extra else " ", style="")
        text.append("\n")
        text.append(holdings_line(member, today) or " ")
        return text
