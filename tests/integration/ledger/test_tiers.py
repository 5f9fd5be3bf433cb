"""Tier qualification at the ledger, on SQLite and PostgreSQL, under the Sephora example
(calendar-year qualifying spend: VIB from 350 USD, Rouge from 1,000 USD, held for the
rest of the year and the next): a member moves up as their spend counts, a refund
lowers the count of its sale's year, a grant is kept (or clawed back when the
programme says so), and ``settle`` lowers a tier whose grant ran out."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ledger import admin
from ledger.settle import settle
from ledger.verify import verify
from loyalty.programme import parse_programme
from pos_client.config import LedgerConfig, TillConfig
from pos_client.till import Till, local_now
from pos_client.ui import formatting
from tests.conftest import member as cached_member
from tests.integration.ledger.ledger_rig import Rig
from tests.integration.ledger.ledger_rig import open_rig as open_ledger_rig
from tests.integration.ledger.support import (
    REPO_ROOT,
    LedgerHandle,
    fresh_card,
    fresh_terminal_name,
    run_admin,
)

SEPHORA = REPO_ROOT / "examples" / "programmes" / "sephora.toml"


def sephora(**qualify: Any) -> dict[str, Any]:
    document = tomllib.loads(SEPHORA.read_text(encoding="utf-8"))
    document["tiers"]["qualify"].update(qualify)
    return document


def open_rig(url: str, document: dict[str, Any]) -> Rig:
    return open_ledger_rig(url, document, "2026-01-01T00:00", "TIER")


@pytest.fixture
def rig(fresh_db_url: str) -> Iterator[Rig]:
    opened = open_rig(fresh_db_url, sephora())
    try:
        yield opened
    finally:
        opened.db.close()


def test_spend_in_a_year_moves_the_member_up_from_their_next_receipt(rig: Rig):
    card = fresh_card()
    rig.at("2026-03-02T12:00:00-05:00")
    rig.push(rig.sale(card, 34000))
    state = rig.member(card)
    assert state.tier == "insider"
    assert state.progress is not None and state.progress.model_dump() == {
        "window": "2026",
        "count": 34000,
    }
    rig.at("2026-03-09T12:00:00-05:00")
    crossing = rig.sale(card, 1990)
    assert crossing.get("postings")["points"] == 19  # earned at the tier at basket start
    rig.push(crossing)
    state = rig.member(card)
    assert state.tier == "vib"
    assert state.progress is not None and state.progress.count == 35990
    assert verify(rig.db).ok


def test_a_refund_lowers_its_sales_year_and_a_granted_tier_is_kept(rig: Rig):
    card = fresh_card()
    rig.at("2026-12-30T12:00:00-05:00")
    big = rig.sale(card, 40000)
    rig.push(big)
    assert rig.member(card).tier == "vib"
    rig.at("2027-01-04T12:00:00-05:00")
    rig.push(rig.sale(card, 1000))
    rig.push(rig.refund(big))
    with rig.db.snapshot() as tx:
        counts = dict(tx.query("SELECT period, counted FROM tier_counts"))
    assert counts == {"2026": 0, "2027": 1000}
    assert rig.member(card).tier == "vib"  # no clawback: held for 2026 and 2027
    assert verify(rig.db).ok


def test_with_clawback_a_refund_below_the_threshold_takes_the_tier_back(fresh_db_url: str):
    rig = open_rig(fresh_db_url, sephora(clawback=True))
    try:
        card = fresh_card()
        rig.at("2026-05-01T12:00:00-04:00")
        small, big = rig.sale(card, 10000), rig.sale(card, 30000)
        rig.push(small, big)
        assert rig.member(card).tier == "vib"
        rig.push(rig.refund(big))
        assert rig.member(card).tier == "insider"
        assert verify(rig.db).ok
    finally:
        rig.db.close()


def test_settle_lowers_a_tier_when_its_grant_runs_out_and_never_below_the_imported(
    rig: Rig, tmp_path: Path
):
    card, given = fresh_card(), fresh_card()
    members = tmp_path / "members.csv"
    members.write_text(f"card,name,tier\n{given},Ada,vib\n", encoding="utf-8")
    admin.import_members(rig.db, members)
    rig.at("2026-06-01T12:00:00-04:00")
    rig.push(rig.sale(card, 100000), rig.sale(given, 100000))
    assert (rig.member(card).tier, rig.member(given).tier) == ("rouge", "rouge")
    assert settle(rig.db, date(2027, 12, 31)).tiers_lowered == 0
    assert settle(rig.db, date(2028, 1, 1)).tiers_lowered == 2
    assert (rig.member(card).tier, rig.member(given).tier) == ("insider", "vib")
    again = settle(rig.db, date(2028, 1, 1))
    assert again.tiers_lowered == 0
    assert verify(rig.db).ok
    with rig.db.write() as tx:
        tx.execute("UPDATE tier_counts SET counted = counted + 1 WHERE period = '2026'")
    assert any(line.startswith("tier_counts:") for line in verify(rig.db).differences)


def test_a_threshold_document_is_checked_key_by_key():
    def refusal(**qualify: Any) -> str:
        with pytest.raises(Exception) as caught:
            parse_programme(sephora(**qualify), "sephora.toml")
        return str(caught.value)

    assert "tiers.qualify.thresholds.rouge: must be more than vib's 35000" in refusal(
        thresholds={"vib": 35000, "rouge": 30000}
    )
    assert "tiers.qualify.window: must be one of" in refusal(window="weekly")
    assert "tiers.qualify.metric: must be one of" in refusal(metric="nights")
    assert 'tiers.qualify.tag: is missing: metric = "units"' in refusal(metric="units")
    assert 'tiers.qualify.tag: only goes with metric = "units"' in refusal(tag="night")
    assert "tiers.qualify.tag: 'a night' is not a valid name" in refusal(
        metric="units", tag="a night"
    )
    assert "tiers.qualify.downgrade: must be one of" in refusal(downgrade="two_levels")
    assert "tiers.qualify.retention: must be one of" in refusal(retention="forever")
    assert "tiers.qualify.bogus:" in refusal(bogus=1)
    for window in ("calendar_year", "rolling_12_months", "membership_year"):
        parse_programme(sephora(window=window, downgrade="one_level"), "sephora.toml")
    nights = parse_programme(sephora(metric="units", tag="night"), "sephora.toml")
    assert nights.tier_qualification is not None and nights.tier_qualification.tag == "night"
    named_visits = sephora(metric="visits")
    named_visits["wallets"][0]["id"] = "visits"
    with pytest.raises(Exception, match=r"tiers.qualify.metric: 'visits' is both a metric"):
        parse_programme(named_visits, "sephora.toml")
    document = sephora()
    document["programme"]["engine"] = 1
    with pytest.raises(Exception, match=r"tiers.qualify: needs engine = 2"):
        parse_programme(document, "sephora.toml")


def test_the_till_shows_the_way_to_the_next_tier_and_sells_at_the_new_one_after_a_sync(
    ledger: LedgerHandle, tmp_path: Path
):
    """Sephora against a ledger process: 340.00 USD → "10.00 USD to vib"; a 19.90 sale
    not yet synced → "vib from the next sync"; after the sync the member is VIB with
    "640.10 USD to rouge", and the next basket earns at VIB's 1.25 points per USD."""
    published = run_admin(
        ledger.db_url, "rules", "publish", str(SEPHORA), "--effective-from", "now"
    )
    assert published.returncode == 0, published.stderr
    terminal = fresh_terminal_name("TIERS")
    config = TillConfig(
        terminal_id=terminal,
        data_dir=tmp_path / "till",
        ledger=LedgerConfig(
            url=ledger.url, token=ledger.add_terminal(terminal), sync_interval=3600.0, timeout=10.0
        ),
    )
    card = fresh_card()
    till = Till.open(config)
    try:
        till.store.members.upsert_many([replace(cached_member(1, 0), card=card)])
        till.link.sync_now()
        till.scan(card)
        till.add_amount("340")
        till.finish_sale()
        till.link.sync_now()
        today = local_now().astimezone(ZoneInfo("America/New_York")).date()
        member = till.refresh_member()
        assert member is not None and member.tier == "insider"
        assert formatting.tier_progress(member, today) == "10.00 USD to vib"
        till.add_amount("19.90")
        till.finish_sale()
        member = till.member
        assert member is not None
        assert formatting.tier_progress(member, today) == "vib from the next sync"
        till.link.sync_now()
        member = till.refresh_member()
        assert member is not None and member.tier == "vib"
        assert formatting.tier_progress(member, today) == "640.10 USD to rouge"
        assert till.add_amount("100").wallets == {"points": 125}
    finally:
        till.close()


def test_importing_members_again_keeps_a_tier_they_qualified_for(rig: Rig, tmp_path: Path):
    card = fresh_card()
    members = tmp_path / "members.csv"
    members.write_text(f"card,name,tier\n{card},Ada,insider\n", encoding="utf-8")
    admin.import_members(rig.db, members)
    rig.at("2026-06-01T12:00:00-04:00")
    rig.push(rig.sale(card, 40000))
    assert rig.member(card).tier == "vib"
    again = admin.import_members(rig.db, members)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    members.write_text(f"card,name,tier\n{card},Ada Lovelace,insider\n", encoding="utf-8")
    admin.import_members(rig.db, members)
    assert (rig.member(card).name, rig.member(card).tier) == ("Ada Lovelace", "vib")
    members.write_text(f"card,name,birth_date\n{card},Ada Lovelace,1990-05-17\n", "utf-8")
    admin.import_members(rig.db, members)  # no tier column: the tier held is kept
    assert rig.member(card).tier == "vib"
    assert verify(rig.db).ok


def test_an_import_that_lowers_the_given_tier_counts_the_tier_again(rig: Rig, tmp_path: Path):
    card, quiet = fresh_card(), fresh_card()  # quiet: no receipts yet
    rig.import_members(tmp_path, "card,name,tier", f"{card},Ada,rouge")
    rig.at("2026-06-01T12:00:00-04:00")
    rig.push(rig.sale(card, 40000))
    assert rig.member(card).tier == "rouge"  # as imported; the spend earns VIB
    rig.import_members(tmp_path, "card,name,tier", f"{card},Ada,insider", f"{quiet},Bo,vib")
    assert rig.member(card).tier == "vib"  # what the spend earned, not the old import's
    rig.import_members(tmp_path, "card,name,tier", f"{quiet},Bo,rouge")
    assert rig.member(quiet).tier == "rouge"  # nothing counted: the tier the import gives
    assert verify(rig.db).ok


def test_a_late_receipt_after_a_settle_does_not_bring_back_a_tier_that_ran_out(rig: Rig):
    card = fresh_card()
    rig.at("2026-01-05T12:00:00-05:00")
    rig.push(rig.sale(card, 40000))  # VIB for 2026 and 2027
    assert rig.member(card).tier == "vib"
    settle(rig.db, date(2028, 1, 2))
    assert rig.member(card).tier == "insider"
    rig.chain.at = datetime.fromisoformat("2027-12-30T12:00:00-05:00")
    rig.push(rig.sale(card, 1000))  # an offline till's receipt of 30 December 2027
    assert rig.member(card).tier == "insider"


def test_a_wallet_metric_counts_what_was_earned_not_spent_or_expired(fresh_db_url: str):
    """Status points in the points wallet itself: redeeming and expiry do not lower
    the year's count, and verify replays it the same way."""
    document = sephora(metric="points", thresholds={"vib": 300, "rouge": 1000})
    document["wallets"][0]["expiry"] = {"months": 6}
    document["redeem"] = {"points": 100, "value_minor": 500, "min_points": 100}
    rig = open_rig(fresh_db_url, document)
    try:
        card = fresh_card()
        rig.at("2026-01-15T12:00:00-05:00")
        rig.push(rig.sale(card, 25000))
        rig.at("2026-02-15T12:00:00-05:00")
        rig.push(rig.sale(card, 10000, redeem_points=100))  # earns 95, spends 100
        settle(rig.db, date(2026, 8, 1))
        with rig.db.snapshot() as tx:
            counts = dict(tx.query("SELECT period, counted FROM tier_counts"))
        assert counts == {"2026": 345}
        assert rig.member(card).tier == "vib"
        report = verify(rig.db)
        assert report.ok, report.differences
    finally:
        rig.db.close()
