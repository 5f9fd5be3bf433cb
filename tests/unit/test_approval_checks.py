"""What the ledger checks of an event's approval (ledger.approval_checks): the action
and amount of each kind, refusal without a fitting approval, and the flags."""

from __future__ import annotations

from typing import Any

from ledger.approval_checks import action_of, approval_flags, approval_problem
from loyalty.programme.approvals import Approvals, approval_record


def _event(kind: str, **fields: Any) -> dict[str, Any]:
    return {"schema": 2, "kind": kind, "seq": 7, **fields}


def test_each_kind_is_one_action_of_some_size() -> None:
    assert action_of(_event("adjust"), {"points": -300, "stamps:c": 2}) == ("adjust", 302)
    assert action_of(_event("replace"), {}) == ("replace_card", 0)
    assert action_of(_event("block"), {}) == ("replace_card", 0)
    assert action_of(_event("refund", refund_minor=60000), {"points": -600}) == ("refund", 60000)
    assert action_of(_event("redeem"), {"points": -1500}) == ("redeem", 1500)
    assert action_of(_event("sale", spent={"points": 2000}), {"points": -1900}) == (
        "redeem",
        2000,
    )
    assert action_of(_event("sale"), {"points": 99}) is None
    assert action_of(_event("enrol"), {}) is None


def test_an_event_needing_an_approval_is_refused_without_a_fitting_one() -> None:
    policy = Approvals(refund_above_minor=50000, redeem_above=1000)
    adjust = _event("adjust")
    assert "has none" in str(approval_problem(adjust, {"points": 5}, policy))
    wrong = _event("adjust", approval=approval_record("M1", "refund", 5))
    assert "not for adjust" in str(approval_problem(wrong, {"points": 5}, policy))
    small = _event("adjust", approval=approval_record("M1", "adjust", 4))
    assert "only 4" in str(approval_problem(small, {"points": -5}, policy))
    fits = _event("adjust", approval=approval_record("M1", "adjust", 5))
    assert approval_problem(fits, {"points": -5}, policy) is None
    assert approval_problem(_event("redeem"), {"points": -1000}, policy) is None
    assert approval_problem(_event("redeem"), {"points": -1001}, policy) is not None
    assert approval_problem(_event("refund", refund_minor=50000), {}, policy) is None
    legacy = {"kind": "adjust", "seq": 3, "points": 10**12}
    assert approval_problem(legacy, {"points": 10**12}, policy) is None


def test_unknown_managers_and_large_adjustments_are_flagged() -> None:
    policy = Approvals(flag_adjust_above=100)
    event = _event("adjust", approval=approval_record("M9", "adjust", 101))
    kinds = [k for k, _ in approval_flags(event, {"points": 101}, policy, {"M1"})]
    assert kinds == ["approval_unverified", "large_adjustment"]
    known = _event("adjust", approval=approval_record("M1", "adjust", 100))
    assert approval_flags(known, {"points": -100}, policy, {"M1"}) == []
