"""The till's way to the next tier, worded per metric, from the ledger's count of
today's window plus this till's unsynced events in it."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Any

from loyalty.programme import parse_programme
from loyalty.tier_metrics import RefundedSale
from pos_client.store.members import Pending
from pos_client.ui.formatting import tier_progress
from pos_client.views import MemberView, ProgrammeInfo

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "programmes"
TODAY = date(2026, 6, 10)


def info(name: str, **qualify: Any) -> ProgrammeInfo:
    document = tomllib.loads((EXAMPLES / f"{name}.toml").read_text(encoding="utf-8"))
    document["tiers"]["qualify"].update(qualify)
    return ProgrammeInfo.of(parse_programme(document, f"{name}.toml"))


def sale(
    spend: int, at: str = "2026-06-09T12:00:00+02:00", lines: tuple[Any, ...] = (), **postings: int
) -> Pending:
    content = {
        "kind": "sale",
        "event_id": f"sale-{spend}-{at}",
        "business_time": at,
        "basket": {"lines": [{"line": n, "qty": q, "tags": t} for n, q, t in lines]},
    }
    moved = {"qualifying_spend": spend, **postings}
    return Pending(moved, {}, content)


def member(
    programme: ProgrammeInfo,
    tier: str,
    progress: tuple[str, int] | None,
    *unsynced: Pending,
) -> MemberView:
    return MemberView(
        card="7000000000005",
        member_id="M1",
        name="Ada",
        tier=tier,
        confirmed={},
        unconfirmed={},
        programme=programme,
        progress=progress,
        unsynced=unsynced,
    )


def test_qualifying_spend_is_money_and_counts_unsynced_sales_of_this_year():
    sephora = info("sephora")
    assert tier_progress(member(sephora, "insider", ("2026", 30000)), TODAY) == "50.00 USD to vib"
    last_year = sale(2000, "2025-12-31T12:00:00-05:00")
    ahead = member(sephora, "insider", ("2026", 30000), sale(1000), last_year)
    assert tier_progress(ahead, TODAY) == "40.00 USD to vib"
    assert tier_progress(member(sephora, "insider", ("2025", 30000)), TODAY) == "350.00 USD to vib"
    done = member(sephora, "insider", ("2026", 30000), sale(5000))
    assert tier_progress(done, TODAY) == "vib from the next sync"
    assert tier_progress(member(sephora, "rouge", ("2026", 300000)), TODAY) == ""


def test_visits_are_worded_as_visits_and_each_unsynced_sale_with_spend_is_one():
    visits = info("sephora", metric="visits", thresholds={"vib": 5, "rouge": 12})
    shown = member(visits, "insider", ("2026", 1), sale(1990), sale(0))
    assert tier_progress(shown, TODAY) == "3 visits to vib"
    assert (
        tier_progress(member(visits, "insider", ("2026", 3), sale(1990)), TODAY) == "1 visit to vib"
    )


def test_nights_count_the_tagged_units_of_unsynced_sales():
    nights = info("sephora", metric="units", tag="night", thresholds={"vib": 25, "rouge": 50})
    stay = sale(60000, lines=((1, 3, ["night"]), (2, 2, ["breakfast"])))
    assert tier_progress(member(nights, "vib", ("2026", 42), stay), TODAY) == "5 nights to rouge"


def test_a_refund_of_this_tills_sale_takes_its_units_back():
    nights = info("sephora", metric="units", tag="night", thresholds={"vib": 25, "rouge": 50})
    stay = sale(60000, lines=((1, 3, ["night"]),))
    back = Pending(
        {"qualifying_spend": -20000},
        {},
        {
            "kind": "refund",
            "business_time": "2026-06-10T09:00:00-04:00",
            "returned": [{"line": 1, "qty": 1}],
        },
        RefundedSale(stay.content, 60000),
    )
    assert tier_progress(member(nights, "vib", ("2026", 42), stay, back), TODAY) == (
        "6 nights to rouge"
    )


def test_status_points_are_worded_as_the_wallet_and_spending_does_not_lower_them():
    eurobonus = info("eurobonus")
    window = "2026-04-15/2027-04-14"
    spent = sale(10000, level=-50)  # earned 100 level points, spent 150 of them
    spent.content["spent"] = {"level": 150}
    shown = member(eurobonus, "basic", (window, 18700), spent)
    assert tier_progress(shown, TODAY) == "1 200 level points to silver"
    # A membership year that has ended: the next one starts the day after it.
    old = member(eurobonus, "basic", ("2025-04-15/2026-04-14", 18000), spent)
    assert tier_progress(old, TODAY) == "19 900 level points to silver"


def test_a_rolling_count_is_shown_only_in_the_month_it_was_taken():
    starbucks = info("starbucks")
    stars = sale(1000, "2026-06-09T08:00:00-07:00", stars=10)
    assert tier_progress(member(starbucks, "green", ("2026-06", 400), stars), TODAY) == (
        "90 stars to gold"
    )
    assert tier_progress(member(starbucks, "green", ("2026-05", 400), stars), TODAY) == ""
    assert tier_progress(member(starbucks, "green", None, stars), TODAY) == "490 stars to gold"
