"""H&M's bonus vouchers and the garment-recycling cap at a real ledger database, on
SQLite and PostgreSQL: a wallet that reaches 150 points becomes a 3.00 GBP voucher,
a voucher is used once (two offline tills using it: the later use by business time
is the overuse, with its exposure), and the seventh bag in six months is reversed by
the ledger with an event that says why. ``verify`` agrees after each."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ledger.settle import settle
from ledger.verify import verify
from loyalty.events import EventKind
from loyalty.programme import NEW_MEMBER, Basket, Line, evaluate, reverse
from loyalty.programme.basket import AppliedVoucher
from pos_client.recording import sale_fields
from tests.integration.ledger.ledger_rig import Rig, open_rig
from tests.integration.ledger.support import REPO_ROOT, fresh_card

HM = REPO_ROOT / "examples" / "programmes" / "hm.toml"


def hm(**changes: Any) -> dict[str, Any]:
    document = tomllib.loads(HM.read_text(encoding="utf-8"))
    document.update(changes)
    return document


@pytest.fixture
def rig(fresh_db_url: str, tmp_path: Path) -> Iterator[Rig]:
    opened = open_rig(fresh_db_url, hm(), "2026-01-01T00:00", prefix="HM")
    opened.at("2026-03-02T12:00:00+00:00")
    opened.directory = tmp_path
    try:
        yield opened
    finally:
        opened.db.close()


def member_card(rig: Rig) -> str:
    """A member the ledger knows (imported), by their card."""
    card = fresh_card()
    rig.import_members(rig.directory, "card,name", f"{card},Member {card[-5:]}")
    return card


def goods(pounds: int, line: int = 1, tags: frozenset[str] = frozenset()) -> Line:
    return Line(line, f"SKU{line}", "Goods", 1, pounds * 100, tags)


def voucher_of(rig: Rig, card: str) -> AppliedVoucher:
    (held,) = rig.member(card).vouchers
    return AppliedVoucher(held.number, held.value_minor, held.min_spend_minor)


def test_150_points_become_a_3_gbp_voucher_at_the_push_that_reaches_them(rig: Rig):
    card = member_card(rig)
    rig.push(rig.sell(card, goods(100)))
    assert rig.member(card).accounts["points"] == 100 and rig.member(card).vouchers == []
    rig.push(rig.sell(card, goods(60)))
    member = rig.member(card)
    assert member.accounts["points"] == 10
    (voucher,) = member.vouchers
    assert voucher.number.startswith("VCH-") and len(voucher.number) == 14
    assert (voucher.value_minor, voucher.currency, voucher.min_spend_minor) == (300, "GBP", 0)
    assert voucher.valid_until == "2026-05-01"  # issued 2 March, 60 days
    (conversion,) = rig.own_events(card, "settlement")
    assert conversion["settlement"] == {"id": "bonus-voucher"}
    assert conversion["postings"] == {"points": -150}
    assert verify(rig.db).ok


def test_several_thresholds_at_once_make_several_vouchers(rig: Rig):
    card = member_card(rig)
    rig.push(rig.sell(card, goods(460)))
    member = rig.member(card)
    assert member.accounts["points"] == 10 and len(member.vouchers) == 3
    assert len({v.number for v in member.vouchers}) == 3


def test_a_voucher_is_used_once_and_leaves_the_members_list(rig: Rig):
    card = member_card(rig)
    rig.push(rig.sell(card, goods(150)))
    voucher = voucher_of(rig, card)
    use = rig.sell(card, goods(20), vouchers=(voucher,))
    assert use.get("vouchers_used") == [{"number": voucher.number, "discount_minor": 300}]
    rig.push(use)
    member = rig.member(card)
    assert member.vouchers == [] and member.accounts["points"] == 17  # earned on 17.00 paid
    assert rig.anomalies(card) == []
    assert verify(rig.db).ok


def test_two_offline_tills_using_one_voucher_both_stand_and_the_later_use_is_the_overuse(rig: Rig):
    card = member_card(rig)
    rig.push(rig.sell(card, goods(150)))
    voucher = voucher_of(rig, card)
    other = rig.other_till()
    rig.at("2026-03-05T10:00:00+00:00")
    other.at("2026-03-05T09:00:00+00:00")  # the earlier use, pushed last
    later = rig.sell(card, goods(50), vouchers=(voucher,))
    earlier = other.sell(card, goods(40), vouchers=(voucher,))
    rig.push(later)
    assert rig.anomalies(card) == []
    other.push(earlier)
    assert rig.anomalies(card) == [("voucher_overuse", later.event_id)]
    with rig.db.snapshot() as tx:
        detail = tx.one(
            "SELECT detail FROM anomalies WHERE kind = 'voucher_overuse' AND event_id = ?",
            (later.event_id,),
        )
        accepted = tx.query(
            "SELECT event_id FROM single_uses WHERE accepted = 1 AND item = ?",
            (f"voucher:{voucher.number}",),
        )
    assert detail is not None and "exposure 300 minor units GBP" in str(detail[0])
    assert accepted == [(earlier.event_id,)]
    member = rig.member(card)
    assert "voucher_overuse" in member.flag_reasons
    assert member.accounts["points"] == 47 + 37  # both receipts stand
    assert verify(rig.db).ok


@pytest.mark.parametrize(
    ("change", "flag"),
    [
        ("unknown", "voucher_unknown"),
        ("other member's", "voucher_not_members"),
        ("worth more", "voucher_mismatch"),
        ("expired", "voucher_expired"),
    ],
)
def test_a_voucher_used_wrongly_is_recorded_and_flagged(rig: Rig, change: str, flag: str):
    card, other = member_card(rig), member_card(rig)
    rig.push(rig.sell(card, goods(150)), rig.sell(other, goods(150)))
    voucher = voucher_of(rig, card)
    if change == "unknown":
        voucher = AppliedVoucher("VCH-NOTISSUED1", 300)
    elif change == "other member's":
        voucher = voucher_of(rig, other)
    elif change == "worth more":
        voucher = AppliedVoucher(voucher.number, 3000)
    else:
        rig.at("2026-05-02T12:00:00+00:00")
    rig.push(rig.sell(card, goods(50), vouchers=(voucher,)))
    assert flag in rig.member(card).flag_reasons
    if change == "other member's":  # the owner still holds it, and using it is no overuse
        assert [v.number for v in rig.member(other).vouchers] == [voucher.number]
        rig.push(rig.sell(other, goods(50), vouchers=(voucher,)))
        assert rig.member(other).flag_reasons == []
    assert verify(rig.db).ok


def test_settle_takes_vouchers_past_their_last_day_off_the_list_the_tills_hold(rig: Rig):
    card = member_card(rig)
    rig.push(rig.sell(card, goods(150)))
    settle(rig.db, date(2026, 5, 1))
    assert len(rig.member(card).vouchers) == 1  # 1 May is still its last day
    settle(rig.db, date(2026, 5, 2))
    assert rig.member(card).vouchers == []
    assert verify(rig.db).ok


# --------------------------------------------------------------------------- caps


def test_the_seventh_garment_bag_in_six_months_is_reversed_by_the_ledger(rig: Rig):
    card = member_card(rig)
    days = ["01-05", "01-20", "02-10", "03-01", "04-15", "05-30"]
    for day in days:
        rig.at(f"2026-{day}T12:00:00+00:00")
        rig.push(rig.act(card, "garment-recycling"))
    assert rig.member(card).accounts["points"] == 120
    rig.at("2026-06-20T12:00:00+00:00")
    seventh = rig.act(card, "garment-recycling")
    rig.push(seventh)
    member = rig.member(card)
    assert member.accounts["points"] == 120
    assert "cap_exceeded" in member.flag_reasons
    (correction,) = rig.own_events(card, "correction")
    assert correction["refers_to"] == seventh.event_id
    assert correction["reason"] == "cap" and correction["postings"] == {"points": -20}
    assert correction["note"] == "Garment recycling bag: at most 6 in 6 months"
    rig.at("2026-07-06T12:00:00+00:00")  # 5 January's bag is more than 6 months back
    rig.push(rig.act(card, "garment-recycling"))
    assert rig.member(card).accounts["points"] == 140
    assert verify(rig.db).ok


def test_bags_at_two_tills_count_together(rig: Rig):
    card = member_card(rig)
    other = rig.other_till()
    events = []
    for n in range(7):
        till = rig if n % 2 else other
        till.at(f"2026-02-{n + 1:02d}T12:00:00+00:00")
        events.append((till, till.act(card, "garment-recycling")))
    for till, event in events:
        till.push(event)
    assert rig.member(card).accounts["points"] == 120
    assert len(rig.own_events(card, "correction")) == 1
    assert verify(rig.db).ok


def test_a_bag_that_reaches_the_ledger_after_six_later_bags_is_the_one_reversed(rig: Rig):
    card = member_card(rig)
    other = rig.other_till()
    other.at("2026-01-31T12:00:00+00:00")
    late = other.act(card, "garment-recycling")  # offline at the other till
    for day in range(1, 7):
        rig.at(f"2026-02-{day:02d}T12:00:00+00:00")
        rig.push(rig.act(card, "garment-recycling"))
    other.push(late)
    assert rig.member(card).accounts["points"] == 120
    (correction,) = rig.own_events(card, "correction")
    assert (correction["refers_to"], correction["reason"]) == (late.event_id, "cap")
    assert verify(rig.db).ok


def big_basket_rules(count: int) -> list[dict[str, Any]]:
    """1 point per pound, and 50 points for a basket of £100 or more, ``count`` a month."""
    return [
        {"id": "base", "kind": "earn_rate", "rate": "1"},
        {
            "id": "big-basket",
            "kind": "fixed_bonus",
            "amount": 50,
            "when": {"min_basket_minor": 10000},
            "cap": {"count": count, "months": 1},
        },
    ]


def test_a_capped_campaign_bonus_is_reversed_over_its_cap(fresh_db_url: str, tmp_path: Path):
    document = hm(rules=big_basket_rules(2))
    rig = open_rig(fresh_db_url, document, "2026-01-01T00:00", prefix="HMB")
    rig.directory = tmp_path
    try:
        card = member_card(rig)
        for day in (3, 10, 17):
            rig.at(f"2026-03-{day:02d}T12:00:00+00:00")
            rig.push(rig.sell(card, goods(100)))
        corrections = rig.own_events(card, "correction")
        assert [c["postings"] for c in corrections] == [{"points": -50}]
        # 3 × 100 points + 2 bonuses of 50 = 400 → two vouchers (300 points), 100 left
        assert rig.member(card).accounts["points"] == 100
        assert len(rig.member(card).vouchers) == 2
        assert verify(rig.db).ok
    finally:
        rig.db.close()


@pytest.fixture
def big_basket(fresh_db_url: str, tmp_path: Path) -> Iterator[Rig]:
    """One 50-point bonus a month for a basket of £100 or more; no vouchers."""
    document = hm(rules=big_basket_rules(1))
    del document["settlements"]
    rig = open_rig(fresh_db_url, document, "2026-01-01T00:00", prefix="HMB")
    rig.directory = tmp_path
    try:
        yield rig
    finally:
        rig.db.close()


def test_refunding_a_sale_whose_bonus_the_ledger_took_back_gives_it_back_once(big_basket: Rig):
    rig, card = big_basket, member_card(big_basket)
    sales = []
    for day in (3, 10):
        rig.at(f"2026-03-{day:02d}T12:00:00+00:00")
        sales.append(rig.sell(card, goods(100)))
        rig.push(sales[-1])
    assert rig.member(card).accounts["points"] == 250  # the second bonus taken back
    rig.at("2026-03-11T12:00:00+00:00")
    refund = rig.refund(sales[1])
    assert refund.get("bonuses_returned") == [
        {"rule": "big-basket", "wallet": "points", "amount": 50}
    ]
    rig.push(refund)
    assert rig.member(card).accounts["points"] == 150  # not 100: the bonus is given back
    back = rig.own_events(card, "correction")[-1]
    assert (back["reason"], back["refers_to"], back["postings"]) == (
        "cap_refund",
        refund.event_id,
        {"points": 50},
    )
    rig.push(rig.refund(sales[0]))
    assert rig.member(card).accounts.get("points", 0) == 0
    assert verify(rig.db).ok
    with rig.db.write() as tx:  # a give-back the ledger did not record
        tx.execute(
            "UPDATE events SET document = replace(document, '\"cap_refund\"', '\"cap\"') "
            "WHERE event_id = ?",
            (back["event_id"],),
        )
    assert f"refund {refund.event_id}: 1 capped bonus give-back(s) due, 0 recorded" in (
        verify(rig.db).differences
    )


def test_a_refunded_bonus_no_longer_counts_towards_the_cap(big_basket: Rig):
    rig, card = big_basket, member_card(big_basket)
    rig.at("2026-03-03T12:00:00+00:00")
    first = rig.sell(card, goods(100))
    rig.push(first)
    rig.at("2026-03-04T12:00:00+00:00")
    rig.push(rig.refund(first))
    rig.at("2026-03-10T12:00:00+00:00")
    rig.push(rig.sell(card, goods(100)))
    assert rig.member(card).accounts["points"] == 150  # this month's one bonus
    assert rig.own_events(card, "correction") == []
    assert verify(rig.db).ok


def test_a_sale_over_its_cap_and_its_refund_in_one_push_net_to_zero(big_basket: Rig):
    rig, card = big_basket, member_card(big_basket)
    rig.at("2026-03-03T12:00:00+00:00")
    rig.push(rig.sell(card, goods(100)))
    rig.at("2026-03-10T12:00:00+00:00")
    second = rig.sell(card, goods(100))
    rig.push(second, rig.refund(second))
    assert rig.member(card).accounts["points"] == 150
    reasons = [c["reason"] for c in rig.own_events(card, "correction")]
    assert sorted(reasons) == ["cap", "cap_refund"]
    assert verify(rig.db).ok


def test_a_till_from_before_bonuses_were_recorded_is_not_flagged_under_engine_1(
    fresh_db_url: str, tmp_path: Path
):
    """Tills from before caps record neither ``bonuses`` on a sale nor
    ``bonuses_returned`` on its refund; they run engine 1, where nothing is capped."""
    path = REPO_ROOT / "examples" / "programmes" / "weekend-dairy.toml"
    document = tomllib.loads(path.read_text(encoding="utf-8"))
    document["rules"] = big_basket_rules(1)
    del document["rules"][1]["cap"]  # engine 1 has no caps
    rig = open_rig(fresh_db_url, document, "2026-01-01T00:00", prefix="OLD")
    rig.directory = tmp_path
    try:
        card = member_card(rig)
        rig.at("2026-03-03T12:00:00+01:00")
        sold = Basket(rig.chain.at, rig.chain.store, (goods(100),))
        outcome = evaluate(rig.version.programme, sold, NEW_MEMBER, version=rig.version.version)
        fields = sale_fields("sale-old-1", rig.version, sold, NEW_MEMBER, outcome)
        assert fields.pop("bonuses") == [{"rule": "big-basket", "wallet": "points", "amount": 50}]
        sale = rig.chain._append(EventKind.SALE, card, event_id="sale-old-1", **fields)
        rig.push(sale)
        back = reverse(rig.version.programme, 1, sold, NEW_MEMBER, sale.event_id, {}, {1: 1})
        assert back.bonuses_returned  # a till of today would record them
        rig.push(
            rig.chain._append(
                EventKind.REFUND,
                card,
                refers_to=sale.event_id,
                returned=[{"line": 1, "qty": 1}],
                programme=sale.get("programme"),
                postings=dict(back.postings),
                refund_minor=back.refund_minor,
                outcome_hash=back.outcome_hash,
            )
        )
        assert rig.anomalies(card) == []
        assert rig.member(card).accounts.get("points", 0) == 0
        assert verify(rig.db).ok
    finally:
        rig.db.close()
