"""Evaluating a 50-line basket under a 20-rule programme, beside what it cannot avoid.

The programme, basket and member are :mod:`bench.grocer`'s: 15 ``[[rules]]`` (earn
rates by tier, percentages by tag, two stack groups of multipliers whose weekday
and time conditions hold, fixed bonuses, a stamp card) and 5 ``[[prices]]``; a
50-line basket with an issued free coffee, a claimed 50 kr off, 200 points as a
discount and a gift-card tender; a gold member with 7 stamps. Each run is one
``loyalty.programme.evaluate`` call, as the till makes for every change to the
basket and at the finish.

Beside it, in the same run and interleaved with it (rounds of 100 of each):

* *canonical JSON + SHA-256 of the outcome*: the hash every evaluation ends with,
  over the outcome's content built beforehand;
* *50 lines x 20 rules, one Fraction multiply each*: a bare loop doing the least
  exact arithmetic a per-line, per-rule engine does;
* *ledger recompute*: ``ledger.recompute.Recomputer.findings`` on the sale event a
  till records for this basket (its fields from ``pos_client.recording.sale_fields``),
  which the ledger runs for every sale it is pushed: reading the basket and member
  back from JSON, evaluating, comparing postings, rewards and the outcome hash.

Target (DESIGN.md): p95 under 2 ms.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from bench import grocer
from ledger.recompute import Recomputer
from loyalty.canonical import sha256_hex
from loyalty.cards import make_card_number
from loyalty.events import GENESIS_HASH, EventKind, build_event
from loyalty.programme import basket_from_json, evaluate, snapshot_from_json
from loyalty.programme.basket import parse_business_time
from loyalty.programme.model import EarnPercent, EarnRate, FixedBonus, Multiplier
from pos_client.recording import sale_fields

RUNS = 2000
ROUND = 100
WARM_UP = 200
TARGET_S = 0.002


def describe(name: str, timings: list[float]) -> str:
    ordered = sorted(timings)
    p50 = ordered[len(ordered) // 2]
    return (
        f"{name:44s} p50 {p50 * 1e3:7.3f} ms   p95 {p95(timings) * 1e3:7.3f} ms   "
        f"max {ordered[-1] * 1e3:7.3f} ms"
    )


def p95(timings: list[float]) -> float:
    return sorted(timings)[int(len(timings) * 0.95)]


def median(timings: list[float]) -> float:
    return sorted(timings)[len(timings) // 2]


def rule_factors(programme: Any) -> list[Fraction]:
    """One exact factor per rule and price: its rate, percentage, increment or 1."""
    factors = []
    for rule in programme.rules:
        if isinstance(rule, EarnRate):
            factors.append(rule.rate)
        elif isinstance(rule, EarnPercent):
            factors.append(rule.percent / 100)
        elif isinstance(rule, Multiplier):
            factors.append(1 + rule.increment)
        elif isinstance(rule, FixedBonus):
            factors.append(Fraction(rule.amount))
        else:
            factors.append(Fraction(1))
    for price in programme.prices:
        factors.append(1 - Fraction(price.percent_off or 0) / 100)
    return factors


def sale_content(version: Any, basket: Any, member: Any) -> dict[str, Any]:
    """The sale event a till records for this basket, as the ledger reads it (JSON)."""
    outcome = evaluate(version.programme, basket, member, version=version.version)
    event_id = str(uuid.uuid4())
    card = make_card_number(1)
    event = build_event(
        terminal_id="BENCH-T1",
        seq=1,
        prev_hash=GENESIS_HASH,
        kind=EventKind.SALE,
        event_id=event_id,
        card=card,
        member_id="M1",
        business_time=basket.at.isoformat(timespec="seconds"),
        store=basket.store,
        currency=version.programme.currency,
        **sale_fields(event_id, version, basket, member, outcome),
    )
    content: dict[str, Any] = json.loads(event.document())
    return content


def timed(work: Callable[[], object], runs: int) -> list[float]:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    return timings


def main() -> None:
    document = grocer.programme_document()
    version = grocer.version()
    programme = version.programme
    basket = grocer.basket(50)
    member = grocer.member()
    assert grocer.rule_count(document) == 20 and len(basket.lines) == 50

    outcome = evaluate(programme, basket, member, version=version.version)
    applied = {rule for line in outcome.lines for rule in line.rules}
    applied |= {bonus.rule for bonus in outcome.bonuses}
    ids = [r.id for r in programme.rules] + [p.id for p in programme.prices]
    content = outcome.content()
    assert sha256_hex(content) == outcome.outcome_hash

    amounts = [Fraction(line.list_minor) for line in basket.lines]
    factors = rule_factors(programme)
    assert len(factors) == 20

    def bare_fractions() -> None:
        for amount in amounts:
            for factor in factors:
                amount * factor

    sale = sale_content(version, basket, member)
    recomputer = Recomputer([version], {version.content_hash: programme})
    assert recomputer.findings(sale, None) == [], recomputer.findings(sale, None)
    at = parse_business_time(sale["business_time"])

    def read_inputs() -> None:
        basket_from_json(sale["basket"], at=at, store=sale["store"])
        snapshot_from_json(sale["member_snapshot"])

    work: dict[str, Callable[[], object]] = {
        "evaluate": lambda: evaluate(programme, basket, member, version=version.version),
        "hash": lambda: sha256_hex(content),
        "fractions": bare_fractions,
        "recompute": lambda: recomputer.findings(sale, None),
        "read": read_inputs,
    }
    for item in work.values():
        timed(item, WARM_UP)
    timings: dict[str, list[float]] = {name: [] for name in work}
    evaluate_cpu = 0.0  # CPU time of this thread, to tell load on the machine apart
    for _ in range(RUNS // ROUND):
        for name, item in work.items():
            cpu_started = time.thread_time()
            timings[name] += timed(item, ROUND)
            if name == "evaluate":
                evaluate_cpu += time.thread_time() - cpu_started

    print(
        f"== evaluating a {len(basket.lines)}-line basket under a "
        f"{grocer.rule_count(document)}-rule programme ({RUNS} runs) =="
    )
    print(
        f"({len(applied & set(ids))} of {len(ids)} rules and prices apply to this basket and "
        f"member; outcome {len(json.dumps(content))} bytes of JSON)"
    )
    print(describe("canonical JSON + SHA-256 of the outcome", timings["hash"]))
    print(describe("50 lines x 20 rules, one Fraction multiply", timings["fractions"]))
    print(describe("loyalty.programme.evaluate", timings["evaluate"]))
    print(f"{'  (CPU time per evaluation, mean)':44s}     {evaluate_cpu / RUNS * 1e3:7.3f} ms")
    print(describe("ledger: Recomputer.findings of the sale", timings["recompute"]))
    print(describe("  of which reading basket + member JSON", timings["read"]))
    verdict = "met" if p95(timings["evaluate"]) < TARGET_S else "NOT met"
    print(
        f"p95 {p95(timings['evaluate']) * 1e3:.2f} ms   target: p95 under 2 ms ({verdict});  "
        f"median {median(timings['evaluate']) / median(timings['fractions']):.1f}x the bare "
        "Fraction loop"
    )


if __name__ == "__main__":
    main()
