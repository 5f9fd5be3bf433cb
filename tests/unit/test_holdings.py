"""What a till lets a member use besides points: vouchers once, offers by their offline
policy, the birthday reward in its window — from what the ledger said and what this
till's unsynced events used."""

from __future__ import annotations

from datetime import date

from loyalty.programme import RewardInstance
from loyalty.programme.basket import AppliedOffer
from pos_client.holdings import (
    HeldOffer,
    HeldVoucher,
    UsedHere,
    birthday_reward,
    offers_for_basket,
    voucher_refusal,
    vouchers_usable,
)
from tests.unit.programme.helpers import example

TODAY = date(2026, 3, 10)
VOUCHER = HeldVoucher("VCH-AAAA2222BB", 300, "GBP", 0, date(2026, 3, 31))
OLD = HeldVoucher("VCH-CCCC3333DD", 300, "GBP", 0, date(2026, 3, 9))
JEANS = HeldOffer("OF-1", "jeans-20", date(2026, 3, 1), date(2026, 3, 14), 1)
KIDS = HeldOffer("OF-2", "kids-5", date(2026, 3, 1), date(2026, 3, 30), 2)


def test_a_voucher_is_usable_within_its_days_until_this_till_used_it():
    assert vouchers_usable([VOUCHER, OLD], TODAY, UsedHere()) == (VOUCHER,)
    used = UsedHere.of_events([{"vouchers_used": [{"number": VOUCHER.number}]}])
    assert vouchers_usable([VOUCHER], TODAY, used) == ()
    assert voucher_refusal(VOUCHER.number, [VOUCHER], TODAY, used) == (
        "Voucher VCH-AAAA2222BB was already used at this till."
    )
    assert "ran out on 2026-03-09" in str(voucher_refusal(OLD.number, [OLD], TODAY, UsedHere()))
    assert "not one of this member's vouchers" in str(
        voucher_refusal("VCH-ZZZZ9999ZZ", [VOUCHER], TODAY, UsedHere())
    )
    assert voucher_refusal(VOUCHER.number, [VOUCHER], TODAY, UsedHere()) is None


def test_offers_go_into_the_basket_by_their_days_uses_and_offline_policy():
    hm = example("hm")
    both = [JEANS, KIDS]
    assert offers_for_basket(hm, both, TODAY, True, UsedHere()) == (
        AppliedOffer("OF-1", "jeans-20"),
        AppliedOffer("OF-2", "kids-5"),
    )
    # Offline: kids-5 says deny; jeans-20 once per till.
    assert offers_for_basket(hm, both, TODAY, False, UsedHere()) == (
        AppliedOffer("OF-1", "jeans-20"),
    )
    used_once = UsedHere.of_events([{"offers_used": [{"id": "OF-1"}, {"id": "OF-2"}]}])
    assert offers_for_basket(hm, both, TODAY, True, used_once) == (
        AppliedOffer("OF-2", "kids-5"),  # two uses; one left
    )
    assert offers_for_basket(hm, both, TODAY, False, used_once) == ()
    assert offers_for_basket(hm, both, date(2026, 3, 20), True, UsedHere()) == (
        AppliedOffer("OF-2", "kids-5"),
    )


def test_the_birthday_reward_is_held_in_its_window_until_the_years_one_is_used():
    rules = example("starbucks").birthday
    may = date(2026, 5, 20)
    assert birthday_reward(rules, "gold", "05-17", 0, may, UsedHere()) == RewardInstance(
        "birthday-2026", "birthday-treat"
    )
    assert birthday_reward(rules, "green", "05-17", 0, may, UsedHere()) is None
    assert birthday_reward(rules, "gold", "05-17", 2026, may, UsedHere()) is None
    used = UsedHere.of_events([{"rewards_used": [{"reward": "x", "id": "birthday-2026"}]}])
    assert birthday_reward(rules, "gold", "05-17", 2025, may, used) is None
    given_back = used.plus([{"rewards_restored": [{"reward": "x", "id": "birthday-2026"}]}])
    assert birthday_reward(rules, "gold", "05-17", 2025, may, given_back) is not None
    assert birthday_reward(rules, "gold", "", 0, may, UsedHere()) is None
    assert birthday_reward(example("hm").birthday, "", "05-17", 0, may, UsedHere()) is None
