"""A manager's approval at the till: the programme's [approvals] table decides which
refunds, redemptions and sales spending points need one; without it nothing is
recorded, with it the event carries who approved what."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from loyalty.cards import make_card_number
from loyalty.events import Event
from loyalty.programme import parse_programme
from loyalty.programme.default import simple_programme_document
from pos_client.approvals import Approval
from pos_client.config import TillConfig
from pos_client.errors import ApprovalRequired
from pos_client.till import Till
from pos_client.views import Receipt
from tests.conftest import member
from tests.integration.staff_feed import pull_staff, staff_change

KARI = make_card_number(1)
CASHIER_PIN, MANAGER_PIN = "1357", "8642"

APPROVALS = """
[approvals]
refund_above_minor = 50000   # more than 500.00 NOK back
redeem_above = 500           # more than 500 points at once
"""
"""The [approvals] table added to the default points programme (1 point per krone,
100 points = 10.00 NOK)."""


@pytest.fixture
def till(tmp_path: Path) -> Iterator[Till]:
    document = simple_programme_document() | tomllib.loads(APPROVALS)
    programme = parse_programme(document, "approvals test")
    config = TillConfig(terminal_id="OSLO01-T1", data_dir=tmp_path / "till", programme=programme)
    opened = Till.open(config)
    opened.store.members.upsert_many([member(1, 5000, "Kari Nordmann")])
    pull_staff(
        opened.store,
        [
            staff_change("C100", CASHIER_PIN, 1, name="Kari Kasse"),
            staff_change("M200", MANAGER_PIN, 2, name="Mona Manager", role="manager"),
        ],
    )
    opened.sign_in("C100", CASHIER_PIN)
    opened.scan(KARI)
    try:
        yield opened
    finally:
        opened.close()


def _event(till: Till, receipt: Receipt) -> Event | None:
    """The journal's event behind ``receipt``."""
    return next(e for e in till.store.journal.after(0) if e.event_id == receipt.event_id)


def _events(till: Till) -> int:
    return len(till.store.journal.after(0))


def test_the_version_in_force_says_what_needs_a_manager(till: Till):
    assert till.approval_needed("refund", 50001) and not till.approval_needed("refund", 50000)
    assert till.approval_needed("redeem", 501) and not till.approval_needed("redeem", 500)
    assert till.approval_needed("adjust", 1)


def test_a_large_refund_needs_a_manager_and_records_who_approved_it(till: Till):
    sale = till.earn("600")
    small = till.earn("100")
    with pytest.raises(ApprovalRequired, match="large refund needs a manager") as needed:
        till.refund(sale.receipt_no)
    assert (needed.value.action, needed.value.amount) == ("refund", 60000)
    assert _events(till) == 2
    assert till.store.conn.execute("SELECT COUNT(*) FROM refund_units").fetchone()[0] == 0

    # An approval for less money, or for another action, does not cover it.
    for wrong in (Approval("M200", "refund", 59999), Approval("M200", "redeem", 60000)):
        with pytest.raises(ApprovalRequired):
            till.refund(sale.receipt_no, approval=wrong)
    assert _events(till) == 2

    approval = till.approve("M200", MANAGER_PIN, needed.value.action, needed.value.amount)
    refund = till.refund(sale.receipt_no, approval=approval)
    event = _event(till, refund)
    assert event is not None
    assert event.get("approval") == {"manager": "M200", "action": "refund", "amount": 60000}
    assert event.get("operator") == "C100"

    small_refund = _event(till, till.refund(small.receipt_no))
    assert small_refund is not None and small_refund.get("approval") is None


def test_a_large_redemption_needs_a_manager(till: Till):
    with pytest.raises(ApprovalRequired, match="large redemption") as needed:
        till.redeem(600)
    assert (needed.value.action, needed.value.amount) == ("redeem", 600)
    assert _events(till) == 0
    assert till.member is not None and till.member.balance == 5000

    approval = till.approve("M200", MANAGER_PIN, "redeem", 600)
    receipt = till.redeem(600, approval=approval)
    event = _event(till, receipt)
    assert event is not None
    assert event.get("approval") == {"manager": "M200", "action": "redeem", "amount": 600}
    plain = _event(till, till.redeem(500))
    assert plain is not None and plain.get("approval") is None


def test_a_sale_spending_many_points_needs_a_manager(till: Till):
    till.add_amount("1000")
    till.set_redeem(700)
    with pytest.raises(ApprovalRequired) as needed:
        till.finish_sale()
    assert (needed.value.action, needed.value.amount) == ("redeem", 700)
    assert _events(till) == 0 and till.sale().lines  # the basket is kept

    approval = till.approve("M200", MANAGER_PIN, "redeem", 700)
    receipt = till.finish_sale(approval=approval)
    event = _event(till, receipt)
    assert event is not None
    assert event.get("approval") == {"manager": "M200", "action": "redeem", "amount": 700}


def test_the_manager_on_duty_approves_without_a_pin_each_time(till: Till):
    till.enter_manager("M200", MANAGER_PIN)
    receipt = till.redeem(600, approval=till.manager_approval("redeem", 600))
    event = _event(till, receipt)
    assert event is not None and event.get("operator") == "M200"
    assert event.get("approval") == {"manager": "M200", "action": "redeem", "amount": 600}
