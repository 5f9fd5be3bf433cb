"""Period settlements at the ledger, on SQLite and PostgreSQL, with PROGRAMME.md's
numbers: the Coop member dividend (3 % in the own society's stores, 1 % elsewhere,
paid after the year) and ICA's monthly bonus steps, counted per receipt or per month.
Each period is paid once, a refund counts in its sale's period, and verify
recomputes every payment."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from ledger import period_settling, programmes
from ledger.cli import open_ledger
from ledger.errors import AdminError
from ledger.settle import settle
from ledger.terminals import add_terminal
from ledger.verify import verify
from loyalty.programme import parse_programme
from tests.integration.ledger.ledger_rig import Rig
from tests.integration.ledger.ledger_rig import open_rig as open_ledger_rig
from tests.integration.ledger.support import (
    REPO_ROOT,
    EventChain,
    fresh_card,
    fresh_terminal_name,
    run_admin,
)

EXAMPLES = REPO_ROOT / "examples" / "programmes"


def example(name: str, **settlement: Any) -> dict[str, Any]:
    document = tomllib.loads((EXAMPLES / f"{name}.toml").read_text(encoding="utf-8"))
    document["settlements"][0].update(settlement)
    return document


def open_rig(url: str, document: dict[str, Any]) -> Rig:
    return open_ledger_rig(url, document, "2025-01-01T00:00", "SET")


@pytest.fixture
def coop(fresh_db_url: str) -> Iterator[Rig]:
    rig = open_rig(fresh_db_url, example("coop"))
    try:
        yield rig
    finally:
        rig.db.close()


def test_the_coop_dividend_pays_3_percent_at_home_and_1_percent_elsewhere(coop: Rig):
    """1,000.00 in the own society and 1,000.00 in another: 40.00 NOK; 123,840.00 all
    at home: 3,715.20 NOK; paid once the year is over, once."""
    mixed, loyal = fresh_card(), fresh_card()
    coop.at("2026-03-02T12:00:00+01:00")
    coop.push(coop.sale(mixed, 100000, store="OSLO01"), coop.sale(mixed, 100000, store="BERGEN9"))
    coop.push(coop.sale(loyal, 12384000, store="OSLO02"))
    assert settle(coop.db, date(2026, 12, 31)).settlement_events == 0  # the year is not over
    report = settle(coop.db, date(2027, 1, 1))
    assert (report.settlement_events, report.paid) == (2, {"dividend": 4000 + 371520})
    assert coop.member(mixed).accounts["dividend"] == 4000
    assert coop.member(loyal).accounts["dividend"] == 371520
    assert settle(coop.db, date(2027, 3, 1)).settlement_events == 0
    report = verify(coop.db)
    assert report.ok, report.differences


def test_a_run_cut_short_between_chunks_pays_the_rest_when_run_again_and_nothing_twice(
    coop: Rig, monkeypatch: pytest.MonkeyPatch
):
    cards = [fresh_card() for _ in range(5)]
    coop.at("2026-03-02T12:00:00+01:00")
    coop.push(*(coop.sale(card, 100000, store="OSLO01") for card in cards))
    monkeypatch.setattr(period_settling, "PAY_CHUNK", 2)  # three chunks of members
    chunks = 0
    paying = period_settling._pay_chunk

    def cut_after_two(*args: Any) -> tuple[int, int, int]:
        nonlocal chunks
        chunks += 1
        if chunks == 3:
            raise RuntimeError("the server stopped")
        return paying(*args)

    monkeypatch.setattr(period_settling, "_pay_chunk", cut_after_two)
    with pytest.raises(RuntimeError):
        settle(coop.db, date(2027, 1, 1))
    paid = [c for c in cards if coop.member(c).accounts.get("dividend")]
    assert len(paid) == 4  # two chunks committed, the third never ran
    monkeypatch.setattr(period_settling, "_pay_chunk", paying)
    report = settle(coop.db, date(2027, 1, 1))
    assert (report.settlement_events, report.paid) == (1, {"dividend": 3000})
    assert all(coop.member(c).accounts["dividend"] == 3000 for c in cards)
    assert settle(coop.db, date(2027, 1, 2)).settlement_events == 0
    assert verify(coop.db).ok


def test_two_settle_runs_of_one_period_at_once_pay_once_and_both_end(
    coop: Rig, monkeypatch: pytest.MonkeyPatch
):
    """The server's schedule and an operator's command may settle one period at the
    same time: the one that ends second records the run too, and nobody is paid twice."""
    cards = [fresh_card() for _ in range(3)]
    coop.at("2026-03-02T12:00:00+01:00")
    coop.push(*(coop.sale(card, 100000, store="OSLO01") for card in cards))
    paying = period_settling._pay_chunk
    other_ran = False

    def other_run_first(*args: Any) -> tuple[int, int, int]:
        nonlocal other_ran
        if not other_ran:  # between this run's snapshot and its first chunk
            other_ran = True
            period_settling.settle_periods(coop.db, date(2027, 1, 1))
        return paying(*args)

    monkeypatch.setattr(period_settling, "_pay_chunk", other_run_first)
    report = settle(coop.db, date(2027, 1, 1))
    assert report.settlement_events == 0  # the other run paid everyone
    assert all(coop.member(card).accounts["dividend"] == 3000 for card in cards)
    assert verify(coop.db).ok


def test_a_refund_in_the_next_year_lowers_the_year_of_its_sale(coop: Rig):
    card = fresh_card()
    coop.at("2026-12-20T12:00:00+01:00")
    big = coop.sale(card, 200000, store="OSLO01")
    coop.push(big)
    coop.at("2027-01-03T12:00:00+01:00")
    coop.push(coop.refund(big))
    settle(coop.db, date(2027, 1, 10))
    assert coop.member(card).accounts.get("dividend", 0) == 0
    assert verify(coop.db).ok


@pytest.mark.parametrize(("scope", "bonus"), [("receipt", 7500), ("period", 15000)])
def test_ica_monthly_bonus_steps_per_receipt_or_per_month(
    fresh_db_url: str, scope: str, bonus: int
):
    """Receipts of 4,000.60 and 3,999.60 SEK in March: 4,000 + 3,999 = 7,999 points
    per receipt → 75 SEK; 8,000 over the month → 150 SEK."""
    rig = open_rig(fresh_db_url, example("ica", scope=scope))
    try:
        card = fresh_card()
        rig.at("2026-03-05T12:00:00+01:00")
        rig.push(rig.sale(card, 400060), rig.sale(card, 399960))
        rig.at("2026-04-02T12:00:00+02:00")
        rig.push(rig.sale(card, 10000))  # April's: not in March's bonus
        done = run_admin(rig.url, "settle", "--as-of", "2026-04-01")
        assert done.returncode == 0, done.stderr
        assert f"Paid {bonus} bonus in 1 settlement event." in done.stdout
        assert rig.member(card).accounts["bonus"] == bonus
        assert settle(rig.db, date(2026, 4, 30)).settlement_events == 0
        report = verify(rig.db)
        assert report.ok, report.differences
    finally:
        rig.db.close()


def test_verify_reports_a_payment_the_events_do_not_give(coop: Rig):
    card = fresh_card()
    coop.at("2026-05-05T12:00:00+02:00")
    coop.push(coop.sale(card, 100000, store="OSLO01"))
    settle(coop.db, date(2027, 1, 1))
    with coop.db.write() as tx:
        tx.execute("UPDATE settlement_runs SET last_seq = 0")
    report = verify(coop.db)
    assert any("settlement dividend 2026" in line for line in report.differences)


def test_a_settlement_id_cannot_change_its_period_and_dates_to_come_are_refused(coop: Rig):
    yearly = example("coop")
    monthly = example("coop", period="calendar_month")
    monthly["programme"]["name"] = "Coop monthly"
    with coop.db.write() as tx, pytest.raises(AdminError, match="'dividend' is paid per year"):
        programmes.publish_version(
            tx, parse_programme(monthly, "m"), "2027-01-01T00:00", check_lead=False
        )
    assert parse_programme(yearly, "y").settlements[0].period == "calendar_year"
    done = run_admin(coop.url, "settle", "--as-of", "2099-01-01")
    assert done.returncode == 1
    assert "--as-of 2099-01-01 is in the future" in done.stderr


def test_a_dividend_that_starts_at_local_new_year_pays_nothing_for_the_year_before(
    fresh_db_url: str,
):
    """Version 1 (no dividend) from March 2025; version 2 (the Coop dividend) from
    1 January 2026 at midnight in Oslo (23:00 UTC on 31 December): 2025 is not paid."""
    db, _ = open_ledger(fresh_db_url)
    try:
        plain = example("coop")
        del plain["settlements"]
        plain["programme"]["name"] = "Coop without dividend"
        with db.write() as tx:
            terminal = fresh_terminal_name("NY")
            add_terminal(tx, terminal)
            programmes.publish_version(
                tx, parse_programme(plain, "plain"), "2025-03-01T00:00", check_lead=False
            )
            programmes.publish_version(
                tx, parse_programme(example("coop"), "coop"), "2026-01-01T00:00", check_lead=False
            )
        with db.snapshot() as tx:
            versions = programmes.versions(tx)
        rig = Rig(db, fresh_db_url, terminal, EventChain(terminal, versions[-2]), versions[-2])
        card = fresh_card()
        rig.at("2025-06-01T12:00:00+02:00")
        rig.push(rig.sale(card, 100000, store="OSLO01"))
        report = settle(db, date(2026, 1, 2))
        assert report.settlement_events == 0
        assert verify(db).ok
    finally:
        db.close()


def test_five_visit_days_in_a_month_earn_the_challenge_and_a_refund_undoes_a_visit(
    fresh_db_url: str,
):
    """Five days with at least 50.00 NOK in March: 100 points. Another member has five
    such days too, but returns one day's purchase: four visits, nothing. Two receipts
    on one day are one visit; a 49.90 day is none."""
    rig = open_rig(fresh_db_url, example("challenge"))
    try:
        keen, returner = fresh_card(), fresh_card()
        refundable = None
        for day in (2, 3, 4, 9, 10):
            rig.at(f"2026-03-{day:02d}T12:00:00+01:00")
            rig.push(rig.sale(keen, 3000), rig.sale(keen, 2000))  # 50.00 that day
            sale = rig.sale(returner, 6000)
            rig.push(sale)
            refundable = refundable or sale
        rig.at("2026-03-11T12:00:00+01:00")
        rig.push(rig.sale(returner, 4990))  # 49.90: not a visit
        assert refundable is not None
        rig.push(rig.refund(refundable))
        report = settle(rig.db, date(2026, 4, 1))
        assert (report.settlement_events, report.paid) == (1, {"points": 100})
        assert rig.member(keen).accounts["points"] == 250 + 100
        assert rig.member(returner).accounts["points"] == 4 * 60 + 49
        assert verify(rig.db).ok
    finally:
        rig.db.close()
