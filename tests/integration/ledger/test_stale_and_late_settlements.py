"""What arrives late at a real ledger database, on SQLite and PostgreSQL: a sale under
a version no longer in force is honoured and flagged, or rerated with a correction
when the version in force says so (and its refund rerated the same way); a sale or
refund of a period already settled is settled again for the difference — a late
receipt raises ICA's monthly bonus, a refund that undoes a visit takes a challenge's
payout back. Settling twice appends nothing the second time; ``verify`` agrees."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from ledger import programmes
from ledger.settle import settle
from ledger.verify import verify
from loyalty.programme import Line, parse_programme
from tests.integration.ledger.ledger_rig import Rig, open_rig
from tests.integration.ledger.support import REPO_ROOT, fresh_card

EXAMPLES = REPO_ROOT / "examples" / "programmes"


def document(name: str) -> dict[str, Any]:
    return tomllib.loads((EXAMPLES / f"{name}.toml").read_text(encoding="utf-8"))


def goods(minor: int) -> Line:
    return Line(1, "SKU", "Goods", 1, minor)


def publish(rig: Rig, doc: dict[str, Any], start: str) -> None:
    with rig.db.write() as tx:
        programmes.publish_version(tx, parse_programme(doc, "v2"), start, check_lead=False)


def double_points(stale: str) -> dict[str, Any]:
    doc = document("hm")
    doc["rules"][0]["rate"] = "2"
    doc["offline"] = {"stale": stale}
    del doc["settlements"]  # no vouchers in the way of the figures
    return doc


@pytest.fixture
def stale_rig(fresh_db_url: str) -> Iterator[Rig]:
    doc = document("hm")
    del doc["settlements"]
    rig = open_rig(fresh_db_url, doc, "2026-01-01T00:00", prefix="ST")
    try:
        yield rig
    finally:
        rig.db.close()


def test_a_stale_sale_is_honoured_and_flagged_under_the_honour_policy(stale_rig: Rig):
    publish(stale_rig, double_points("honour"), "2026-03-01T00:00")
    card = fresh_card()
    stale_rig.at("2026-03-05T12:00:00+00:00")
    sale = stale_rig.sell(card, goods(10000))  # computed under version 2 (the old one)
    stale_rig.push(sale)
    assert stale_rig.member(card).accounts["points"] == 100
    assert "stale_version" in stale_rig.member(card).flag_reasons
    assert stale_rig.own_events(card, "correction") == []


def test_a_stale_sale_is_rerated_and_its_refund_too_under_the_rerate_policy(stale_rig: Rig):
    publish(stale_rig, double_points("rerate"), "2026-03-01T00:00")
    card = fresh_card()
    stale_rig.at("2026-03-05T12:00:00+00:00")
    sale = stale_rig.sell(card, goods(10000))
    stale_rig.push(sale)
    member = stale_rig.member(card)
    assert member.accounts["points"] == 200 and "stale_version" in member.flag_reasons
    (correction,) = stale_rig.own_events(card, "correction")
    assert (correction["refers_to"], correction["reason"]) == (sale.event_id, "stale_version")
    assert correction["postings"] == {"points": 100}
    assert correction["programme"]["version"] == 3
    stale_rig.push(stale_rig.refund(sale))
    assert stale_rig.member(card).accounts.get("points", 0) == 0  # nets to zero
    assert len(stale_rig.own_events(card, "correction")) == 2
    assert verify(stale_rig.db).ok


def test_a_stale_sale_and_its_refund_in_one_push_net_to_zero(stale_rig: Rig):
    publish(stale_rig, double_points("rerate"), "2026-03-01T00:00")
    card = fresh_card()
    stale_rig.at("2026-03-05T12:00:00+00:00")
    sale = stale_rig.sell(card, goods(10000))
    stale_rig.push(sale, stale_rig.refund(sale))  # the rerate is decided in the same push
    assert stale_rig.member(card).accounts.get("points", 0) == 0
    reasons = [c["reason"] for c in stale_rig.own_events(card, "correction")]
    assert reasons == ["stale_version", "stale_version"]
    assert verify(stale_rig.db).ok


# --------------------------------------------------------------------------- late events


@pytest.fixture
def ica(fresh_db_url: str) -> Iterator[Rig]:
    rig = open_rig(fresh_db_url, document("ica"), "2025-01-01T00:00", prefix="ICA")
    try:
        yield rig
    finally:
        rig.db.close()


def test_a_late_receipt_in_a_settled_month_raises_the_bonus_by_the_difference(ica: Rig):
    card = fresh_card()
    ica.at("2026-03-10T12:00:00+01:00")
    ica.push(ica.sale(card, 400060))  # 4,000 points: step 4,000 → 50 SEK
    first = settle(ica.db, date(2026, 4, 1))
    assert first.settlement_events == 1
    bonus = ica.member(card).accounts["bonus"]
    late = ica.other_till()
    late.at("2026-03-28T12:00:00+01:00")  # a March receipt an offline till pushes in April
    late.push(late.sale(card, 200000))
    again = settle(ica.db, date(2026, 4, 2))
    assert again.settlement_events == 1  # 6,000 points now: step 6,000 → 75 SEK
    payments = [e["postings"]["bonus"] for e in ica.own_events(card, "settlement")]
    assert payments == [bonus, 7500 - bonus]
    assert settle(ica.db, date(2026, 4, 2)).settlement_events == 0
    assert verify(ica.db).ok


@pytest.fixture
def challenge(fresh_db_url: str) -> Iterator[Rig]:
    rig = open_rig(fresh_db_url, document("challenge"), "2025-01-01T00:00", prefix="CH")
    try:
        yield rig
    finally:
        rig.db.close()


def test_a_refund_that_undoes_a_visit_takes_the_challenge_payout_back(challenge: Rig):
    card = fresh_card()
    sales = []
    for day in (2, 5, 9, 14, 20):
        challenge.at(f"2026-03-{day:02d}T12:00:00+01:00")
        sales.append(challenge.sale(card, 6000))
        challenge.push(sales[-1])
    settle(challenge.db, date(2026, 4, 1))
    (paid,) = challenge.own_events(card, "settlement")
    payout = paid["postings"]
    challenge.at("2026-04-03T12:00:00+02:00")
    challenge.push(challenge.refund(sales[0]))  # four visits left: not five
    settle(challenge.db, date(2026, 4, 4))
    events = challenge.own_events(card, "settlement")
    assert [e["postings"] for e in events] == [payout, {k: -v for k, v in payout.items()}]
    assert challenge.member(card).accounts["points"] == 4 * 60  # the four sales left
    assert verify(challenge.db).ok


def test_a_late_receipt_tops_up_a_dividend_paid_as_a_voucher_with_one_that_runs(
    fresh_db_url: str,
):
    doc = document("coop")
    paid = doc["settlements"][0]
    del paid["wallet"]
    paid.update(pay_as="voucher", valid_days=60)
    rig = open_rig(fresh_db_url, doc, "2025-01-01T00:00", prefix="CO")
    try:
        card = fresh_card()
        rig.at("2025-06-10T12:00:00+02:00")
        rig.push(rig.sale(card, 100000, store="OSLO01"))
        settle(rig.db, date(2026, 1, 2))
        (first,) = rig.member(card).vouchers
        assert first.valid_until == "2026-03-02"  # 60 days from the year's last day
        late = rig.other_till()
        late.at("2025-11-10T12:00:00+01:00")  # a 2025 receipt pushed in 2026
        late.push(late.sale(card, 100000, store="OSLO01"))
        settle(rig.db, date(2026, 6, 1))
        (top_up,) = rig.member(card).vouchers  # the first one ran out in March
        assert top_up.value_minor == first.value_minor
        assert top_up.valid_until == "2026-07-30"  # 60 days from the run, not from 2025
        assert verify(rig.db).ok
    finally:
        rig.db.close()
