"""The chain's day from the events the ledger holds (ledger.day_report), on SQLite
and PostgreSQL: a sale and its refund, a redemption, a manager's adjustment and a
ledger correction on one business day in the programme's time zone; the day before
and after left out; a store manager's stores only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from ledger.day_report import CSV_COLUMNS, chain_day, csv_rows, csv_text, day_bounds
from loyalty.day_tally import tally
from loyalty.events import EventKind, build_event
from loyalty.programme.default import simple_programme_document
from tests.integration.ledger.ledger_rig import Rig, open_rig
from tests.integration.ledger.support import fresh_card

DAY = date(2026, 11, 25)
OSLO = "Europe/Oslo"


@pytest.fixture
def rig(fresh_db_url: str) -> Iterator[Rig]:
    opened = open_rig(fresh_db_url, simple_programme_document(timezone=OSLO), prefix="DAY")
    try:
        yield opened
    finally:
        opened.db.close()


def test_a_day_counts_sales_refunds_redemptions_and_adjustments_of_that_day_only(rig: Rig):
    card = fresh_card()
    rig.at("2026-11-24T23:30:00+01:00")  # the day before, local time
    before = rig.sale(card, 5_000)
    rig.at("2026-11-25T00:30:00+01:00")  # 23:30 UTC on the 24th: the 25th in Oslo
    sale = rig.sale(card, 20_000, store="S1")
    rig.at("2026-11-25T15:00:00+01:00")
    refund = rig.refund(sale)
    redeem = rig.chain.redeem(card, 100)
    adjust = rig.chain.adjust(card, 30, operator="M1")
    rig.at("2026-11-26T00:00:00+01:00")  # the next day begins
    after = rig.sale(card, 7_000)
    rig.push(before, sale, refund, redeem, adjust, after)

    with rig.db.snapshot() as tx:
        report = chain_day(tx, DAY, OSLO)
    totals = report.totals
    assert (totals.sales, totals.refunds, totals.redemptions, totals.corrections) == (1, 1, 1, 1)
    assert dict(totals.earned) == {"points": 200}
    assert dict(totals.returned) == {"points": -200}
    assert dict(totals.refunded) == {"NOK": 20_000}
    assert dict(totals.redeemed) == {"points": 100}
    assert dict(totals.corrected) == {"points": 30}
    assert [d.operator for d in report.by_store] == ["S01", "S1"]
    rows = csv_rows(report)
    assert all(tuple(r) == CSV_COLUMNS for r in rows)
    assert {(r["store"], r["cashier"]) for r in rows} == {("S1", ""), ("S01", ""), ("S01", "M1")}
    assert csv_text(report).splitlines()[0] == ",".join(CSV_COLUMNS)

    with rig.db.snapshot() as tx:
        only_s1 = chain_day(tx, DAY, OSLO, stores=["S1"])
    assert (only_s1.totals.sales, only_s1.totals.refunds) == (1, 0)  # the refund was at S01


def test_the_day_is_the_local_calendar_day():
    assert day_bounds(DAY, OSLO) == ("2026-11-24T23:00:00+00:00", "2026-11-25T23:00:00+00:00")
    summer = day_bounds(date(2026, 7, 1), OSLO)
    assert summer == ("2026-06-30T22:00:00+00:00", "2026-07-01T22:00:00+00:00")


def test_the_ledgers_own_correction_counts_as_an_adjustment():
    event = build_event(
        terminal_id="LEDGER",
        seq=1,
        prev_hash="0" * 64,
        kind=EventKind.CORRECTION,
        event_id="c-1",
        card="2900000000012",
        member_id="M1",
        business_time="2026-11-25T12:00:00+01:00",
        store="ledger",
        currency="NOK",
        refers_to="s-1",
        reason="cap",
        note="the weekly cap",
        postings={"points": -40},
    )
    day = tally([event], "", "all")
    assert (day.corrections, dict(day.corrected)) == (1, {"points": -40})
