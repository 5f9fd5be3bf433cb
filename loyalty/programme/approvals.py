"""Which actions at a till need a manager's approval: the programme's ``[approvals]``.

The policy is part of the programme version, so a till decides offline exactly as
the ledger checks later: the ledger refuses, as malformed, an event that needed an
approval under the version it names and carries none. An approval names the
manager, the action and the amount in the event itself (the ``approval`` field).

    [approvals]
    adjust = true                 # every points correction (default true)
    replace_card = true           # replacing or blocking a card (default true)
    refund_above_minor = 50000    # a refund giving back more money than this
    redeem_above = 1000           # redeeming more points than this at once
    close_day_unsynced = true     # closing the day with events not yet synced
    flag_adjust_above = 1000      # the ledger flags corrections larger than this
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from loyalty.programme.reader import Table
from loyalty.staff import APPROVAL_ACTIONS

ACTION_WORDS: Final[Mapping[str, str]] = {
    "adjust": "a points correction",
    "replace_card": "a card replacement or block",
    "refund": "a large refund",
    "redeem": "a large redemption",
    "close_day": "closing the day with unsynced events",
}
"""Each action in a cashier's words (the approval dialog's title)."""

ADJUST_REASONS: Final[Mapping[str, str]] = {
    "missed_scan": "Card not scanned at the sale",
    "goodwill": "Goodwill (complaint, service failure)",
    "receipt_error": "Wrong points on a receipt",
    "duplicate": "Points counted twice",
    "fraud": "Points taken back (misuse)",
    "other": "Other (say why in the note)",
}
"""The reason codes of a points correction, with their words; ``other`` needs a note."""


@dataclass(frozen=True)
class Approvals:
    """The approval policy of one programme version."""

    adjust: bool = True
    replace_card: bool = True
    refund_above_minor: int | None = None
    """A refund giving back more money than this needs a manager; None: never."""
    redeem_above: int | None = None
    """Redeeming more points than this at once needs a manager; None: never."""
    close_day_unsynced: bool = True
    flag_adjust_above: int = 1000
    """The ledger flags (``large_adjustment``) a correction of more units than this."""

    def needed(self, action: str, amount: int = 0) -> bool:
        """Whether ``action`` of ``amount`` (minor units of money for a refund, points
        for a redemption or a correction; 1 for closing the day with unsynced events,
        0 without) needs a manager's approval."""
        if action == "adjust":
            return self.adjust
        if action == "replace_card":
            return self.replace_card
        if action == "refund":
            return self.refund_above_minor is not None and amount > self.refund_above_minor
        if action == "redeem":
            return self.redeem_above is not None and amount > self.redeem_above
        if action == "close_day":
            return self.close_day_unsynced and amount > 0
        assert action not in APPROVAL_ACTIONS, f"{action} has no rule here"
        raise ValueError(f"unknown approval action {action!r}")


def approvals(top: Table) -> Approvals:
    """The ``[approvals]`` table, or the defaults when there is none."""
    table = top.table("approvals")
    if table is None:
        return Approvals()
    defaults = Approvals()
    policy = Approvals(
        adjust=table.boolean("adjust", defaults.adjust),
        replace_card=table.boolean("replace_card", defaults.replace_card),
        refund_above_minor=table.integer("refund_above_minor", None),
        redeem_above=table.integer("redeem_above", None),
        close_day_unsynced=table.boolean("close_day_unsynced", defaults.close_day_unsynced),
        flag_adjust_above=table.integer("flag_adjust_above", defaults.flag_adjust_above),
    )
    table.done()
    return policy


def approval_record(manager: str, action: str, amount: int) -> dict[str, Any]:
    """The ``approval`` field of an event: who approved what, of what size."""
    return {"manager": manager, "action": action, "amount": amount}
