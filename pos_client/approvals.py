"""A manager's approval at the till, and the one check every recording makes.

The programme version in force says which actions need a manager
(:class:`loyalty.programme.approvals.Approvals`). A recording that needs one and
was given none raises :class:`ApprovalRequired` (the UI then asks a manager for
their PIN and tries again); one that was given an approval records it in the event
(``approval``: manager, action, amount), where the ledger checks it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from loyalty.programme.approvals import ACTION_WORDS, Approvals, approval_record
from pos_client.errors import ApprovalRequired


@dataclass(frozen=True)
class Approval:
    """A manager's yes to one action, given with their PIN at this till."""

    manager: str
    """The manager's staff number."""
    action: str
    amount: int
    """The size they approved (points, or minor units of money for a refund)."""


def approval_fields(
    policy: Approvals, action: str, amount: int, approval: Approval | None
) -> dict[str, Any]:
    """``{"approval": ...}`` for an event of ``action`` and ``amount`` given
    ``approval``; ``{}`` when the policy needs none and none was given.

    Raises :class:`ApprovalRequired` when the policy needs an approval and
    ``approval`` is missing, is for another action, or for a smaller amount."""
    if approval is not None and approval.action == action and approval.amount >= amount:
        return {"approval": approval_record(approval.manager, action, amount)}
    if not policy.needed(action, amount):
        return {}
    raise ApprovalRequired(
        action, amount, f"{ACTION_WORDS[action].capitalize()} needs a manager's approval."
    )
