"""The headless Till: scan, earn, redeem, refund and receipts on a real SQLite file."""

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from loyalty.cards import make_card_number
from loyalty.errors import InvalidAmount, InvalidCardNumber, RedemptionRefused
from loyalty.events import EventKind
from loyalty.money import Money
from loyalty.programme import load_programme_file
from pos_client.config import TillConfig
from pos_client.errors import (
    CardBlocked,
    NoMemberSelected,
    ReceiptNotFound,
    RefundRefused,
    UnknownCard,
    UnsupportedScan,
)
from pos_client.till import Till
from tests.conftest import member, store_versions

KARI, OLA, BLOCKED = (make_card_number(n) for n in (1, 2, 3))


def test_a_scan_selects_the_member_with_their_balance(till: Till):
    member = till.scan(KARI)
    assert member.name == "Kari Nordmann"
    assert member.balance == 1000
    assert member.masked_card == "•••• " + KARI[-4:]
    assert till.member == member


def test_scan_errors_are_in_a_cashiers_words(till: Till):
    with pytest.raises(InvalidCardNumber, match="mistyped"):
        till.scan(KARI[:-1] + str((int(KARI[-1]) + 1) % 10))
    with pytest.raises(UnknownCard, match="not registered"):
        till.scan(make_card_number(999))
    with pytest.raises(CardBlocked, match="blocked"):
        till.scan(BLOCKED)
    assert till.member is None


def test_earn_records_an_event_and_the_balance_shows_it_as_unconfirmed(till: Till):
    till.scan(KARI)
    receipt = till.earn("149,90")
    assert receipt.kind is EventKind.SALE
    assert receipt.points == 149
    assert receipt.amount.minor == 14990
    assert receipt.balance_after == 1149
    assert receipt.receipt_no == "TEST01-T1-000001"
    member = till.member
    assert member is not None
    assert (member.confirmed_points, member.unconfirmed_points) == (1000, 149)
    assert till.status().pending_events == 1


def test_redeem_spends_points_and_records_the_discount(till: Till):
    till.scan(KARI)
    receipt = till.redeem(300, purchase="200")
    assert receipt.points == -300
    assert receipt.amount.minor == 3000
    assert receipt.balance_after == 700


def test_redeem_is_bounded_by_the_shown_balance_including_unconfirmed_events(till: Till):
    till.scan(OLA)
    with pytest.raises(RedemptionRefused, match="Not enough points"):
        till.redeem(100)
    till.earn("100")
    assert till.redeem(100).balance_after == 50
    with pytest.raises(RedemptionRefused, match="smallest redemption"):
        till.redeem(50)


def test_redeem_refuses_a_discount_larger_than_the_purchase(till: Till):
    till.scan(KARI)
    with pytest.raises(RedemptionRefused, match="more than the purchase"):
        till.redeem(500, purchase="20")
    assert till.status().pending_events == 0


def test_operations_without_a_member_are_refused(till: Till):
    with pytest.raises(NoMemberSelected):
        till.earn("10")
    with pytest.raises(NoMemberSelected):
        till.redeem(100)


def test_a_bad_amount_records_nothing(till: Till):
    till.scan(KARI)
    with pytest.raises(InvalidAmount):
        till.earn("12,3,4")
    assert till.status().pending_events == 0


def test_refund_takes_back_an_earn_once_by_its_receipt(till: Till):
    till.scan(KARI)
    earned = till.earn("250")
    till.clear_member()
    refund = till.refund(earned.receipt_no)
    assert refund.kind is EventKind.REFUND
    assert refund.points == -250
    assert refund.balance_after == 1000
    with pytest.raises(RefundRefused, match="already been refunded"):
        till.refund(earned.receipt_no)
    assert till.store.journal.get(2).refers_to == earned.event_id  # type: ignore[union-attr]


def test_refund_refuses_unknown_foreign_and_non_earn_receipts(till: Till):
    till.scan(KARI)
    redeemed = till.redeem(100)
    with pytest.raises(RefundRefused, match="not a purchase"):
        till.refund(redeemed.receipt_no)
    with pytest.raises(ReceiptNotFound, match="no receipt"):
        till.refund("TEST01-T1-000099")
    with pytest.raises(ReceiptNotFound, match="refund it there"):
        till.refund("BERGEN-T2-000001")
    with pytest.raises(ReceiptNotFound, match="not a receipt number"):
        till.refund("hello")


def test_last_receipts_are_newest_first(till: Till):
    till.scan(KARI)
    till.earn("10")
    till.redeem(100)
    till.earn("20")
    receipts = till.last_receipts(2)
    assert [r.receipt_no for r in receipts] == ["TEST01-T1-000003", "TEST01-T1-000002"]
    assert receipts[0].member_name == "Kari Nordmann"


def test_every_recorded_event_survives_reopening_with_an_intact_chain(till: Till):
    till.scan(KARI)
    for amount in ("10", "20", "30"):
        till.earn(amount)
    config = till.config
    till.close()
    reopened = Till.open(config)
    try:
        assert reopened.store.verify() == 3
        assert reopened.lookup(KARI).balance == 1060
    finally:
        reopened.close()


def test_member_qr_codes_and_vouchers_are_recognised_and_refused_in_words(till: Till):
    with pytest.raises(UnsupportedScan, match="Member QR codes are not set up at this till"):
        till.scan("LTY1:ABCDEF0123")
    with pytest.raises(UnsupportedScan, match="This is a voucher, not a member card"):
        till.scan("VCH-7K2M9Q")
    with pytest.raises(InvalidCardNumber, match="digits only"):
        till.scan("hello")
    assert till.member is None


def test_a_refund_is_in_the_currency_of_its_sale_after_the_programme_changed(
    till_config: TillConfig,
):
    """The ledger's version 2 (Sephora, USD) replaced version 1 (NOK points) since
    the sale: the refund is computed under version 1 and pays back in kroner."""
    now = [datetime(2026, 11, 2, 12, 0, tzinfo=UTC)]
    till = Till.open(till_config, clock=lambda: now[0])
    try:
        till.store.members.upsert_many([member(1, 0, "Kari Nordmann")])
        examples = Path(__file__).resolve().parents[2] / "examples" / "programmes"
        dairy = load_programme_file(examples / "weekend-dairy.toml")
        sephora = load_programme_file(examples / "sephora.toml")
        store_versions(
            till,
            [
                (1, "2026-01-01T00:00", "2025-12-31T23:00:00Z", dairy),
                (2, "2026-11-10T00:00", "2026-11-10T05:00:00Z", sephora),
            ],
        )
        till.scan(KARI)
        sale = till.earn("250")
        assert sale.amount == Money(25000, "NOK")
        now[0] = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
        assert till.version().programme.currency == "USD"
        refund = till.refund(sale.receipt_no)
        assert refund.amount == Money(25000, "NOK")
        recorded = till.store.journal.get(2)
        assert recorded is not None and recorded.currency == "NOK"
        assert refund.balance_after == 0
    finally:
        till.close()


def test_rewards_offered_are_those_the_balance_still_affords_after_the_basket(
    till_config: TillConfig,
):
    """Starbucks: 233 stars. With a 60-star bakery item claimed in the basket, 173
    are left: the 200-star reward is no longer offered."""
    starbucks = load_programme_file(
        Path(__file__).resolve().parents[2] / "examples" / "programmes" / "starbucks.toml"
    )
    till = Till.open(replace(till_config, programme=starbucks))
    try:
        rich = replace(member(1, 0, "Kari Nordmann"), accounts={"stars": 233})
        till.store.members.upsert_many([rich])
        till.scan(KARI)
        till.add_amount("45", name="Croissant", tags=frozenset({"bakery"}))
        till.add_amount("89", name="Salad", tags=frozenset({"lunch"}))
        offered = [reward for reward, _, _ in till.usable_rewards()]
        assert offered == ["stars-25", "stars-60", "stars-100", "stars-200"]
        till.apply_reward("stars-60")
        offered = [reward for reward, _, _ in till.usable_rewards()]
        assert offered == ["stars-25", "stars-60", "stars-100"]
    finally:
        till.close()
