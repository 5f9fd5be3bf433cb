"""What one event adds to a tier metric: qualifying spend, status points, visits
(undone by a refund that empties the sale, not by a partial one) and units of
tagged lines (taken back by the units a refund returns)."""

from __future__ import annotations

from typing import Any

from loyalty.programme.model import TierQualification
from loyalty.tier_metrics import RefundedSale, SaleMemory, metric_amount

LEVELS = (("silver", 10),)
VISITS = TierQualification("visits", "calendar_year", LEVELS)
NIGHTS = TierQualification("units", "calendar_year", LEVELS, tag="night")
STATUS = TierQualification("level", "calendar_year", LEVELS)


def sale(event_id: str, spend: int, *lines: tuple[int, int, list[str]], **extra: Any):
    basket = {"lines": [{"line": n, "qty": qty, "tags": tags} for n, qty, tags in lines]}
    content = {"kind": "sale", "event_id": event_id, "basket": basket, **extra}
    return content, {"qualifying_spend": spend}


def refund(of: str, spend: int, *returned: tuple[int, int], **extra: Any):
    content = {
        "kind": "refund",
        "event_id": f"refund-{of}-{spend}",
        "refers_to": of,
        "returned": [{"line": n, "qty": qty} for n, qty in returned],
        **extra,
    }
    return content, {"qualifying_spend": spend}


def test_a_sale_with_qualifying_spend_is_one_visit_and_one_without_is_none():
    assert metric_amount(VISITS, *sale("a", 1990)) == 1
    assert metric_amount(VISITS, *sale("b", 0)) == 0


def test_a_full_refund_undoes_the_visit_and_a_partial_one_does_not():
    memory = SaleMemory()
    memory.remember(*sale("a", 3000, (1, 1, []), (2, 1, [])))
    first = refund("a", -1000, (1, 1))
    assert metric_amount(VISITS, *first, memory.refund(*first)) == 0
    second = refund("a", -2000, (2, 1))
    before = memory.refund(*second)
    assert before == RefundedSale(before.content if before else {}, 2000)
    assert metric_amount(VISITS, *second, before) == -1


def test_a_refund_of_a_sale_that_was_no_visit_undoes_nothing():
    memory = SaleMemory()
    memory.remember(*sale("a", 0, (1, 1, [])))
    back = refund("a", 0, (1, 1))
    assert metric_amount(VISITS, *back, memory.refund(*back)) == 0
    assert metric_amount(VISITS, *refund("unknown", -100, (1, 1))) == 0  # no sale known


def test_units_count_the_quantity_of_lines_with_the_tag_and_a_refund_takes_back_its_own():
    stay = sale("s", 60000, (1, 3, ["night"]), (2, 2, ["breakfast"]), (3, 1, ["night", "suite"]))
    assert metric_amount(NIGHTS, *stay) == 4
    memory = SaleMemory()
    memory.remember(*stay)
    partly = refund("s", -20000, (1, 1), (2, 2))
    assert metric_amount(NIGHTS, *partly, memory.refund(*partly)) == -1
    rest = refund("s", -40000, (1, 2), (3, 1))
    assert metric_amount(NIGHTS, *rest, memory.refund(*rest)) == -3


def test_status_points_count_what_was_earned_not_what_was_spent_from_the_same_wallet():
    content, _ = sale("a", 10000, spent={"level": 100})
    assert metric_amount(STATUS, content, {"level": -5, "qualifying_spend": 10000}) == 95
    back = {"kind": "refund", "spent_returned": {"level": 100}}
    assert metric_amount(STATUS, back, {"level": 5}) == -95
    assert metric_amount(STATUS, {"kind": "redeem"}, {"level": -100}) == 0
    assert metric_amount(STATUS, {"kind": "action"}, {"level": 50}) == 50


def test_a_replay_remembers_only_the_sales_it_is_told_are_refunded():
    memory = SaleMemory(refunded={"b"})
    memory.remember(*sale("a", 1000, (1, 1, ["night"])))
    memory.remember(*sale("b", 2000, (1, 2, ["night"])))
    assert memory.refund(*refund("a", -1000, (1, 1))) is None
    kept = memory.refund(*refund("b", -1000, (1, 1)))
    assert kept is not None and kept.qualifying_left == 2000
