"""A manager's approval, checked at push: refused without one, flagged when unusual.

The policy is the ``[approvals]`` of the programme version an event names in
``programme`` (else the version in force at its business time; release 0.1.0's
schema-1 events, which cannot carry an approval, are checked against the default
policy for flags only). Each kind of event is one approval action of some size
(:func:`action_of`):

======================  ================  =======================================
kind                    action            amount
======================  ================  =======================================
``adjust``              ``adjust``        the sum of the sizes of its postings
``replace``, ``block``  ``replace_card``  0
``refund``              ``refund``        ``refund_minor``
``redeem``              ``redeem``        the points spent (its negative postings)
``sale``                ``redeem``        the units of its ``spent``
======================  ================  =======================================

An event whose action the policy says needs an approval and which carries none, or
one for another action or a smaller amount, is malformed (:func:`approval_problem`):
the till could not have recorded it so. An approval naming someone the ledger does
not know as an active manager is accepted and flagged ``approval_unverified`` (the
till may hold an older staff list); an adjustment larger than the policy's
``flag_adjust_above`` is flagged ``large_adjustment`` (:func:`approval_flags`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from loyalty.programme.approvals import ACTION_WORDS, Approvals

Flag = tuple[str, str]
DEFAULT_POLICY = Approvals()


def action_of(content: Mapping[str, Any], postings: Mapping[str, int]) -> tuple[str, int] | None:
    """The approval action and amount of an event (see the module doc), or None."""
    kind = content["kind"]
    if kind == "adjust":
        return "adjust", sum(abs(v) for v in postings.values())
    if kind in ("replace", "block"):
        return "replace_card", 0
    if kind == "refund" and "refund_minor" in content:
        return "refund", int(content["refund_minor"])
    if kind == "redeem":
        return "redeem", -sum(v for v in postings.values() if v < 0)
    if kind == "sale" and content.get("spent"):
        return "redeem", sum(abs(int(v)) for v in content["spent"].values())
    return None


def approval_problem(
    content: Mapping[str, Any], postings: Mapping[str, int], policy: Approvals
) -> str | None:
    """Why the event is malformed for want of an approval, or None."""
    if "schema" not in content:
        return None
    found = action_of(content, postings)
    if found is None:
        return None
    action, amount = found
    if not policy.needed(action, amount):
        return None
    words = f"Event {content['seq']} ({ACTION_WORDS[action]} of {amount})"
    approval = content.get("approval")
    if approval is None:
        return f"{words} needs a manager's approval under its programme version and has none."
    if approval["action"] != action:
        return f"{words} carries an approval for {approval['action']}, not for {action}."
    if int(approval["amount"]) < amount:
        return f"{words} carries an approval for only {approval['amount']}."
    return None


def approval_flags(
    content: Mapping[str, Any],
    postings: Mapping[str, int],
    policy: Approvals,
    managers: set[str],
) -> list[Flag]:
    """The anomalies an accepted event's approval or size calls for."""
    flags: list[Flag] = []
    approval = content.get("approval")
    if isinstance(approval, Mapping) and str(approval.get("manager")) not in managers:
        flags.append(
            (
                "approval_unverified",
                f"approved by {approval.get('manager')}, whom the ledger does not know as an "
                "active manager",
            )
        )
    if content["kind"] == "adjust":
        size = sum(abs(v) for v in postings.values())
        if size > policy.flag_adjust_above:
            flags.append(
                (
                    "large_adjustment",
                    f"an adjustment of {size} units, above {policy.flag_adjust_above}",
                )
            )
    return flags
