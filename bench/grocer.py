"""A realistic 20-rule programme, its products, a 50-line basket and a member, for benchmarks.

The programme (``bench-grocer``, NOK, Europe/Oslo) has 15 ``[[rules]]`` and 5
``[[prices]]``:

* earn rates by tier in a ``first_by_priority`` group (basic 1, silver 1.25, gold 1.5
  points per krone), and three ``earn_percent`` rules by tag into a money wallet;
* two stack groups of multipliers: ``weekday-boost`` (``add_increments``: dairy on
  weekdays, bakery in the morning, everything but clearance on weekdays) and
  ``member-boost`` (``multiply``: gold tier, fruit in the late morning);
* three fixed bonuses (a large basket, a coffee visit, a weekday visit);
* a coffee stamp card (goal 10, an extra stamp for an own cup) issuing a free coffee;
* member prices: 10 % off dairy, 15 % off organic, 20 % off fruit on weekdays, and
  fixed prices for two skus;
* exclusions: gift cards, deposits and tobacco earn nothing, gift-card tenders do
  not earn, clearance goods get no household bonus and no weekday boost.

:data:`AT` (Wednesday 25 November 2026, 10:30 in Oslo) is a moment at which every
weekday and time condition holds, so every rule takes part.
"""

from __future__ import annotations

import json
import random
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from loyalty.programme import (
    AppliedReward,
    Basket,
    Line,
    MemberSnapshot,
    Programme,
    ProgrammeVersion,
    RewardInstance,
    Tender,
    parse_programme,
)
from loyalty.programme.model import ENGINE_VERSION
from loyalty.programme.versions import local_start

AT = datetime(2026, 11, 25, 10, 30, tzinfo=ZoneInfo("Europe/Oslo"))
"""A Wednesday morning: every weekday and time window of the programme holds."""
STORE = "BENCH"
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
BREAD_SKU = "7020000000017"
BEANS_SKU = "7020000000024"


def programme_document() -> dict[str, Any]:
    """The programme document (its JSON form, as the ledger sends it to tills)."""
    weekday = {"weekdays": WEEKDAYS}
    return {
        "programme": {
            "id": "bench-grocer",
            "name": "Bench grocer",
            "engine": ENGINE_VERSION,
            "currency": "NOK",
            "timezone": "Europe/Oslo",
        },
        "arithmetic": {"rounding": "floor", "scope": "receipt"},
        "earn_basis": {
            "amount": "paid",
            "exclude_tags": ["gift_card", "deposit", "tobacco"],
            "exclude_tenders": ["gift_card"],
        },
        "wallets": [
            {"id": "points", "name": "Points", "kind": "points"},
            {"id": "bonus", "name": "Bonus", "kind": "money"},
        ],
        "tiers": {"levels": ["basic", "silver", "gold"]},
        "stack_groups": [
            {"id": "tier-rate", "mode": "first_by_priority"},
            {"id": "weekday-boost", "mode": "add_increments"},
            {"id": "member-boost", "mode": "multiply"},
        ],
        "rules": [
            # 1-3: the tier's earn rate (the lowest priority number that applies).
            {"id": "rate-basic", "kind": "earn_rate", "rate": "1", "group": "tier-rate",
             "priority": 3, "when": {"tiers": ["basic"]}},
            {"id": "rate-silver", "kind": "earn_rate", "rate": "1.25", "group": "tier-rate",
             "priority": 2, "when": {"tiers": ["silver"]}},
            {"id": "rate-gold", "kind": "earn_rate", "rate": "1.5", "group": "tier-rate",
             "priority": 1, "when": {"tiers": ["gold"]}},
            # 4-6: money bonus by tag (the implied "base" group adds them).
            {"id": "organic-bonus", "kind": "earn_percent", "wallet": "bonus", "percent": "2",
             "when": {"tags": ["organic"]}},
            {"id": "coffee-bonus", "kind": "earn_percent", "wallet": "bonus", "percent": "5",
             "when": {"tags": ["coffee"]}},
            {"id": "household-bonus", "kind": "earn_percent", "wallet": "bonus",
             "percent": "1.5", "when": {"tags": ["household"], "not_tags": ["clearance"]}},
            # 7-9: weekday boosts, increments added.
            {"id": "weekday-dairy", "kind": "multiplier", "increment": "1",
             "group": "weekday-boost", "when": {"tags": ["dairy"], **weekday}},
            {"id": "morning-bakery", "kind": "multiplier", "increment": "0.5",
             "group": "weekday-boost",
             "when": {"tags": ["bakery"], "time": {"from": "06:00", "until": "14:00"}}},
            {"id": "weekday-all", "kind": "multiplier", "increment": "0.25", "wallet": "points",
             "group": "weekday-boost", "when": {"not_tags": ["clearance"], **weekday}},
            # 10-11: member boosts, factors multiplied.
            {"id": "gold-boost", "kind": "multiplier", "increment": "0.1",
             "group": "member-boost", "when": {"tiers": ["gold"]}},
            {"id": "fruit-late-morning", "kind": "multiplier", "increment": "0.5",
             "group": "member-boost",
             "when": {"tags": ["fruit"], "time": {"from": "09:00", "until": "12:00"}}},
            # 12-14: fixed bonuses.
            {"id": "big-basket", "kind": "fixed_bonus", "wallet": "points", "amount": 100,
             "when": {"min_basket_minor": 50000}},
            {"id": "coffee-visit", "kind": "fixed_bonus", "wallet": "points", "amount": 25,
             "when": {"tags": ["coffee"]}},
            {"id": "weekday-visit", "kind": "fixed_bonus", "wallet": "bonus", "amount": 500,
             "when": weekday},
            # 15: the coffee stamp card.
            {"id": "coffee-card", "kind": "stamp", "card": "coffee", "goal": 10,
             "reward": "free-coffee", "per_unit": 1, "extra_per_flag": {"own_cup": 1},
             "when": {"tags": ["coffee"]}},
        ],
        "prices": [
            # 16-20: member prices.
            {"id": "dairy-member", "percent_off": "10", "when": {"tags": ["dairy"]}},
            {"id": "organic-member", "percent_off": "15", "when": {"tags": ["organic"]}},
            {"id": "fruit-weekday", "percent_off": "20", "when": {"tags": ["fruit"], **weekday}},
            {"id": "bread-member", "price_minor": 2990, "when": {"skus": [BREAD_SKU]}},
            {"id": "beans-member", "price_minor": 8990, "when": {"skus": [BEANS_SKU]}},
        ],
        "rewards": [
            {"id": "free-coffee", "name": "Free coffee", "kind": "free_item",
             "when": {"tags": ["coffee"]}},
            {"id": "fifty-off", "name": "50 kr off", "kind": "amount_off", "amount_minor": 5000,
             "min_spend_minor": 20000, "cost": 500, "wallet": "points"},
        ],
        "redeem": {"wallet": "points", "points": 100, "value_minor": 1000, "min_points": 100},
    }  # fmt: skip


def programme() -> Programme:
    return parse_programme(programme_document(), "<bench grocer>")


def version(number: int = 1) -> ProgrammeVersion:
    return ProgrammeVersion(number, local_start("2026-01-01T00:00", "Europe/Oslo"), programme())


def rule_count(document: dict[str, Any]) -> int:
    return len(document["rules"]) + len(document["prices"])


# sku, name, unit price (minor units), tags
PRODUCTS: tuple[tuple[str, str, int, tuple[str, ...]], ...] = (
    (BREAD_SKU, "Grovbrød", 4290, ("bakery",)),
    (BEANS_SKU, "Kaffebønner 500 g", 12990, ("coffee", "grocery")),
    ("7020000000031", "Lettmelk 1 l", 2490, ("dairy",)),
    ("7020000000048", "Yoghurt naturell", 3290, ("dairy", "organic")),
    ("7020000000055", "Norvegia 1 kg", 12990, ("dairy",)),
    ("7020000000062", "Smør 500 g", 5490, ("dairy",)),
    ("7020000000079", "Epler 1 kg", 3990, ("fruit",)),
    ("7020000000086", "Bananer", 2790, ("fruit", "organic")),
    ("7020000000093", "Appelsiner 2 kg", 4990, ("fruit",)),
    ("7020000000109", "Croissant", 1990, ("bakery",)),
    ("7020000000116", "Kanelbolle", 2490, ("bakery",)),
    ("7020000000123", "Cappuccino", 4200, ("coffee", "drink")),
    ("7020000000130", "Caffè latte", 4600, ("coffee", "drink")),
    ("7020000000147", "Oppvaskmiddel", 3990, ("household",)),
    ("7020000000154", "Tørkerull 8 pk", 6990, ("household", "clearance")),
    ("7020000000161", "Vaskepulver", 9990, ("household",)),
    ("7020000000178", "Havregryn øko", 3490, ("grocery", "organic")),
    ("7020000000185", "Pasta 1 kg", 2990, ("grocery",)),
    ("7020000000192", "Tomatsaus", 2190, ("grocery",)),
    ("7020000000208", "Kyllingfilet", 11990, ("meat",)),
    ("7020000000215", "Laks 400 g", 9990, ("fish",)),
    ("7020000000222", "Brus 1.5 l", 3290, ("drink",)),
    ("7020000000239", "Pant 1.5 l", 300, ("deposit",)),
    ("7020000000246", "Gavekort 500", 50000, ("gift_card",)),
    ("7020000000253", "Snus", 11900, ("tobacco",)),
    ("7020000000260", "Sjokolade", 2990, ("snacks", "clearance")),
    ("7020000000277", "Chips", 3490, ("snacks",)),
    ("7020000000284", "Egg 12 pk", 5490, ("dairy", "organic")),
    ("7020000000291", "Agurk", 1990, ("vegetables",)),
    ("7020000000307", "Poteter 2 kg", 3490, ("vegetables", "organic")),
)


def product_rows() -> list[tuple[object, ...]]:
    """Rows for a till's ``products`` table (sku, name, price, tags JSON, active, change)."""
    return [
        (sku, name, price, json.dumps(sorted(tags)), 1, 1) for sku, name, price, tags in PRODUCTS
    ]


def lines(count: int, seed: int = 50) -> tuple[Line, ...]:
    """``count`` basket lines: every product once in turn, then random ones; 1-6 units,
    an own cup on every other coffee."""
    rng = random.Random(seed)
    picked = [PRODUCTS[i % len(PRODUCTS)] for i in range(min(count, len(PRODUCTS)))]
    picked += [rng.choice(PRODUCTS) for _ in range(count - len(picked))]
    made, coffees = [], 0
    for number, (sku, name, price, tags) in enumerate(picked, 1):
        flags: frozenset[str] = frozenset()
        if "coffee" in tags and "drink" in tags:
            coffees += 1
            flags = frozenset({"own_cup"}) if coffees % 2 else frozenset()
        qty = 1 if "gift_card" in tags else rng.randint(1, 6)
        made.append(Line(number, sku, name, qty, price, frozenset(tags), flags))
    return tuple(made)


def member() -> MemberSnapshot:
    """A gold member with 7 coffee stamps and an issued free coffee."""
    return MemberSnapshot(
        tier="gold",
        stamps={"coffee": 7},
        qualifying_spend_minor=1_234_500,
        rewards=(RewardInstance("R-1", "free-coffee"),),
    )


def basket(count: int = 50) -> Basket:
    """A basket of ``count`` lines using the member's free coffee, a claimed 50 kr off
    and 200 points as a discount, paid by card and a 100 kr gift card."""
    made = lines(count)
    total = sum(line.list_minor for line in made)
    return Basket(
        at=AT,
        store=STORE,
        lines=made,
        tenders=(Tender("card", total - 10000), Tender("gift_card", 10000)),
        rewards=(AppliedReward("free-coffee", "R-1"), AppliedReward("fifty-off")),
        redeem_points=200,
    )
