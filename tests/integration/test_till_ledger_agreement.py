"""Till and ledger outcome hashes agree on 10,000 random baskets.

Real tills (one SQLite file each, under ``tmp_path``) run every example programme
and a synthetic one (member prices, multipliers, fixed bonuses, points as a
discount, stamp cards, claimable and issued rewards) as their configured version 0.
A fixed-seed cashier records 10,000 sales across them: members of every tier with
stamps, balances (some in debt) and rewards held, catalogue products and typed
amounts with the tags the programmes select by, quantities, removed lines and
``own_cup`` flags, rewards from ``usable_rewards`` and points within
``redeem_limits``, at business times spread over weekdays, hours, weekends and the
nights clocks change, presented in several zones. Between the sales it refunds a
few hundred of them, in parts and in full.

Then every journal event is recomputed exactly as the ledger's push does it
(:class:`ledger.recompute.Recomputer` built like ``ledger.service._Context``, the
programme parsed from its stored JSON document like ``ledger.programmes.parsed``,
each refund given its sale as :class:`ledger.sales.SaleBook` tracks it): there must
be no finding at all, and every sale's ``outcome_hash`` must equal the hash of
:func:`loyalty.programme.evaluate` on its recorded inputs.

Refusals a cashier could get (any :class:`loyalty.errors.LoyaltyError`) are
skipped and counted; run with ``-s`` to see the counts.
"""

from __future__ import annotations

import json
import random
import re
import time
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from ledger.recompute import Recomputer
from ledger.sales import SaleBook
from loyalty.canonical import canonical_json
from loyalty.cards import make_card_number
from loyalty.errors import LoyaltyError
from loyalty.gtin import gtin_check_digit
from loyalty.programme import (
    Programme,
    ProgrammeVersion,
    basket_from_json,
    evaluate,
    load_programme_file,
    parse_programme,
    snapshot_from_json,
)
from loyalty.programme.basket import parse_business_time
from loyalty.programme.model import STAMPS_PREFIX
from loyalty.timezones import programme_zone
from pos_client.config import TillConfig
from pos_client.store import CachedMember
from pos_client.store.transaction import write_transaction
from pos_client.till import Till

SEED = 2026
SALES = 10_000
"""Sales recorded in total, across the programmes (the requirement's count)."""
REFUND_RATE = 0.03
"""After a sale, the chance that the cashier refunds an earlier sale of that till."""
MEMBERS_PER_TILL = 100

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples" / "programmes"
EXAMPLES = ("coffee", "kiwi", "sephora", "weekend-dairy", "eurobonus", "coop", "starbucks")

SYNTHETIC: dict[str, Any] = {
    "programme": {
        "id": "synthetic",
        "name": "Synthetic",
        "engine": 1,
        "currency": "NOK",
        "timezone": "Europe/Oslo",
    },
    "arithmetic": {"rounding": "half_even", "scope": "line"},
    "earn_basis": {"amount": "paid", "exclude_tags": ["gift_card", "deposit", "tobacco"]},
    "wallets": [
        {"id": "points", "name": "Points", "kind": "points"},
        {"id": "cashback", "name": "Cashback", "kind": "money"},
    ],
    "tiers": {"levels": ["member", "plus", "vip"]},
    "store_groups": {"city": ["SYN"]},
    "stack_groups": [
        {"id": "tier-rate", "mode": "max"},
        {"id": "tier-boost", "mode": "multiply"},
        {"id": "campaign", "mode": "first_by_priority"},
    ],
    "rules": [
        {"id": "base", "kind": "earn_rate", "rate": "1"},
        {
            "id": "plus-rate",
            "kind": "earn_rate",
            "rate": "1.5",
            "group": "tier-rate",
            "when": {"tiers": ["plus", "vip"]},
        },
        {
            "id": "fresh-cashback",
            "kind": "earn_percent",
            "wallet": "cashback",
            "percent": "2.5",
            "when": {"tags": ["fresh", "dairy"]},
        },
        {
            "id": "weekend-dairy",
            "kind": "multiplier",
            "increment": "1",
            "when": {"tags": ["dairy"], "weekdays": ["sat", "sun"]},
        },
        {
            "id": "happy-hour",
            "kind": "multiplier",
            "wallet": "points",
            "increment": "0.5",
            "when": {"tags": ["coffee", "bakery"], "time": {"from": "15:00", "until": "17:00"}},
        },
        {
            "id": "night-owl",
            "kind": "multiplier",
            "increment": "0.25",
            "when": {"time": {"from": "22:00", "until": "02:30"}},
        },
        {
            "id": "early-week-lunch",
            "kind": "multiplier",
            "increment": "-0.5",
            "when": {"tags": ["lunch"], "weekdays": ["mon", "tue", "wed"]},
        },
        {
            "id": "vip-boost",
            "kind": "multiplier",
            "increment": "0.2",
            "group": "tier-boost",
            "when": {"tiers": ["vip"]},
        },
        {
            "id": "city-boost",
            "kind": "multiplier",
            "increment": "0.1",
            "group": "tier-boost",
            "when": {"store_groups": ["city"], "not_tags": ["coffee"]},
        },
        {
            "id": "dst-spring",
            "kind": "multiplier",
            "increment": "2",
            "group": "campaign",
            "priority": 1,
            "when": {"dates": {"from": "2026-03-28", "until": "2026-03-29"}},
        },
        {
            "id": "dst-autumn",
            "kind": "multiplier",
            "increment": "3",
            "group": "campaign",
            "priority": 2,
            "when": {"dates": {"from": "2026-10-25", "until": "2026-10-25"}},
        },
        {
            "id": "big-basket",
            "kind": "fixed_bonus",
            "amount": 100,
            "when": {"min_basket_minor": 50000},
        },
        {
            "id": "monday-fresh",
            "kind": "fixed_bonus",
            "wallet": "cashback",
            "amount": 500,
            "when": {"tags": ["fresh"], "weekdays": ["mon"], "min_basket_minor": 10000},
        },
        {
            "id": "coffee-card",
            "kind": "stamp",
            "card": "coffee",
            "goal": 5,
            "reward": "free-coffee",
            "extra_per_flag": {"own_cup": 1},
            "carry_over": False,
            "when": {"tags": ["coffee"]},
        },
        {
            "id": "lunch-card",
            "kind": "stamp",
            "card": "lunch",
            "goal": 3,
            "reward": "half-lunch",
            "per_unit": 1,
            "when": {"tags": ["lunch"], "time": {"from": "10:30", "until": "14:00"}},
        },
    ],
    "prices": [
        {"id": "member-beans", "price_minor": 2990, "when": {"skus": ["7038010055041"]}},
        {"id": "member-price", "percent_off": "20", "when": {"tags": ["member_price"]}},
        {
            "id": "vip-dairy",
            "percent_off": "12.5",
            "when": {"tags": ["dairy"], "tiers": ["vip"]},
        },
    ],
    "rewards": [
        {
            "id": "free-coffee",
            "name": "Free coffee",
            "kind": "free_item",
            "when": {"tags": ["coffee"]},
        },
        {
            "id": "half-lunch",
            "name": "Half-price lunch",
            "kind": "percent_off",
            "percent": "50",
            "when": {"tags": ["lunch"]},
        },
        {
            "id": "hundred-off",
            "name": "100 off",
            "kind": "amount_off",
            "amount_minor": 10000,
            "min_spend_minor": 20000,
            "cost": 800,
            "wallet": "points",
            "when": {"not_tags": ["gift_card", "deposit"]},
        },
        {
            "id": "cashback-pastry",
            "name": "Pastry on cashback",
            "kind": "free_item",
            "cost": 2500,
            "wallet": "cashback",
            "when": {"tags": ["bakery"]},
        },
    ],
    "redeem": {"wallet": "points", "points": 100, "value_minor": 1000, "min_points": 200},
    "offline": {"redeem_cap": 5000},
}

TAGS = (
    "coffee",
    "fresh",
    "dairy",
    "bakery",
    "gift_card",
    "deposit",
    "tobacco",
    "member_price",
    "customization",
    "brewed",
    "handcrafted",
    "breakfast",
    "lunch",
    "packaged-coffee",
    "merchandise",
)
COOP_BEANS = "7038010055041"
"""The sku that coop.toml (and the synthetic programme) give a fixed member price."""
NAMES = ("Latte", "Melk 1 l", "Brød", "Gavekort", "Pant", "Snus", "Extra shot", "Croissant",
         "Kaffe, hele bønner 500 g", "Smørbrød", "Frokost", "Æbleskiver", "Te", "Krus")  # fmt: skip

# Dates that clocks change: Europe's (Oslo) and North America's, 2026 and 2027.
DST_DATES = {
    "Europe/Oslo": (date(2026, 3, 29), date(2026, 10, 25), date(2027, 3, 28)),
    "America/New_York": (date(2026, 3, 8), date(2026, 11, 1), date(2027, 3, 14)),
    "America/Los_Angeles": (date(2026, 3, 8), date(2026, 11, 1), date(2027, 3, 14)),
}
OTHER_ZONES = ("UTC", "Asia/Kathmandu", "America/St_Johns", "Pacific/Auckland")
"""Zones a till's clock may present its time in (the instant is what counts)."""


def ean(body: str) -> str:
    return body + str(gtin_check_digit(body))


# --------------------------------------------------------------------------- set-up


class Clock:
    """The till's clock: the business time the test sets, moved on by the test."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def tick(self, rng: random.Random) -> None:
        """A few seconds pass between two things the cashier does (counted on the
        instant, then shown in the clock's zone again: a clock never shows a wall
        time that the clocks skip; the last test covers that)."""
        later = self.now.astimezone(UTC) + timedelta(seconds=rng.choice((0, 1, 3, 7, 20)))
        self.now = later.astimezone(self.now.tzinfo)


def business_time(rng: random.Random, zone_name: str) -> datetime:
    """A random instant, as the till's clock presents it.

    Mostly any hour of any day of 2026 (every weekday, weekends), often a few
    seconds before a full or half hour (where time windows open and close), and one
    sale in eight in the small hours of a night the clocks change. Presented in the
    programme's zone (an aware zone), as a fixed offset (what ``local_now`` gives),
    or in another zone altogether.
    """
    zone = programme_zone(zone_name)
    if rng.random() < 0.125:
        day = rng.choice(DST_DATES[zone_name])
        hour = rng.choice((0, 1, 2, 3))
    else:
        day = date(2026, 1, 1) + timedelta(days=rng.randrange(365))
        hour = rng.randrange(24)
    if rng.random() < 0.3:
        minute, second = rng.choice((29, 59)), rng.randrange(45, 60)
    else:
        minute, second = rng.randrange(60), rng.randrange(60)
    naive = datetime(day.year, day.month, day.day, hour, minute, second, rng.randrange(10**6))
    # Wall times the clocks skip or repeat are read as one instant or the other.
    instant = naive.replace(tzinfo=zone, fold=rng.randrange(2)).astimezone(UTC)
    presentation = rng.random()
    if presentation < 0.5:
        return instant.astimezone(zone)
    if presentation < 0.8:
        local = instant.astimezone(zone)
        offset = local.utcoffset()
        assert offset is not None
        return local.astimezone(timezone(offset))
    return instant.astimezone(programme_zone(rng.choice(OTHER_ZONES)))


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    price_minor: int
    tags: tuple[str, ...]


def catalogue(rng: random.Random) -> list[Product]:
    """Products with the tags the programmes select by, at varied prices."""
    products = [Product(COOP_BEANS, "Kaffe, hele bønner 500 g", 8990, ("packaged-coffee",))]
    for index in range(60):
        tags = tuple(sorted(set(rng.sample(TAGS, rng.choice((0, 1, 1, 1, 2, 2, 3))))))
        price = rng.choice(
            (
                rng.randrange(100, 5_000),
                rng.randrange(1_000, 20_000),
                rng.randrange(10_000, 200_000),
                rng.choice((0, 1, 5, 99, 100, 300, 1_000_000)),
            )
        )
        name = f"{rng.choice(NAMES)} {index}"
        products.append(Product(ean(f"70380100{index:04d}"), name, price, tags))
    return products


def stock(till: Till, products: list[Product]) -> None:
    """Put the catalogue in the till, as a pull from the ledger would."""
    with write_transaction(till.store.conn) as conn:
        conn.executemany(
            "INSERT INTO products VALUES (?, ?, ?, ?, 1, 1)",
            [(p.sku, p.name, p.price_minor, json.dumps(list(p.tags))) for p in products],
        )


def members(rng: random.Random, programme: Programme, shop: int) -> list[CachedMember]:
    """Members of every tier (and none, and one the programme does not know), with
    balances (a few in debt), stamps, qualifying spend and issued rewards held."""
    tiers = ("", "legacy-tier", *programme.tiers)
    issued_only = [r.id for r in programme.rewards if r.cost is None]
    # Every member may hold coffee stamps, also where the programme has no such card.
    cards = {"coffee": 9, **{r.card: r.goal for r in programme.stamp_cards}}
    found = []
    for n in range(MEMBERS_PER_TILL):
        serial = shop * 1000 + n + 1
        accounts: dict[str, int] = {}
        for wallet in programme.wallets:
            scale = 100 if wallet.kind == "money" else 1
            accounts[wallet.id] = (
                scale
                * rng.choices(
                    (
                        0,
                        rng.randrange(1, 150),
                        rng.randrange(150, 2_500),
                        rng.randrange(2_500, 20_000),
                        -rng.randrange(1, 300),
                    ),
                    weights=(15, 20, 30, 30, 5),
                )[0]
            )
        for card, goal in cards.items():
            accounts[STAMPS_PREFIX + card] = rng.choice(
                (0, rng.randrange(goal), goal - 1, rng.randrange(goal, 2 * goal + 1))
            )
        accounts["qualifying_spend"] = rng.choice((0, rng.randrange(1, 10**7)))
        rewards = tuple(
            (f"seed-{serial}/{reward}/{i}", reward)
            for reward in issued_only
            for i in range(rng.choice((0, 0, 1, 2)))
        )
        found.append(
            CachedMember(
                card=make_card_number(serial),
                member_id=f"M{serial:06d}",
                name=f"Member {serial}",
                tier=rng.choice(tiers),
                status="blocked" if n == MEMBERS_PER_TILL - 1 else "active",
                flagged=False,
                updated_at="",
                accounts={k: v for k, v in accounts.items() if v},
                rewards=rewards,
            )
        )
    return found


@dataclass
class Shop:
    """One till with its programme, members and catalogue."""

    name: str
    programme: Programme
    till: Till
    clock: Clock
    cards: list[str]
    products: list[Product]
    sold: list[tuple[str, dict[int, int]]] = field(default_factory=list)
    """Receipt number and units left to refund per line, per recorded sale."""


# --------------------------------------------------------------------------- the cashier


@dataclass
class Tally:
    sales: int = 0
    refunds: int = 0
    full_refunds: int = 0
    partial_refunds: int = 0
    lines: int = 0
    with_rewards: int = 0
    with_points: int = 0
    refusals: Counter[str] = field(default_factory=Counter)
    sales_by_programme: Counter[str] = field(default_factory=Counter)

    def refused(self, step: str, error: LoyaltyError) -> None:
        message = re.sub(r"\d[\d.,]*\d|\d", "N", error.message)
        self.refusals[f"{step}: {type(error).__name__}: {message[:70]}"] += 1


def amount_text(rng: random.Random, minor: int) -> str:
    """An amount as a cashier types it."""
    whole, cents = divmod(minor, 100)
    return rng.choice((f"{whole}.{cents:02d}", f"{whole},{cents:02d}", f"{whole}.{cents // 10}"))


def fill_basket(rng: random.Random, shop: Shop, tally: Tally) -> None:
    till = shop.till
    count = rng.choice((1, 1, 1, 2, 2, 2, 3, 3, 4, 6)) if rng.random() < 0.99 else 15
    for _ in range(count):
        shop.clock.tick(rng)
        try:
            if rng.random() < 0.7:
                product = rng.choice(shop.products)
                qty = rng.choice((1, 1, 1, 2, 3)) if rng.random() < 0.95 else rng.choice((12, 100))
                till.add_product(product.sku, qty)
            else:
                minor = rng.choice((rng.randrange(1, 3_000), rng.randrange(1_000, 100_000)))
                tags = frozenset(rng.sample(TAGS, rng.choice((0, 1, 1, 2))))
                till.add_amount(amount_text(rng, minor), name=rng.choice(NAMES), tags=tags)
        except LoyaltyError as error:
            tally.refused("line", error)
    lines = till.draft.lines
    if lines and rng.random() < 0.15:
        coffee = [line.line for line in lines if "coffee" in line.tags] or [lines[0].line]
        till.toggle_flag(rng.choice(coffee), "own_cup")
    if lines and rng.random() < 0.05:
        till.set_quantity(rng.choice(lines).line, rng.randrange(1, 6))
    if len(lines) > 1 and rng.random() < 0.05:
        till.remove_line(rng.choice(lines).line)


def use_rewards(rng: random.Random, shop: Shop, tally: Tally) -> None:
    """Apply one or two of the rewards the till offers; mostly one for an item in
    the basket, as a cashier would suggest it, sometimes any."""
    usable = shop.till.usable_rewards()
    lines = shop.till.draft.lines
    fitting = [
        entry
        for entry in usable
        if any(
            reward.when.line_matches(line.sku, line.tags, line.flags)
            for reward in [shop.programme.reward(entry[0])]
            if reward is not None
            for line in lines
        )
    ]
    offered = fitting if fitting and rng.random() < 0.8 else usable
    for reward, instance, _ in rng.sample(offered, min(len(offered), rng.choice((1, 1, 2)))):
        shop.clock.tick(rng)
        try:
            shop.till.apply_reward(reward, instance)
        except LoyaltyError as error:
            tally.refused("reward", error)


def use_points(rng: random.Random, shop: Shop, tally: Tally) -> None:
    till = shop.till
    try:
        bounds = till.redeem_limits()
        if bounds.most:
            points = rng.choice(
                (bounds.most, bounds.minimum, rng.randint(bounds.minimum, bounds.most))
            )
        elif rng.random() < 0.3:  # the cashier tries anyway
            points = rng.choice((bounds.minimum, max(bounds.balance, 1)))
        else:
            return
        shop.clock.tick(rng)
        till.set_redeem(points)
    except LoyaltyError as error:
        tally.refused("points", error)


def sell(rng: random.Random, shop: Shop, tally: Tally) -> None:
    """One customer at the till; a sale is recorded unless something is refused."""
    till = shop.till
    shop.clock.now = business_time(rng, shop.programme.timezone)
    till.discard_sale()
    try:
        till.scan(rng.choice(shop.cards))
    except LoyaltyError as error:
        tally.refused("scan", error)
        return
    fill_basket(rng, shop, tally)
    if till.draft.is_empty:
        return
    steps = []
    if shop.programme.rewards and rng.random() < 0.5:
        steps.append(use_rewards)
    if shop.programme.redeem is not None and rng.random() < 0.35:
        steps.append(use_points)
    rng.shuffle(steps)
    for step in steps:
        step(rng, shop, tally)
    shop.clock.tick(rng)
    try:
        receipt = till.finish_sale()
    except LoyaltyError as error:
        tally.refused("finish", error)
        till.discard_sale()
        return
    event = till.store.journal.get(int(receipt.receipt_no.rpartition("-")[2]))
    assert event is not None
    lines = event.get("basket")["lines"]
    shop.sold.append((receipt.receipt_no, {int(x["line"]): int(x["qty"]) for x in lines}))
    tally.sales += 1
    tally.lines += len(lines)
    tally.with_rewards += bool(event.get("rewards_used"))
    tally.with_points += bool(event.get("basket").get("redeem_points"))
    tally.sales_by_programme[shop.name] += 1


def refund(rng: random.Random, shop: Shop, tally: Tally) -> None:
    """Return some or all of what is left of an earlier sale of this till."""
    open_sales = [(no, left) for no, left in shop.sold if any(left.values())]
    if not open_sales:
        return
    receipt_no, left = rng.choice(open_sales)
    shop.clock.now = business_time(rng, shop.programme.timezone)
    if rng.random() < 0.3:
        wanted: dict[int, int] | None = None  # everything that is left
        returning = {line: qty for line, qty in left.items() if qty}
    else:
        candidates = [line for line, qty in left.items() if qty]
        chosen = rng.sample(candidates, rng.randint(1, len(candidates)))
        wanted = returning = {line: rng.randint(1, left[line]) for line in chosen}
    try:
        shop.till.refund(receipt_no, wanted)
    except LoyaltyError as error:
        tally.refused("refund", error)
        return
    for line, qty in returning.items():
        left[line] -= qty
    tally.refunds += 1
    if any(left.values()):
        tally.partial_refunds += 1
    else:
        tally.full_refunds += 1


# --------------------------------------------------------------------------- the ledger's side


def ledger_programme(programme: Programme) -> Programme:
    """The programme as the ledger holds it: parsed again from its stored JSON
    document (``ledger.programmes.parsed``), with the same content hash."""
    stored = canonical_json(programme.document)
    parsed = parse_programme(json.loads(stored), f"programme {programme.content_hash[:12]}")
    assert parsed.content_hash == programme.content_hash
    return parsed


@dataclass
class Recomputed:
    events: int = 0
    sales: int = 0
    refunds: int = 0
    findings: list[str] = field(default_factory=list)
    hash_mismatches: list[str] = field(default_factory=list)
    applied: dict[str, set[str]] = field(default_factory=dict)
    """Per programme: the ids of the rules, prices, rewards and ``redeem`` that
    shaped at least one recorded sale, as the ledger evaluates them."""


def recompute(shop: Shop, result: Recomputed) -> None:
    """Every event of the till's journal, through the ledger's recomputation."""
    programme = ledger_programme(shop.programme)
    configured = shop.till.book.configured
    versions = [ProgrammeVersion(0, configured.effective_from, programme)]
    recomputer = Recomputer(versions, {programme.content_hash: programme})
    sales = SaleBook(None, [])  # type: ignore[arg-type]  # no tx needed without refunds to load
    applied = result.applied.setdefault(shop.name, set())
    for event in shop.till.store.journal.iterate():
        content = event.content
        result.events += 1
        sale = None
        if content["kind"] == "refund":
            result.refunds += 1
            problem = sales.problem(content, event.member_id)
            if problem is not None:  # the ledger would stop the stream here
                result.findings.append(f"{shop.name} #{event.seq} refund: malformed: {problem}")
                continue
            sale = sales.record_refund(content)
        for kind, detail in recomputer.findings(content, sale):
            result.findings.append(f"{shop.name} #{event.seq} {content['kind']}: {kind}: {detail}")
        if content["kind"] != "sale":
            continue
        result.sales += 1
        sales.add_sale(content, event.member_id)
        outcome = evaluate(
            programme,
            basket_from_json(
                content["basket"],
                at=parse_business_time(content["business_time"]),
                store=content["store"],
            ),
            snapshot_from_json(content.get("member_snapshot")),
            version=int(content["programme"]["version"]),
        )
        if outcome.outcome_hash != content["outcome_hash"]:
            result.hash_mismatches.append(f"{shop.name} #{event.seq}")
        for line in outcome.lines:
            applied.update(line.rules)
        applied.update(bonus.rule for bonus in outcome.bonuses)
        applied.update(reward.rule for reward in outcome.rewards_issued)


# --------------------------------------------------------------------------- the run


def open_shops(directory: Path, rng: random.Random) -> list[Shop]:
    programmes = {name: load_programme_file(EXAMPLES_DIR / f"{name}.toml") for name in EXAMPLES}
    programmes["synthetic"] = parse_programme(SYNTHETIC, "<synthetic programme>")
    products = catalogue(rng)
    shops = []
    for index, (name, programme) in enumerate(programmes.items(), 1):
        clock = Clock()
        store = "SYN" if name == "synthetic" else f"S{index:02d}"
        config = TillConfig(
            terminal_id=f"{store}-T1",
            data_dir=directory / name,
            store=store,
            programme=programme,
        )
        till = Till.open(config, clock=clock)
        # Every event is still committed to the file, only not fsynced one by one:
        # durability is test_crash_safety's subject, and here 10,300 fsyncs (2-6 ms
        # each on this disk) would cost as much as everything else in this test.
        with till.store.conn.writer():
            till.store.conn.execute("PRAGMA synchronous = NORMAL")
        roster = members(rng, programme, index)
        till.store.members.upsert_many(roster)
        stock(till, products)
        shops.append(Shop(name, programme, till, clock, [m.card for m in roster], products))
    return shops


def record_sales(shops: list[Shop], rng: random.Random, sales: int) -> Tally:
    """The cashiers' day: ``sales`` recorded sales, and refunds between them.

    Event ids (uuid4 in the till) are drawn from ``rng`` too: the ids of issued
    rewards derive from them and decide the order rewards are offered in, so the
    same seed gives the same run."""
    tally = Tally()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=rng.getrandbits(128), version=4))
        while tally.sales < sales:
            shop = rng.choice(shops)
            sell(rng, shop, tally)
            if rng.random() < REFUND_RATE:
                refund(rng, shop, tally)
    return tally


def report(tally: Tally, seconds: Mapping[str, float]) -> None:
    """What the run did, for ``pytest -s``."""
    print(
        f"\n{tally.sales} sales ({dict(sorted(tally.sales_by_programme.items()))}), "
        f"{tally.lines} lines, {tally.with_rewards} using rewards, {tally.with_points} "
        f"using points; {tally.refunds} refunds ({tally.partial_refunds} leaving some, "
        f"{tally.full_refunds} the last of a sale); {sum(tally.refusals.values())} "
        "refusals; seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in seconds.items())
    )
    for reason, count in tally.refusals.most_common():
        print(f"  {count:5d}  {reason}")


def unexercised(programme: Programme, applied: set[str]) -> list[str]:
    """The rules, member prices and rewards (and points as a discount) of
    ``programme`` that shaped no recorded sale."""
    wanted = {r.id for r in programme.rules} | {p.id for p in programme.prices}
    wanted |= {r.id for r in programme.rewards}
    if programme.redeem is not None:
        wanted.add("redeem")
    return sorted(wanted - applied)


@pytest.mark.slow
def test_till_and_ledger_outcome_hashes_agree_on_10000_random_baskets(tmp_path: Path) -> None:
    # One test, not several sharing a fixture: under pytest-xdist each worker
    # would run the 10,000 sales again.
    rng = random.Random(SEED)
    shops = open_shops(tmp_path, rng)
    try:
        started = time.perf_counter()
        tally = record_sales(shops, rng, SALES)
        recorded = time.perf_counter()
        result = Recomputed()
        for shop in shops:
            recompute(shop, result)
        report(tally, {"till": recorded - started, "ledger": time.perf_counter() - recorded})
    finally:
        for shop in shops:
            shop.till.close()

    assert tally.sales == result.sales == SALES
    assert result.refunds == tally.refunds
    assert result.events == tally.sales + tally.refunds
    assert result.hash_mismatches == []
    assert result.findings == []

    # The run is varied enough to mean something: refunds in parts and in full,
    # rewards and points used, and every rule, price and reward of every programme
    # shaped at least one sale (weekend, time-of-day and date conditions included).
    assert tally.refunds >= 200
    assert tally.partial_refunds >= 50
    assert tally.full_refunds >= 50
    assert tally.with_rewards >= 300
    assert tally.with_points >= 1000
    missing = {
        shop.name: left
        for shop in shops
        if (left := unexercised(shop.programme, result.applied[shop.name]))
    }
    assert missing == {}


# --------------------------------------------------------------- a wall time the clocks skip


def test_a_wall_time_the_clocks_skip_is_evaluated_as_the_instant_it_records(
    tmp_path: Path,
) -> None:
    """A till clock in the programme's zone that computes 01:59 + 1 minute on the
    night clocks go forward shows 02:00 Oslo time, which does not exist. The till
    evaluates the basket at that wall time (the 02:00-03:00 window holds: double
    points) but records ``2026-03-29T02:00:00+01:00``, the instant 01:00 UTC, which
    is 03:00 in Oslo. The engine reads every business time through UTC, so both
    sides evaluate that instant (single points) and agree."""
    oslo = programme_zone("Europe/Oslo")
    programme = parse_programme(
        {
            "programme": {**SYNTHETIC["programme"], "id": "night"},
            "rules": [
                {"id": "base", "kind": "earn_rate", "rate": "1"},
                {
                    "id": "night",
                    "kind": "multiplier",
                    "increment": "1",
                    "when": {"time": {"from": "02:00", "until": "03:00"}},
                },
            ],
        }
    )
    now = datetime(2026, 3, 29, 1, 59, tzinfo=oslo) + timedelta(minutes=1)
    config = TillConfig(terminal_id="DST-T1", data_dir=tmp_path, programme=programme)
    till = Till.open(config, clock=lambda: now)
    try:
        member = members(random.Random(SEED), programme, 1)[0]
        till.store.members.upsert_many([member])
        till.scan(member.card)
        till.add_amount("100.00")
        till.finish_sale()
        event = till.store.journal.get(1)
        configured = till.book.configured
    finally:
        till.close()
    assert event is not None
    assert event.get("business_time") == "2026-03-29T02:00:00+01:00"
    recomputer = Recomputer(
        [ProgrammeVersion(0, configured.effective_from, programme)],
        {programme.content_hash: programme},
    )
    assert recomputer.findings(event.content, None) == []
