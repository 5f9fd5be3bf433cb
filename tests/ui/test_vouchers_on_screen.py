"""Vouchers and offers on the cashier screen, driven by keys against a real Till: the
member panel names the member's voucher and offer, a voucher typed into the Scan
field (as a wedge scanner types it) comes off the basket, one scanned with no member
at the till brings their member up, and a voucher of nobody's is refused in words
without losing the member or the basket."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from loyalty.programme import load_programme_file
from pos_client.holdings import HeldOffer, HeldVoucher
from pos_client.till import Till
from pos_client.ui.app import TillApp
from pos_client.ui.components.member_panel import MemberPanel
from pos_client.ui.components.notice_line import NoticeLine
from pos_client.ui.components.totals_bar import TotalsBar
from tests.ui.conftest import MEMBERS, NORA, open_till

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "programmes"
TODAY = datetime(2026, 3, 10, 12, 0, tzinfo=ZoneInfo("Europe/London"))
VOUCHER = HeldVoucher("VCH-AAAA2222BB", 300, "GBP", 0, date(2026, 3, 31))
JEANS = HeldOffer("OF-1", "jeans-20", date(2026, 3, 1), date(2026, 3, 14), 1)


@pytest.fixture
def hm_till(tmp_path: Path):
    till = open_till(tmp_path, programme=load_programme_file(EXAMPLES / "hm.toml"))
    till.clock = lambda: TODAY
    till.store.members.upsert_many([replace(MEMBERS[0], vouchers=(VOUCHER,), offers=(JEANS,))])
    try:
        yield till
    finally:
        till.close()


def app_of(till: Till) -> TillApp:
    app = TillApp(till)
    app.input_cursor_blink = False
    app.show_receipt_time = False
    return app


def text(app: TillApp, widget: type) -> str:
    return str(app.cashier.query_one(widget).render())


async def test_a_typed_voucher_comes_off_the_basket_and_the_panel_names_what_is_held(
    hm_till: Till, wait_for_workers
):
    app = app_of(hm_till)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*NORA, "enter")
        await wait_for_workers(pilot)
        panel = text(app, MemberPanel)
        assert "Voucher 3.00 GBP to 31 Mar (scan it)" in panel
        assert "Offers: 20 % off jeans" in panel
        await pilot.press(*"20", "enter")  # an amount: 20.00
        await pilot.press(*VOUCHER.number, "enter")  # into the Amount field, as a wedge types
        await wait_for_workers(pilot)
        totals = text(app, TotalsBar)
        assert "To pay 17.00 GBP" in totals and "voucher -3.00 GBP" in totals
        await pilot.press("f2")
        await wait_for_workers(pilot)
        assert "Voucher" not in text(app, MemberPanel)  # used: no longer held here


async def test_a_voucher_scanned_first_brings_its_member_up(hm_till: Till, wait_for_workers):
    app = app_of(hm_till)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*VOUCHER.number, "enter")
        await wait_for_workers(pilot)
        assert hm_till.member is not None
        assert "Nora Hansen" in text(app, MemberPanel)


async def test_a_voucher_of_nobody_is_refused_and_the_member_stays(hm_till: Till, wait_for_workers):
    app = app_of(hm_till)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*NORA, "enter", *"20", "enter")
        await wait_for_workers(pilot)
        await pilot.press(*"VCH-ZZZZ9999ZZ", "enter")
        await wait_for_workers(pilot)
        assert "not one of this member's vouchers" in text(app, NoticeLine)
        assert hm_till.member is not None and len(hm_till.draft.lines) == 1
