"""Tier windows and downgrades at the ledger, on SQLite and PostgreSQL, under the
examples: Starbucks Gold by stars earned in a rolling 12 months, EuroBonus by level
points per membership year with a fall of one level at a time. Business times and
settle dates are set by the tests, never the clock; ``pos-ledger verify`` agrees
after each step."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ledger import admin
from ledger.settle import settle
from ledger.verify import verify
from loyalty.programme import MemberSnapshot
from tests.integration.ledger.ledger_rig import Rig, open_rig
from tests.integration.ledger.support import REPO_ROOT, fresh_card

EXAMPLES = REPO_ROOT / "examples" / "programmes"


def example(name: str, **qualify: Any) -> dict[str, Any]:
    document = tomllib.loads((EXAMPLES / f"{name}.toml").read_text(encoding="utf-8"))
    document["tiers"]["qualify"].update(qualify)
    return document


def verified(rig: Rig) -> None:
    report = verify(rig.db)
    assert report.ok, report.differences


def progress(rig: Rig, card: str) -> dict[str, Any]:
    state = rig.member(card).progress
    assert state is not None
    return state.model_dump()


def test_starbucks_gold_comes_from_stars_earned_in_the_last_12_months(fresh_db_url: str):
    rig = open_rig(fresh_db_url, example("starbucks"), "2026-01-01T00:00", "STARS")
    try:
        card = fresh_card()
        rig.at("2026-01-10T09:00:00-08:00")
        rig.push(rig.sale(card, 30000))  # 300 stars in January 2026
        rig.at("2027-02-10T09:00:00-08:00")
        rig.push(rig.sale(card, 20000))  # 200 more; January 2026 is out of February's window
        assert rig.member(card).tier == "green"
        assert progress(rig, card) == {"window": "2027-02", "count": 200}
        verified(rig)
        rig.at("2027-03-05T09:00:00-08:00")
        rig.push(rig.sale(card, 30000))
        assert rig.member(card).tier == "gold"
        assert progress(rig, card) == {"window": "2027-03", "count": 500}
        gold = rig.sale(card, 10000, who=MemberSnapshot(tier="gold"))
        assert gold.get("postings")["stars"] == 120  # the next receipt earns at Gold's 1.2
        rig.push(gold)
        verified(rig)
        assert settle(rig.db, date(2028, 3, 31)).tiers_lowered == 0
        assert rig.member(card).tier == "gold"  # held to the end of March 2028
        assert settle(rig.db, date(2028, 4, 1)).tiers_lowered == 1
        assert rig.member(card).tier == "green"
        verified(rig)
    finally:
        rig.db.close()


def import_member(rig: Rig, tmp_path: Path, joined: str) -> str:
    card = fresh_card()
    members = tmp_path / f"{card}.csv"
    members.write_text(f"card,name,joined\n{card},Ada,{joined}\n", encoding="utf-8")
    admin.import_members(rig.db, members)
    return card


@pytest.mark.parametrize(
    ("downgrade", "after"),
    [("one_level", "silver"), ("to_held", "basic")],
    ids=["one level", "to held"],
)
def test_eurobonus_qualifies_per_membership_year_and_falls_one_level_after_settle(
    fresh_db_url: str, tmp_path: Path, downgrade: str, after: str
):
    rig = open_rig(fresh_db_url, example("eurobonus", downgrade=downgrade), "2026-01-01T00:00")
    try:
        card = import_member(rig, tmp_path, "2024-04-15")
        rig.at("2026-04-14T18:00:00+02:00")
        rig.push(rig.sale(card, 1_000_000))  # 10,000 level points, membership year 2025/26
        rig.at("2026-05-01T12:00:00+02:00")
        rig.push(rig.sale(card, 4_500_000))  # 45,000 in 2026-04-15/2027-04-14: Gold
        assert rig.member(card).tier == "gold"
        assert progress(rig, card) == {"window": "2026-04-15/2027-04-14", "count": 45000}
        verified(rig)
        assert settle(rig.db, date(2028, 4, 14)).tiers_lowered == 0  # held this year and next
        assert settle(rig.db, date(2028, 4, 15)).tiers_lowered == 1
        assert rig.member(card).tier == after
        verified(rig)
        rig.at("2028-06-01T12:00:00+02:00")
        rig.push(rig.sale(card, 100_000))  # a receipt during the fall keeps it
        assert rig.member(card).tier == after
        assert progress(rig, card) == {"window": "2028-04-15/2029-04-14", "count": 1000}
        settle(rig.db, date(2029, 4, 15))
        assert rig.member(card).tier == "basic"
        verified(rig)
    finally:
        rig.db.close()


def test_a_fall_of_one_level_applies_at_push_time_before_any_settle(fresh_db_url: str):
    """The tier on a receipt's day is the rules' whether or not settle has run."""
    rig = open_rig(fresh_db_url, example("eurobonus"), "2026-01-01T00:00")
    try:
        card = fresh_card()  # not imported: no join date, so calendar years
        rig.at("2026-03-01T12:00:00+01:00")
        rig.push(rig.sale(card, 9_000_000))  # 90,000: Diamond for 2026 and 2027
        assert rig.member(card).tier == "diamond"
        assert progress(rig, card) == {"window": "2026", "count": 90000}
        rig.at("2028-03-01T12:00:00+01:00")
        rig.push(rig.sale(card, 100))
        assert rig.member(card).tier == "gold"
        rig.at("2029-03-01T12:00:00+01:00")
        rig.push(rig.sale(card, 100))
        assert rig.member(card).tier == "silver"
        verified(rig)
    finally:
        rig.db.close()


def test_a_new_join_date_counts_the_membership_years_again(fresh_db_url: str, tmp_path: Path):
    rig = open_rig(fresh_db_url, example("eurobonus"), "2026-01-01T00:00")
    try:
        card = import_member(rig, tmp_path, "2024-04-15")
        rig.at("2026-04-14T18:00:00+02:00")
        rig.push(rig.sale(card, 1_000_000))  # 10,000 in 2025/26
        rig.at("2026-05-01T12:00:00+02:00")
        rig.push(rig.sale(card, 1_500_000))  # 15,000 in 2026/27: neither reaches silver
        assert rig.member(card).tier == "basic"
        members = tmp_path / "again.csv"
        members.write_text(f"card,name,joined\n{card},Ada,2024-01-15\n", encoding="utf-8")
        admin.import_members(rig.db, members)  # head office corrects the join date
        assert rig.member(card).tier == "silver"  # both receipts are in 2026/27 now
        assert progress(rig, card) == {"window": "2026-01-15/2027-01-14", "count": 25000}
        verified(rig)
    finally:
        rig.db.close()
