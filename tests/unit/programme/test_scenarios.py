"""The one-basket scenarios of PROGRAMME.md section 4, with real programmes' numbers.

Every outcome is also recomputed the way the ledger does it (inputs sent as JSON and
read back) and must give the same outcome hash.
"""

from __future__ import annotations

import json
import tomllib
from typing import Any

import pytest

from loyalty.programme import (
    Basket,
    MemberSnapshot,
    Outcome,
    Programme,
    basket_from_json,
    evaluate,
    parse_programme,
    reverse,
    snapshot_from_json,
)
from tests.unit.programme.helpers import EXAMPLES_DIR, basket, example, item, member, programme


def evaluated(prog: Programme, sale: Basket, who: MemberSnapshot | None = None) -> Outcome:
    """The till's outcome, checked against the ledger's recomputation from JSON."""
    who = who if who is not None else member()
    till = evaluate(prog, sale, who, version=3)
    travelled = json.loads(json.dumps([prog.document, sale.to_json(), who.to_json()]))
    ledger = evaluate(
        parse_programme(travelled[0], "ledger"),
        basket_from_json(travelled[1]),
        snapshot_from_json(travelled[2]),
        version=3,
    )
    assert ledger.outcome_hash == till.outcome_hash
    assert ledger.to_json() == till.to_json()
    return till


def variant(name: str, **arithmetic: str) -> Programme:
    """An example programme with other ``[arithmetic]`` settings."""
    document = tomllib.loads((EXAMPLES_DIR / f"{name}.toml").read_text(encoding="utf-8"))
    document["arithmetic"] = {**document.get("arithmetic", {}), **arithmetic}
    return parse_programme(document, f"{name}-variant.toml")


# --------------------------------------------------------------------------- 4. Starbucks

STARBUCKS_BASKET = (item(435, tags=["handcrafted"]), item(325, tags=["bakery"]))
LA_MORNING = "2026-03-25T08:00:00-07:00"

STARBUCKS = [
    pytest.param("gold", "receipt", 9, id="gold per receipt: 7.60 x 1.2 = 9.12 -> 9"),
    pytest.param("gold", "line", 8, id="gold per line: 5 + 3 = 8"),
    pytest.param("reserve", "receipt", 12, id="reserve per receipt: 12.92 -> 12"),
    pytest.param("reserve", "line", 12, id="reserve per line: 7 + 5 = 12"),
    pytest.param("green", "receipt", 7, id="green: 7.60 -> 7"),
]


@pytest.mark.parametrize(("tier", "scope", "stars"), STARBUCKS)
def test_starbucks_stars_by_tier_and_rounding_scope(tier: str, scope: str, stars: int):
    prog = example("starbucks") if scope == "receipt" else variant("starbucks", scope="line")
    outcome = evaluated(prog, basket(*STARBUCKS_BASKET, at=LA_MORNING), member(tier=tier))
    assert outcome.wallets == {"stars": stars}


def test_starbucks_per_line_shares_explain_the_receipt_total():
    outcome = evaluated(
        example("starbucks"), basket(*STARBUCKS_BASKET, at=LA_MORNING), member(tier="gold")
    )
    assert [line.wallets["stars"] for line in outcome.lines] == [5, 4]


# --------------------------------------------------------------------------- 5. EuroBonus

EUROBONUS = [
    pytest.param("basic", 3000, id="basic: no extra"),
    pytest.param("silver", 3750, id="silver: +25 %"),
    pytest.param("gold", 4500, id="gold: +50 %"),
    pytest.param("diamond", 5250, id="diamond: +75 %"),
]


@pytest.mark.parametrize(("tier", "bonus"), EUROBONUS)
def test_eurobonus_tier_extra_is_on_bonus_points_only(tier: str, bonus: int):
    flight = basket(item(300000, sku="OSL-CPH", name="Flight", tags=["flight"]))
    outcome = evaluated(example("eurobonus"), flight, member(tier=tier))
    assert outcome.wallets == {"level": 3000, "bonus": bonus}


# --------------------------------------------------------------------------- 7. reward lines

UNIT_PROGRAMME: dict[str, Any] = {
    "rewards": [
        {"id": "free-unit", "kind": "free_item", "cost": 5, "when": {"tags": ["unit"]}},
        {"id": "ten-percent", "kind": "percent_off", "percent": "10", "cost": 50},
    ]
}
ONE_PER_UNIT = {"id": "per-unit", "kind": "earn_rate", "rate": "1"}


def test_a_reward_unit_never_earns_plus_5_minus_5():
    """Five units bought at 1.00 (1 point each) and a sixth claimed for 5 points: +5 -5
    (Odoo issue 150833 gave +6 -5), whether the reward unit is on the same line or not."""
    prog = programme(ONE_PER_UNIT, **UNIT_PROGRAMME)
    claim = [{"reward": "free-unit"}]
    for lines in (
        [item(100, qty=6, tags=["unit"])],
        [item(100, qty=5, tags=["unit"]), item(100, qty=1, tags=["unit"], sku="u2")],
    ):
        outcome = evaluated(prog, basket(*lines, rewards=claim))
        assert outcome.wallets == {"points": 5}
        assert outcome.spent == {"points": 5}
        assert "points" not in outcome.postings


def test_a_percent_reward_earns_on_the_paid_amount():
    """A 100.00 basket with a 10 % reward earns on the paid 90.00: 90 points."""
    prog = programme(ONE_PER_UNIT, **UNIT_PROGRAMME)
    outcome = evaluated(prog, basket(item(10000), rewards=[{"reward": "ten-percent"}]))
    assert outcome.paid_minor == 9000
    assert outcome.wallets == {"points": 90}
    assert outcome.postings == {"points": 40, "qualifying_spend": 9000}


# --------------------------------------------------------------------------- 9. member price


def test_a_member_price_is_the_earn_basis():
    """List 39.90, member price 29.90, 1 point per krone on what is paid: 29 points."""
    beans = item(3990, sku="7038010055041", name="Coffee beans")
    outcome = evaluated(example("coop"), basket(beans))
    assert outcome.lines[0].list_minor == 3990
    assert outcome.paid_minor == 2990
    assert outcome.wallets == {"points": 29, "dividend": 0}  # the dividend is paid yearly
    assert outcome.lines[0].rules == ("member-coffee-beans", "base")


# --------------------------------------------------------------------------- 10. tier snapshot


def test_the_tier_is_a_snapshot_at_basket_start():
    """A member 10.00 short of the next tier buys 19.90: earns at the basic rate; the
    spend counts, and the next tier applies from the next receipt."""
    prog = example("sephora")
    lipstick = basket(item(1990, sku="lip", name="Lipstick"), at="2026-03-25T12:00:00-04:00")
    before = member(tier="insider", qualifying_spend_minor=34000)
    outcome = evaluated(prog, lipstick, before)
    assert outcome.wallets == {"points": 19}
    assert outcome.qualifying_spend_minor == 1990
    after = member(tier="vib", qualifying_spend_minor=35990)
    assert evaluated(prog, lipstick, after).wallets == {"points": 24}  # 19.90 x 1.25


# --------------------------------------------------------------------------- 11. refund debt

DEBT_PROGRAMME = (
    {"id": "base", "kind": "earn_rate", "rate": "1"},
    {"id": "big-basket", "kind": "fixed_bonus", "amount": 100, "when": {"min_basket_minor": 50000}},
)


def debt_sale() -> Basket:
    return basket(item(5000, qty=3, sku="shirt", name="Shirt"), item(45000, sku="coat"))


def test_a_600_basket_earns_700():
    outcome = evaluated(programme(*DEBT_PROGRAMME), debt_sale())
    assert outcome.wallets == {"points": 700}
    assert [(b.rule, b.amount) for b in outcome.bonuses] == [("big-basket", 100)]


def test_returning_150_reverses_250_and_leaves_a_debt():
    prog = programme(*DEBT_PROGRAMME)
    sale = debt_sale()
    earned = evaluated(prog, sale).postings["points"]
    balance = earned - 600  # the member spends down to 100
    reversal = reverse(prog, 3, sale, member(), "sale-1", {}, {1: 3})
    assert reversal.refund_minor == 15000
    assert reversal.postings == {"points": -250, "qualifying_spend": -15000}
    assert balance + reversal.postings["points"] == -150


def test_returning_150_in_pieces_reverses_the_same_250():
    prog = programme(*DEBT_PROGRAMME)
    sale = debt_sale()
    first = reverse(prog, 3, sale, member(), "sale-1", {}, {1: 1})
    second = reverse(prog, 3, sale, member(), "sale-1", {1: 1}, {1: 2})
    assert first.postings["points"] == -50  # 550 left still earns its bonus
    assert second.postings["points"] == -200  # 450 left: 450, the bonus goes
    assert first.refund_minor + second.refund_minor == 15000


# --------------------------------------------------------------------------- KIWI


def kiwi_basket() -> Basket:
    return basket(
        item(1233, sku="apples", name="Apples", tags=["fresh"]),
        item(4567, sku="coffee", name="Coffee"),
    )


def test_kiwi_15_and_1_percent_rounded_once_per_receipt():
    """184.95 + 45.67 øre = 230.62 øre of bonus: 230 once per receipt."""
    outcome = evaluated(example("kiwi"), kiwi_basket())
    assert outcome.wallets == {"bonus": 230}
    assert [line.wallets["bonus"] for line in outcome.lines] == [185, 45]
    assert [line.rules for line in outcome.lines] == [("fresh",), ("everything-else",)]


def test_kiwi_rounded_per_line_gives_less():
    outcome = evaluated(variant("kiwi", scope="line"), kiwi_basket())
    assert outcome.wallets == {"bonus": 229}
