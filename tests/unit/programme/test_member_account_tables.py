"""The engine-2 tables of what happens between receipts: vouchers at thresholds,
dividends paid as vouchers, personal offer templates, the birthday reward, caps and
the stale-version policy. Each is read exactly, and each mistake is refused naming
the file and the key."""

from __future__ import annotations

import copy
from datetime import date
from fractions import Fraction
from typing import Any

import pytest

from loyalty.programme import ProgrammeError, parse_programme
from loyalty.programme.birthday import (
    Birthday,
    birthday_in,
    instance_year,
    open_window,
    parse_birthday_text,
)
from loyalty.programme.model import Cap
from loyalty.programme.settlements import PeriodPercent, ThresholdVoucher, VoucherTerms
from tests.unit.programme.helpers import HEAD

BASE: dict[str, Any] = {
    "programme": {**HEAD, "engine": 2},
    "wallets": [{"id": "points"}, {"id": "bonus", "kind": "money"}],
    "tiers": {"levels": ["green", "gold", "reserve"]},
    "rules": [
        {"id": "base", "kind": "earn_rate", "rate": "1"},
        {
            "id": "big-basket",
            "kind": "fixed_bonus",
            "amount": 100,
            "when": {"min_basket_minor": 50000},
            "cap": {"count": 2, "months": 1},
        },
    ],
    "rewards": [{"id": "birthday-drink", "name": "Birthday drink", "kind": "free_item"}],
    "actions": [
        {
            "id": "garment-recycling",
            "name": "Garment bag",
            "amount": 20,
            "cap": {"count": 6, "months": 6},
        }
    ],
    "settlements": [
        {
            "id": "bonus-voucher",
            "kind": "threshold_voucher",
            "wallet": "points",
            "threshold": 150,
            "value_minor": 300,
            "valid_days": 60,
        },
        {
            "id": "dividend",
            "kind": "period_percent",
            "period": "calendar_year",
            "percent": "1",
            "pay_as": "voucher",
            "valid_days": 365,
            "min_spend_minor": 10000,
        },
    ],
    "offer_templates": [
        {
            "id": "coffee-20",
            "name": "20 % off coffee",
            "kind": "percent_off",
            "percent": "20",
            "when": {"tags": ["coffee"]},
            "offline": "deny",
            "uses": 2,
            "valid_days": 14,
        }
    ],
    "birthday": {"reward": "birthday-drink", "by_tier": {"gold": 7, "reserve": 30}},
    "offline": {"stale": "rerate"},
}


def _doc(path: str = "", value: Any = None, delete: bool = False) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    if path:
        keys: list[Any] = [int(k) if k.isdigit() else k for k in path.split(".")]
        target: Any = doc
        for key in keys[:-1]:
            target = target[key]
        if delete:
            del target[keys[-1]]
        else:
            target[keys[-1]] = value
    return doc


def _refusal(doc: dict[str, Any]) -> str:
    with pytest.raises(ProgrammeError) as caught:
        parse_programme(doc, "p.toml")
    return str(caught.value)


def test_every_table_is_read_exactly():
    programme = parse_programme(BASE, "p.toml")
    voucher, dividend = programme.settlements
    assert voucher == ThresholdVoucher("bonus-voucher", "points", 150, 300, VoucherTerms(60, 0))
    assert isinstance(dividend, PeriodPercent)
    assert dividend.wallet is None and dividend.voucher == VoucherTerms(365, 10000)
    template = programme.offer_template("coffee-20")
    assert template is not None
    assert (template.percent, template.uses, template.offline, template.valid_days) == (
        Fraction(20),
        2,
        "deny",
        14,
    )
    assert programme.birthday == Birthday("birthday-drink", 1, (("gold", 7), ("reserve", 30)))
    assert programme.action("garment-recycling").cap == Cap(6, 6)  # type: ignore[union-attr]
    assert programme.rules[1].cap == Cap(2, 1)  # type: ignore[union-attr]
    assert programme.offline.stale == "rerate"


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        ("programme.engine", 1, "needs engine = 2"),
        ("settlements.0.threshold", 0, "settlements[0].threshold: must be at least 1"),
        ("settlements.0.valid_days", 99999, "settlements[0].valid_days: must be at most"),
        ("settlements.0.wallet", "stars", "settlements[0].wallet: 'stars' is not a wallet"),
        ("settlements.1.wallet", "bonus", "settlements[1].wallet: does not go with pay_as"),
        ("settlements.1.pay_as", "cheque", "settlements[1].pay_as: must be one of"),
        ("offer_templates.0.kind", "free", "offer_templates[0].kind: must be one of"),
        ("offer_templates.0.percent", "120", "offer_templates[0].percent: must be more than 0"),
        ("offer_templates.0.offline", "maybe", "offer_templates[0].offline: must be one of"),
        ("offer_templates.0.when", {"weekdays": ["sat"]}, "offer_templates[0].when: must pick"),
        ("offer_templates.0.amount_minor", 100, 'amount_minor: only goes with kind = "amount_off"'),
        ("birthday.reward", "cake", "birthday.reward: 'cake' is not in [[rewards]]"),
        ("birthday.by_tier", {"platinum": 3}, "birthday.by_tier.platinum: is not a tier"),
        ("birthday.window_days", 400, "birthday.window_days: must be at most 366"),
        ("actions.0.cap", {"count": 0, "months": 6}, "actions[0].cap.count: must be at least 1"),
        ("rules.1.cap", {"count": 1}, "rules[1].cap.months: is missing"),
        ("offline.stale", "ignore", "offline.stale: must be one of"),
    ],
)
def test_a_mistake_is_refused_naming_the_key(path: str, value: Any, problem: str):
    assert problem in _refusal(_doc(path, value))


@pytest.mark.parametrize("key", ["offer_templates", "birthday"])
def test_each_new_table_needs_engine_2(key: str):
    doc = _doc("programme.engine", 1)
    for other in ("settlements", "offer_templates", "birthday", "offline", "actions", "rules"):
        if other != key:
            doc.pop(other, None)
    assert f"{key}: needs engine = 2" in _refusal(doc)


def test_a_cap_or_the_stale_policy_needs_engine_2():
    doc = _doc("programme.engine", 1)
    for other in ("settlements", "offer_templates", "birthday", "offline", "rules"):
        doc.pop(other)
    assert "actions[0].cap: needs engine = 2" in _refusal(doc)
    doc = _doc("programme.engine", 1)
    for other in ("settlements", "offer_templates", "birthday", "actions", "rules"):
        doc.pop(other)
    assert "offline.stale: needs engine = 2" in _refusal(doc)


# --------------------------------------------------------------------------- birthday

RULES = Birthday("birthday-drink", 1, (("gold", 7), ("reserve", 30)))


@pytest.mark.parametrize(
    ("tier", "today", "year"),
    [
        ("green", date(2026, 5, 17), 2026),
        ("green", date(2026, 5, 18), None),
        ("green", date(2026, 5, 16), None),
        ("gold", date(2026, 5, 23), 2026),
        ("gold", date(2026, 5, 24), None),
        ("reserve", date(2026, 6, 15), 2026),
        ("reserve", date(2026, 6, 16), None),
    ],
)
def test_the_window_opens_on_the_birthday_and_lasts_by_tier(
    tier: str, today: date, year: int | None
):
    assert open_window(RULES, tier, (5, 17), today) == year


def test_a_window_that_runs_into_january_belongs_to_the_december_birthday():
    assert open_window(RULES, "reserve", (12, 20), date(2027, 1, 10)) == 2026
    assert open_window(RULES, "reserve", (12, 20), date(2027, 1, 19)) is None


def test_29_february_falls_on_28_february_in_other_years():
    assert birthday_in(2027, (2, 29)) == date(2027, 2, 28)
    assert birthday_in(2028, (2, 29)) == date(2028, 2, 29)
    assert open_window(RULES, "green", (2, 29), date(2027, 2, 28)) == 2027


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("05-17", (5, 17)), ("1990-05-17", (5, 17)), ("02-29", (2, 29)), ("02-30", None), ("", None)],
)
def test_a_birthday_is_read_from_month_and_day(text: str, parsed: tuple[int, int] | None):
    assert parse_birthday_text(text) == parsed


def test_a_birthday_instance_names_its_year():
    assert instance_year("birthday-2026") == 2026
    assert instance_year("sale-1/card/1") is None
