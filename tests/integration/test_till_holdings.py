"""What a member holds besides points, used at a real till on a real SQLite file: a
voucher scanned into the basket (with or without the member selected) and printed
on the receipt with its barcode, a personal offer applying by itself, the birthday
treat offered with the rewards in its window, and the dividend accrued shown with
this till's unsynced part; each used once, and refused in words when it cannot be."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from loyalty.cards import make_card_number
from loyalty.programme import load_programme_file
from pos_client.config import TillConfig
from pos_client.errors import SaleRefused
from pos_client.holdings import Accrual, HeldOffer, HeldVoucher
from pos_client.receipt_printing import receipt_lines
from pos_client.store import CachedMember
from pos_client.till import Till
from pos_client.ui.holding_lines import holdings_line

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "programmes"
ADA = make_card_number(41)
VOUCHER = HeldVoucher("VCH-AAAA2222BB", 300, "GBP", 0, date(2026, 3, 31))
JEANS = HeldOffer("OF-1", "jeans-20", date(2026, 3, 1), date(2026, 3, 14), 1)
LONDON = ZoneInfo("Europe/London")


def open_till(tmp_path: Path, programme: str, member: CachedMember, moment: datetime) -> Till:
    config = TillConfig(
        terminal_id="HOLD01-T1",
        data_dir=tmp_path / "till",
        programme=load_programme_file(EXAMPLES / f"{programme}.toml"),
    )
    till = Till.open(config, clock=lambda: moment)
    till.store.members.upsert_many([member])
    return till


def ada(**holdings: object) -> CachedMember:
    return CachedMember(
        card=ADA,
        member_id="M-ADA",
        name="Ada",
        tier="",
        status="active",
        flagged=False,
        updated_at="",
        accounts={"points": 40},
        **holdings,  # type: ignore[arg-type]
    )


@pytest.fixture
def hm(tmp_path: Path) -> Iterator[Till]:
    moment = datetime(2026, 3, 10, 12, 0, tzinfo=LONDON)
    till = open_till(tmp_path, "hm", ada(vouchers=(VOUCHER,), offers=(JEANS,)), moment)
    try:
        yield till
    finally:
        till.close()


def test_a_scanned_voucher_and_an_offer_come_off_the_basket_and_reach_the_receipt(hm: Till):
    hm.scan_code(ADA)
    hm.add_amount("50.00", name="Jeans", tags=frozenset({"jeans"}))
    view = hm.scan_code(VOUCHER.number)
    assert view.offers == (("20 % off jeans", 1000),)  # type: ignore[union-attr]
    assert view.vouchers == ((VOUCHER.number, 300),)  # type: ignore[union-attr]
    assert view.paid_minor == 3700  # type: ignore[union-attr]
    receipt = hm.finish_sale()
    assert receipt.savings == (("Offer 20 % off jeans", 1000), (f"Voucher {VOUCHER.number}", 300))
    lines = receipt_lines(receipt, "Regent Street")
    text = "\n".join(lines.lines)
    assert "Offer 20 % off jeans" in text and "-10.00 GBP" in text and "-3.00 GBP" in text
    assert lines.barcodes == [receipt.receipt_no]  # the voucher is used: not printed again
    member = hm.lookup(ADA)
    assert member.vouchers == () and member.total("points") == 40 + 37
    with pytest.raises(SaleRefused, match="already used at this till"):
        hm.scan_code(ADA)
        hm.scan_code(VOUCHER.number)


def test_a_voucher_scanned_with_nobody_selected_selects_its_member(hm: Till):
    view = hm.scan_code(VOUCHER.number)
    assert hm.member is not None and hm.member.name == "Ada"
    assert view.vouchers == ((VOUCHER.number, 0),)  # type: ignore[union-attr]


def test_an_unknown_voucher_or_another_members_is_refused_in_words(hm: Till):
    with pytest.raises(SaleRefused, match="not known at this till"):
        hm.scan_code("VCH-ZZZZ9999ZZ")
    hm.store.members.upsert_many(
        [
            CachedMember(
                card=make_card_number(42),
                member_id="M-BO",
                name="Bo",
                tier="",
                status="active",
                flagged=False,
                updated_at="",
            )
        ]
    )
    hm.scan_code(make_card_number(42))
    with pytest.raises(SaleRefused, match="not one of this member's vouchers"):
        hm.scan_code(VOUCHER.number)


def test_a_receipt_prints_the_vouchers_the_member_holds_with_their_barcodes(hm: Till):
    hm.scan_code(ADA)
    receipt = hm.earn("5.00")
    lines = receipt_lines(receipt, "Regent Street")
    assert lines.barcodes == [VOUCHER.number, receipt.receipt_no]
    assert f"  use by 2026-03-31: {VOUCHER.number}" in lines.lines
    assert "Bonus voucher 3.00 GBP" in lines.lines


def test_the_panel_line_names_vouchers_offers_and_the_dividend_accrued(tmp_path: Path):
    moment = datetime(2026, 3, 10, 12, 0, tzinfo=ZoneInfo("Europe/Oslo"))
    member = ada(accrued=(Accrual("dividend", "2026", 3715, "dividend"),))
    till = open_till(tmp_path, "coop", member, moment)
    try:
        till.scan_code(ADA)
        till.earn("1000.00")  # in store HOLD01, not one of the own society's ...
        shown = till.lookup(ADA)
        assert shown.accrued_unsynced == {"dividend": 1000}  # ... so at 1 %
        assert holdings_line(shown, moment.date()) == (
            "Dividend 2026 so far 37.15 NOK (+10.00 NOK unsynced)"
        )
    finally:
        till.close()
    offers = ada(vouchers=(VOUCHER,), offers=(JEANS,))
    till = open_till(tmp_path / "2", "hm", offers, datetime(2026, 3, 10, 12, tzinfo=LONDON))
    try:
        line = holdings_line(till.lookup(ADA), date(2026, 3, 10))
        assert line == "Voucher 3.00 GBP to 31 Mar (scan it) · Offers: 20 % off jeans"
    finally:
        till.close()


def test_the_birthday_treat_is_a_reward_in_its_window_once(tmp_path: Path):
    moment = datetime(2026, 5, 20, 9, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
    member = ada(birthday="05-17")
    till = open_till(tmp_path, "starbucks", member, moment)
    try:
        till.store.members.upsert_many(
            [
                CachedMember(
                    card=ADA,
                    member_id="M-ADA",
                    name="Ada",
                    tier="gold",
                    status="active",
                    flagged=False,
                    updated_at="",
                    birthday="05-17",
                )
            ]
        )
        till.scan_code(ADA)
        assert ("birthday-treat", "birthday-2026", "Birthday treat") in till.usable_rewards()
        till.add_amount("5.50", name="Latte", tags=frozenset({"handcrafted"}))
        till.apply_reward("birthday-treat", "birthday-2026")
        receipt = till.finish_sale()
        assert receipt.amount.minor == 0
        till.scan_code(ADA)
        assert all(r[1] != "birthday-2026" for r in till.usable_rewards())
    finally:
        till.close()
