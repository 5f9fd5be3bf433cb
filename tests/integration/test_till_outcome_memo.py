"""Finishing a sale records the outcome the cashier was shown, and only while it still
holds: a new time condition, another member state or another basket is evaluated
again. The member after the sale is the one shown plus what the sale did."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import pos_client.outcome_memo as memo_module
from loyalty.cards import make_card_number
from loyalty.programme import (
    Basket,
    MemberSnapshot,
    Programme,
    ProgrammeVersion,
    basket_from_json,
    evaluate,
    load_programme_file,
    snapshot_from_json,
)
from pos_client.config import TillConfig
from pos_client.outcome_memo import OutcomeMemo
from pos_client.till import Till
from tests.conftest import member, store_versions

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "programmes"
KARI = make_card_number(1)


class Clock:
    """A till clock the test moves."""

    def __init__(self, at: str) -> None:
        self.now = datetime.fromisoformat(at)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def evaluations(monkeypatch: pytest.MonkeyPatch) -> list[Basket]:
    """The baskets the till's memo really evaluates, in order."""
    seen: list[Basket] = []
    real: Callable[..., Any] = memo_module.evaluate_basket

    def counting(programme: Programme, basket: Basket, *args: Any, **kwargs: Any) -> Any:
        seen.append(basket)
        return real(programme, basket, *args, **kwargs)

    monkeypatch.setattr(memo_module, "evaluate_basket", counting)
    return seen


def open_till(config: TillConfig, example: str, clock: Clock) -> Iterator[Till]:
    programme = load_programme_file(EXAMPLES / f"{example}.toml")
    till = Till.open(replace(config, programme=programme), clock=clock)
    try:
        till.store.members.upsert_many([member(1, 0, "Kari Nordmann")])
        yield till
    finally:
        till.close()


def recorded_outcome_hash_again(till: Till) -> tuple[str, str]:
    """The last sale's recorded outcome hash, and its inputs evaluated afresh."""
    event = till.store.journal.recent(1)[0]
    basket = basket_from_json(
        {**event.get("basket"), "at": event.get("business_time"), "store": event.get("store")}
    )
    snapshot: MemberSnapshot = snapshot_from_json(event.get("member_snapshot", {}))
    fresh = evaluate(till.version(basket.at).programme, basket, snapshot)
    return str(event.get("outcome_hash")), fresh.outcome_hash


def test_finishing_records_the_outcome_shown_without_evaluating_it_again(
    till_config: TillConfig, evaluations: list[Basket]
):
    clock = Clock("2026-03-25T12:00:00+01:00")  # a Wednesday
    for till in open_till(till_config, "weekend-dairy", clock):
        till.scan(KARI)
        till.add_amount("30", name="Milk", tags=frozenset({"dairy"}))
        shown = till.add_amount("20", name="Bread")
        assert len(evaluations) == 2
        receipt = till.finish_sale()
        assert len(evaluations) == 2
        assert receipt.points == shown.wallets["points"] == 50
        recorded, fresh = recorded_outcome_hash_again(till)
        assert recorded == fresh


def test_a_sale_finished_after_midnight_into_the_weekend_earns_the_weekend_rule(
    till_config: TillConfig, evaluations: list[Basket]
):
    clock = Clock("2026-03-27T23:59:50+01:00")  # Friday, ten seconds before Saturday
    for till in open_till(till_config, "weekend-dairy", clock):
        till.scan(KARI)
        shown = till.add_amount("100", name="Milk", tags=frozenset({"dairy"}))
        assert shown.wallets == {"points": 100}
        clock.now = datetime.fromisoformat("2026-03-28T00:00:05+01:00")
        receipt = till.finish_sale()
        assert len(evaluations) == 2
        assert receipt.points == 200
        recorded, fresh = recorded_outcome_hash_again(till)
        assert recorded == fresh


def test_time_that_changes_no_condition_keeps_the_outcome(
    till_config: TillConfig, evaluations: list[Basket]
):
    clock = Clock("2026-03-28T10:00:00+01:00")  # Saturday
    for till in open_till(till_config, "weekend-dairy", clock):
        till.scan(KARI)
        till.add_amount("100", name="Milk", tags=frozenset({"dairy"}))
        clock.now = datetime.fromisoformat("2026-03-28T18:30:00+01:00")
        assert till.finish_sale().points == 200
        assert len(evaluations) == 1
        assert evaluations[0].at.hour == 10


def test_a_changed_basket_or_member_is_evaluated_again(
    till_config: TillConfig, evaluations: list[Basket]
):
    clock = Clock("2026-03-25T12:00:00+01:00")
    for till in open_till(till_config, "coffee", clock):
        till.scan(KARI)
        till.add_amount("49", name="Latte", tags=frozenset({"coffee"}))
        till.toggle_flag(1, "own_cup")
        assert len(evaluations) == 2
        assert till.finish_sale().postings["stamps:coffee"] == 2
        till.add_amount("49", name="Latte", tags=frozenset({"coffee"}))
        assert len(evaluations) == 3
        assert till.finish_sale().postings["stamps:coffee"] == 1


def test_the_memo_keeps_one_outcome_per_programme_basket_and_member(
    evaluations: list[Basket],
):
    coffee = load_programme_file(EXAMPLES / "coffee.toml")
    version = ProgrammeVersion(0, datetime.fromisoformat("2026-01-01T00:00:00+01:00"), coffee)
    latte = basket_from_json(
        {
            "at": "2026-03-25T12:00:00+01:00",
            "store": "OSLO01",
            "lines": [
                {
                    "line": 1,
                    "sku": "latte",
                    "name": "Latte",
                    "tags": ["coffee"],
                    "qty": 1,
                    "unit_minor": 4900,
                }
            ],
        }
    )
    memo = OutcomeMemo()
    first = memo.evaluate(version, latte, MemberSnapshot(stamps={"coffee": 8}))
    assert memo.evaluate(version, latte, MemberSnapshot(stamps={"coffee": 8})) is first
    assert len(evaluations) == 1
    other = memo.evaluate(version, latte, MemberSnapshot(stamps={"coffee": 2}))
    assert other.rewards_issued == () and first.rewards_issued != ()
    assert len(evaluations) == 2
    memo.evaluate(version, replace(latte, store="BERGEN1"), MemberSnapshot(stamps={"coffee": 2}))
    assert len(evaluations) == 3
    again = replace(version, programme=load_programme_file(EXAMPLES / "coffee.toml"))
    memo.evaluate(again, replace(latte, store="BERGEN1"), MemberSnapshot(stamps={"coffee": 2}))
    assert len(evaluations) == 4  # another programme object, even with the same content


def test_the_member_after_a_sale_holds_what_it_issued_for_the_next_receipt(
    till_config: TillConfig,
):
    """Coffee: 9 stamps give a free coffee, usable from the next receipt; the member
    after the sale already holds it, without reading them back."""
    clock = Clock("2026-03-25T12:00:00+01:00")
    for till in open_till(till_config, "coffee", clock):
        till.store.members.upsert_many(
            [replace(member(1, 0, "Kari Nordmann"), accounts={"stamps:coffee": 8})]
        )
        shown = till.scan(KARI)
        assert shown.stamps("coffee") == 8 and shown.rewards == ()
        till.add_amount("49", name="Latte", tags=frozenset({"coffee"}))
        receipt = till.finish_sale()
        assert receipt.rewards_issued == ("free-coffee",)
        after = till.member
        assert after is not None
        assert after.stamps("coffee") == 0
        assert [r.reward for r in after.rewards] == ["free-coffee"]
        assert after == till.lookup(KARI)  # what reading the member back would give
        till.add_amount("52", name="Cappuccino", tags=frozenset({"coffee"}))
        usable = [reward for reward, _, _ in till.usable_rewards()]
        assert usable == ["free-coffee"]


def test_a_sale_finished_after_a_new_version_starts_shows_the_member_under_it(
    till_config: TillConfig,
):
    """Version 1 (weekend dairy, points) until midnight, version 2 (Kiwi, bonus in
    øre) from then: a sale scanned before and finished after midnight is recorded
    under Kiwi, and its receipt and the member after it speak of Kiwi's bonus."""
    clock = Clock("2026-11-09T23:59:50+01:00")
    for till in open_till(till_config, "weekend-dairy", clock):
        dairy = load_programme_file(EXAMPLES / "weekend-dairy.toml")
        kiwi = load_programme_file(EXAMPLES / "kiwi.toml")
        store_versions(
            till,
            [
                (1, "2026-01-01T00:00", "2025-12-31T23:00:00Z", dairy),
                (2, "2026-11-10T00:00", "2026-11-09T23:00:00Z", kiwi),
            ],
        )
        till.scan(KARI)
        till.add_amount("100", name="Apples", tags=frozenset({"fresh"}))
        clock.now = datetime.fromisoformat("2026-11-10T00:00:05+01:00")
        receipt = till.finish_sale()
        assert receipt.postings == {"bonus": 1500, "qualifying_spend": 10000}
        assert receipt.programme is not None and receipt.programme.name == kiwi.name
        assert (receipt.main_wallet, receipt.balance_after) == ("bonus", 1500)
        assert till.member == till.lookup(KARI)
