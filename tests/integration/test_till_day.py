"""The store's day at a till: the report per cashier, printing it, closing the day.

A real till on a real SQLite file with a fixed clock. Sales, redemptions and refunds
are recorded through the till's own methods; corrections and enrolments (whose till
methods another part of the work adds) are appended as journal events built with
``loyalty.events.build_event`` through the store's append path.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from loyalty.cards import make_card_number
from loyalty.events import Event, EventKind, build_event
from pos_client.approvals import Approval
from pos_client.config import PrinterConfig, TillConfig
from pos_client.errors import ApprovalRequired, ManagerActionRefused, NotSignedIn
from pos_client.till import Till
from tests.conftest import member
from tests.integration.staff_feed import pull_staff, staff_change
from tests.integration.test_receipt_printing import FakeNetworkPrinter, wait_for

OSLO = timezone(timedelta(hours=1))
NOON = datetime(2026, 3, 14, 12, 0, tzinfo=OSLO)
DAY = NOON.date()
KARI, OLA = make_card_number(1), make_card_number(2)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(NOON)


def open_till(config: TillConfig, clock: Clock) -> Till:
    till = Till.open(config, clock=clock)
    till.store.members.upsert_many([member(1, 1000, "Kari Nordmann"), member(2, 50, "Ola")])
    return till


@pytest.fixture
def day_till(till_config: TillConfig, clock: Clock) -> Iterator[Till]:
    till = open_till(till_config, clock)
    try:
        yield till
    finally:
        till.close()


PIN = "1234"


def add_staff(till: Till, *rows: tuple[str, str, str]) -> None:
    """The people of ``rows`` (number, name, role), each with the PIN :data:`PIN`, as
    the ledger's feed brings them."""
    pull_staff(
        till.store,
        [
            staff_change(number, PIN, change, name=name, role=role)
            for change, (number, name, role) in enumerate(rows, start=1)
        ],
    )


def append(till: Till, kind: EventKind, card: str, member_id: str, **fields: Any) -> Event:
    """An event of ``kind`` by the operator signed in, through the store's append."""

    def build(seq: int, prev_hash: str) -> Event:
        return build_event(
            terminal_id=till.config.terminal_id,
            seq=seq,
            prev_hash=prev_hash,
            kind=kind,
            card=card,
            member_id=member_id,
            business_time=till.clock().isoformat(timespec="seconds"),
            store=till.config.store_id,
            currency="NOK",
            operator=till.operator,
            **fields,
        )

    return till.store.append(build)


def record_day(till: Till, clock: Clock) -> dict[str, Any]:
    """Cashier 1001 sells to Kari and Ola and redeems for Kari; cashier 1002 refunds
    Kari's sale, corrects Ola and enrols a new member. One sale the day before."""
    clock.now = NOON - timedelta(days=1)
    till.operator = "1001"
    till.scan(KARI)
    till.earn("10.00")  # yesterday: not in the report
    clock.now = NOON
    till.scan(KARI)
    sale = till.earn("100.00")
    till.scan(OLA)
    ola = till.earn("50.00")
    till.scan(KARI)
    redeem = till.redeem(200)
    till.operator = "1002"
    refund = till.refund(sale.receipt_no)
    append(till, EventKind.ADJUST, OLA, "M000002", postings={"points": 25}, reason="goodwill")
    enrolment = {"name": "Nina Ny", "phone": "+4791234567", "privacy_accepted_at":
                 NOON.isoformat(), "marketing": False}  # fmt: skip
    append(till, EventKind.ENROL, make_card_number(9), "M-NEW-1", postings={},
           enrolment=enrolment)  # fmt: skip
    return {"sale": sale, "ola": ola, "redeem": redeem, "refund": refund}


def test_the_day_report_counts_each_cashier_and_the_totals(day_till: Till, clock: Clock):
    recorded = record_day(day_till, clock)
    add_staff(day_till, ("1001", "Kari Kasse", "cashier"))  # 1002 unknown: its number
    sale_points = recorded["sale"].points
    report = day_till.day_report()

    assert report.day == DAY and report.events == 6 and report.unsynced == 6
    assert report.closed is None
    first, second = report.cashiers
    assert (first.operator, first.name) == ("1001", "Kari Kasse")
    assert (second.operator, second.name) == ("1002", "1002")
    assert (first.sales, first.redemptions, first.refunds, first.members_served) == (2, 1, 0, 2)
    assert first.earned == {"points": sale_points + recorded["ola"].points}
    assert first.redeemed == {"points": 200}
    assert (second.refunds, second.corrections, second.enrolments, second.sales) == (1, 1, 1, 0)
    assert second.returned == {"points": -sale_points}
    assert second.corrected == {"points": 25}
    assert second.refunded == {"NOK": 10000}
    assert second.members_served == 3  # Kari (refund), Ola (correction), Nina (enrolment)

    totals = report.totals
    assert (totals.sales, totals.refunds, totals.redemptions) == (2, 1, 1)
    assert (totals.corrections, totals.enrolments, totals.members_served) == (1, 1, 3)
    assert totals.earned == first.earned and totals.refunded == {"NOK": 10000}

    yesterday = day_till.day_report(DAY - timedelta(days=1))
    assert yesterday.events == 1 and yesterday.totals.sales == 1
    assert day_till.day_report(DAY + timedelta(days=1)).events == 0


def test_the_printed_report_fits_42_columns_and_says_everything(day_till: Till, clock: Clock):
    record_day(day_till, clock)
    add_staff(day_till, ("1001", "Kari Kasse", "cashier"))
    lines = day_till.day_report().text_lines()
    assert all(len(line) <= 42 for line in lines)
    text = "\n".join(lines)
    for expected in (
        "End of day",
        "2026-03-14",
        day_till.config.terminal_id,
        "Cashier Kari Kasse (1001)",
        "Cashier 1002",
        "All cashiers",
        "Not yet at the ledger",
        "Day not closed",
        "100.00 NOK",
        "200 points",
    ):
        assert expected in text, expected
    assert all(len(line) <= 32 for line in day_till.day_report().text_lines(32))


def test_printing_without_a_printer_says_the_report_is_on_screen(day_till: Till, clock: Clock):
    record_day(day_till, clock)
    message = day_till.print_day_report(day_till.day_report())
    assert message == "No printer configured: the report is shown on screen"


def test_the_report_prints_on_the_receipt_printer_and_a_dead_printer_says_why(
    till_config: TillConfig, clock: Clock
):
    fake = FakeNetworkPrinter()
    config = replace(till_config, printer=PrinterConfig(url=f"tcp://127.0.0.1:{fake.port}"))
    till = open_till(config, clock)
    try:
        record_day(till, clock)
        report = till.day_report()
        assert till.print_day_report(report) == "Printed"
        # The printer took the bytes; the fake files them once the connection closes.
        wait_for(lambda: any(b"End of day" in job for job in fake.jobs))
        (job,) = [job for job in fake.jobs if b"End of day" in job]
        assert b"Cashier 1001" in job and job.endswith(b"\x1dVB\x00")  # cut
    finally:
        till.close()
        fake.close()
    # A printer that is not there: the error, and the report is still on screen.
    dead = replace(till_config, printer=PrinterConfig(url=f"tcp://127.0.0.1:{fake.port}",
                                                      timeout=1.0))  # fmt: skip
    till = Till.open(dead, clock=clock)
    try:
        message = till.print_day_report(till.day_report())
        assert "refused the connection" in message or "did not answer" in message, message
    finally:
        till.close()


def closes(till: Till) -> int:
    return int(till.store.conn.execute("SELECT COUNT(*) FROM day_closes").fetchone()[0])


def test_closing_a_day_with_unsynced_events_needs_a_manager(day_till: Till, clock: Clock):
    record_day(day_till, clock)
    add_staff(day_till, ("9001", "Mona Manager", "manager"), ("1002", "Cato Cashier", "cashier"))
    day_till.sign_in("1002", PIN)
    with pytest.raises(ApprovalRequired) as refused:
        day_till.close_day()
    assert (refused.value.action, refused.value.amount) == ("close_day", 6)
    assert closes(day_till) == 0
    with pytest.raises(ApprovalRequired):  # an approval for fewer events is not enough
        day_till.close_day(approval=Approval("9001", "close_day", 5))
    assert closes(day_till) == 0

    closed = day_till.close_day(approval=Approval("9001", "close_day", 6))
    assert closed.closed is not None and closed.closed.closed_by == "1002"
    assert closed.closed.approval == {"manager": "9001", "action": "close_day", "amount": 6}
    assert closed.closed.closed_at == "2026-03-14T11:00:00Z"
    assert day_till.day_report().closed == closed.closed
    lines = closed.text_lines()
    assert "Closed by" in "\n".join(lines) and "Approved by" in "\n".join(lines)
    (report,) = day_till.store.conn.execute("SELECT report FROM day_closes").fetchone()
    assert '"unsynced": 6' in report and '"day": "2026-03-14"' in report

    with pytest.raises(ManagerActionRefused, match="already closed"):
        day_till.close_day(approval=Approval("9001", "close_day", 6))
    assert closes(day_till) == 1


def test_a_day_with_everything_synced_closes_without_a_manager(day_till: Till, clock: Clock):
    day_till.operator = "1001"
    empty = day_till.day_report(DAY - timedelta(days=3))
    assert empty.events == 0 and empty.cashiers == ()
    closed = day_till.close_day(DAY - timedelta(days=3))
    assert closed.closed is not None and closed.closed.approval is None
    with pytest.raises(ManagerActionRefused, match="already closed"):
        day_till.close_day(DAY - timedelta(days=3))
    assert closes(day_till) == 1


def test_closing_needs_someone_signed_in_and_a_day_that_has_begun(day_till: Till):
    day_till.operator = None
    with pytest.raises(NotSignedIn):
        day_till.close_day()
    day_till.operator = "1001"
    with pytest.raises(ManagerActionRefused, match="has not begun"):
        day_till.close_day(date(2026, 3, 15))
    assert closes(day_till) == 0
