"""The member at the till: name, masked card, tier and the honest balance."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from pos_client.ui import formatting
from pos_client.views import MemberView

LABEL_WIDTH = 9


class MemberPanel(Static):
    """Shows :attr:`member`; the screen sets it, the panel only draws it.

    The balance line shows the confirmed and unsynced parts together (guarantee 4),
    so a cashier never reads an unconfirmed figure as final.
    """

    member: reactive[MemberView | None] = reactive(None)
    """The panel has a fixed height (till.tcss): a new member repaints it alone."""

    def on_mount(self) -> None:
        self.border_title = "Member"

    def watch_member(self, member: MemberView | None) -> None:
        self.update(self._content(member))

    @staticmethod
    def _content(member: MemberView | None) -> Text:
        empty = formatting.EMPTY
        if member is None:
            rows = [("Name", empty), ("Card", empty), ("Tier", empty), ("Balance", empty)]
            extra = "Scan a member card."
        else:
            total, unsynced = formatting.balance_lines(member)
            rows = [
                ("Name", member.name),
                ("Card", member.masked_card),
                ("Tier", formatting.tier(member)),
                ("Balance", total),
            ]
            extra = unsynced
        text = Text()
        for index, (label, value) in enumerate(rows):
            if index:
                text.append("\n")
            text.append(label.ljust(LABEL_WIDTH), style="dim")
            text.append(value, style="bold" if label in ("Name", "Balance") else "")
        text.append("\n" + " " * LABEL_WIDTH)
        text.append(extra, style="italic")
        return text
