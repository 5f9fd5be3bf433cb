"""The way to the next tier at a real till (its own SQLite journal, no ledger): the
nights of its unsynced sales count, and a refund of one of its sales takes its
nights back once the member is read again. The till's clock is fixed."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from loyalty.cards import make_card_number
from loyalty.programme import parse_programme
from pos_client.config import TillConfig
from pos_client.till import Till
from pos_client.ui.formatting import tier_progress
from tests.conftest import member
from tests.integration.ledger.ledger_rig import bonvoy

KARI = make_card_number(1)
TODAY = date(2026, 6, 10)


def test_unsynced_nights_count_and_a_refund_of_this_tills_stay_takes_them_back(
    till_config: TillConfig,
):
    def clock() -> datetime:
        return datetime(2026, 6, 10, 12, 0, tzinfo=ZoneInfo("America/New_York"))

    programme = parse_programme(bonvoy(), "bonvoy")
    till = Till.open(replace(till_config, programme=programme), clock=clock)
    try:
        gold = replace(member(1, 0, "Kari Nordmann"), tier="gold", progress=("2026", 40))
        till.store.members.upsert_many([gold])
        shown = till.scan(KARI)
        assert tier_progress(shown, TODAY) == "10 nights to platinum"
        for _ in range(3):
            till.add_amount("200", name="Room night", tags=frozenset({"night"}))
        till.add_amount("25", name="Breakfast", tags=frozenset({"breakfast"}))
        receipt = till.finish_sale()
        after = till.member
        assert after is not None and tier_progress(after, TODAY) == "7 nights to platinum"
        till.refund(receipt.receipt_no, {1: 1, 4: 1})  # a night and the breakfast
        again = till.refresh_member()
        assert again is not None and tier_progress(again, TODAY) == "8 nights to platinum"
        till.refund(receipt.receipt_no, {2: 1, 3: 1})
        again = till.refresh_member()
        assert again is not None and tier_progress(again, TODAY) == "10 nights to platinum"
    finally:
        till.close()
