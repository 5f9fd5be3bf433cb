"""Tier metrics at the ledger, on SQLite and PostgreSQL: nights (units of lines tagged
``night``) per calendar year as Marriott Bonvoy counts them (PROGRAMME.md scenario
6), and visits, each undone only by a refund that empties its sale. Business times
are set per event; ``pos-ledger verify`` replays every count and grant."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ledger.verify import verify
from loyalty.programme import Line, MemberSnapshot
from tests.integration.ledger.ledger_rig import Rig, bonvoy, open_rig
from tests.integration.ledger.support import fresh_card


def visits(clawback: bool) -> dict[str, Any]:
    """1 point per NOK; Silver from 3 visits in a calendar year, Gold from 5."""
    return {
        "programme": {
            "id": "visits",
            "name": "Visits",
            "engine": 2,
            "currency": "NOK",
            "timezone": "Europe/Oslo",
        },
        "tiers": {
            "levels": ["basic", "silver", "gold"],
            "qualify": {
                "metric": "visits",
                "thresholds": {"silver": 3, "gold": 5},
                "clawback": clawback,
            },
        },
        "rules": [{"id": "base", "kind": "earn_rate", "rate": "1"}],
    }


def nights(qty: int, rate_minor: int = 20000) -> tuple[Line, ...]:
    return (Line(1, "ROOM", "Room night", qty, rate_minor, tags=frozenset({"night"})),)


@pytest.fixture
def rig(fresh_db_url: str) -> Iterator[Rig]:
    opened = open_rig(fresh_db_url, bonvoy(), "2026-01-01T00:00", "NIGHTS")
    try:
        yield opened
    finally:
        opened.db.close()


def counts(rig: Rig) -> dict[str, int]:
    with rig.db.snapshot() as tx:
        return {str(w): int(n) for w, n in tx.query("SELECT period, counted FROM tier_counts")}


def test_a_gold_member_on_48_nights_staying_3_earns_at_gold_then_is_platinum(rig: Rig):
    card = fresh_card()
    rig.at("2026-02-01T12:00:00-05:00")
    rig.push(rig.sale(card, 0, lines=nights(25)))
    assert rig.member(card).tier == "gold"
    rig.at("2026-05-01T12:00:00-04:00")
    rig.push(rig.sale(card, 0, lines=nights(23), who=MemberSnapshot(tier="gold")))
    state = rig.member(card)
    assert state.tier == "gold"
    assert state.progress is not None and state.progress.model_dump() == {
        "window": "2026",
        "count": 48,
    }
    rig.at("2026-08-01T12:00:00-04:00")
    stay = rig.sale(card, 0, lines=nights(3), who=MemberSnapshot(tier="gold"))
    assert stay.get("postings")["points"] == 7500  # 600 USD x 10 x 1.25, the tier at check-in
    rig.push(stay)
    assert rig.member(card).tier == "platinum"  # from the next stay
    rig.at("2026-09-01T12:00:00-04:00")
    after = rig.sale(card, 0, lines=nights(1), who=MemberSnapshot(tier="platinum"))
    assert after.get("postings")["points"] == 3000  # 200 USD x 10 x 1.5
    rig.push(after)
    assert counts(rig) == {"2026": 52}
    report = verify(rig.db)
    assert report.ok, report.differences


def test_a_refund_takes_back_its_returned_nights_in_its_sales_year(rig: Rig):
    card = fresh_card()
    rig.at("2026-12-30T20:00:00-05:00")
    stay = rig.sale(
        card,
        0,
        lines=(
            *nights(3),
            Line(2, "BREAKFAST", "Breakfast", 2, 2500, tags=frozenset({"breakfast"})),
        ),
    )
    rig.push(stay)
    rig.at("2027-01-03T10:00:00-05:00")
    rig.push(rig.sale(card, 0, lines=nights(2)))
    rig.push(rig.refund(stay, {1: 1, 2: 2}))  # one night and both breakfasts back
    assert counts(rig) == {"2026": 2, "2027": 2}
    rig.push(rig.refund(stay, {1: 2}, before={1: 1, 2: 2}))
    assert counts(rig) == {"2026": 0, "2027": 2}
    report = verify(rig.db)
    assert report.ok, report.differences


@pytest.mark.parametrize("clawback", [False, True], ids=["kept", "clawed back"])
def test_a_visit_is_undone_by_a_refund_that_empties_its_sale_not_by_a_partial_one(
    fresh_db_url: str, clawback: bool
):
    rig = open_rig(fresh_db_url, visits(clawback), "2026-01-01T00:00", "VISITS")
    try:
        card = fresh_card()
        rig.at("2026-03-02T12:00:00+01:00")
        two_lines = (Line(1, "A", "A", 1, 5000), Line(2, "B", "B", 1, 7000))
        first, second = rig.sale(card, 0, lines=two_lines), rig.sale(card, 1000)
        rig.push(first, second, rig.sale(card, 0))  # a sale of 0.00 is no visit
        assert (counts(rig), rig.member(card).tier) == ({"2026": 2}, "basic")
        third = rig.sale(card, 3000)
        rig.push(third)
        assert (counts(rig), rig.member(card).tier) == ({"2026": 3}, "silver")
        rig.push(rig.refund(first, {1: 1}))  # partial: still a visit
        assert counts(rig) == {"2026": 3}
        rig.push(rig.refund(first, {2: 1}, before={1: 1}))  # the rest: the visit is undone
        assert counts(rig) == {"2026": 2}
        assert rig.member(card).tier == ("basic" if clawback else "silver")
        rig.push(rig.refund(second))
        assert counts(rig) == {"2026": 1}
        report = verify(rig.db)
        assert report.ok, report.differences
    finally:
        rig.db.close()
