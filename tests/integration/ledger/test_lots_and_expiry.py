"""Lots and expiry at the ledger, on SQLite and PostgreSQL: pushes earn into lots that
expire from the version in force when they were earned, spending takes the soonest
first, a refund restores the lots its sale took, ``settle`` expires with the ledger's
own events (twice is once), and ``verify`` replays the lots from the events."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ledger import admin, programmes
from ledger.cli import open_ledger
from ledger.service import push
from ledger.settle import settle
from ledger.terminals import LEDGER_TERMINAL
from ledger.verify import verify
from loyalty.events import Event, EventKind, compute_hash
from loyalty.programme import (
    parse_programme,
)
from loyalty.programme.model import Expiry
from pos_client.config import LedgerConfig, TillConfig
from pos_client.store.members import Expiring
from pos_client.till import Till, local_now
from pos_client.ui import formatting
from tests.conftest import member as cached_member
from tests.integration.ledger.ledger_rig import Rig, expiring_programme, open_rig
from tests.integration.ledger.support import (
    REPO_ROOT,
    EventChain,
    LedgerHandle,
    fresh_card,
    fresh_terminal_name,
    run_admin,
    start_ledger,
)

STARBUCKS = REPO_ROOT / "examples" / "programmes" / "starbucks.toml"


@pytest.fixture
def rig(fresh_db_url: str) -> Iterator[Rig]:
    opened = open_rig(fresh_db_url, expiring_programme(), prefix="LOT")
    try:
        yield opened
    finally:
        opened.db.close()


def test_points_earn_into_lots_by_month_and_spending_takes_the_soonest_first(rig: Rig):
    card = fresh_card()
    rig.at("2026-01-15T12:00:00+01:00")
    january = rig.sale(card, 10000)  # 100 points, usable to 31 July
    rig.at("2026-03-03T12:00:00+01:00")
    march = rig.sale(card, 5000)  # 50 points, usable to 30 September
    rig.at("2026-04-10T12:00:00+02:00")
    spending = rig.sale(card, 10000, redeem_points=120)  # earns 88 into October's lot
    rig.push(january, march, spending)
    assert rig.lots(card) == {"2026-09-30": 30, "2026-10-31": 88}
    state = rig.member(card)
    assert state.accounts["points"] == 118
    assert [e.model_dump() for e in state.expiring] == [
        {"wallet": "points", "amount": 30, "on": "2026-09-30"}
    ]
    assert verify(rig.db).ok


def test_settle_expires_lots_with_the_ledgers_own_events_and_twice_is_once(rig: Rig):
    card, other = fresh_card(), fresh_card()
    rig.at("2026-01-15T12:00:00+01:00")
    rig.push(rig.sale(card, 10000), rig.sale(other, 2000))
    rig.at("2026-05-20T12:00:00+02:00")
    rig.push(rig.sale(card, 4000))
    assert settle(rig.db, date(2026, 7, 31)).events == 0  # 31 July is still usable
    report = settle(rig.db, date(2026, 8, 1))
    assert (report.events, report.members, report.expired) == (2, 2, {"points": 120})
    assert rig.member(card).accounts["points"] == 40
    assert rig.member(other).accounts.get("points", 0) == 0
    assert [e.model_dump() for e in rig.member(card).expiring] == [
        {"wallet": "points", "amount": 40, "on": "2026-11-30"}
    ]
    again = settle(rig.db, date(2026, 8, 1))
    assert (again.events, again.expired) == (0, {})
    with rig.db.snapshot() as tx:
        rows = tx.query(
            "SELECT kind, postings, document FROM events WHERE terminal_id = ? ORDER BY seq",
            (LEDGER_TERMINAL,),
        )
    assert [(r[0], r[1]) for r in rows] in (
        [("expire", '{"points":-100}'), ("expire", '{"points":-20}')],
        [("expire", '{"points":-20}'), ("expire", '{"points":-100}')],
    )
    assert '"expired":[{"amount":100,"last_day":"2026-07-31","wallet":"points"}]' in "".join(
        str(r[2]) for r in rows
    )
    report = verify(rig.db)
    assert report.ok, report.differences


def test_a_refund_gives_back_spent_points_to_the_lots_they_came_from(rig: Rig):
    card = fresh_card()
    rig.at("2026-01-15T12:00:00+01:00")
    earned = rig.sale(card, 20000)  # 200 points, usable to 31 July
    rig.at("2026-05-02T12:00:00+02:00")
    paid_with_points = rig.sale(card, 15000, redeem_points=100)  # earns 140 into November's
    rig.push(earned, paid_with_points)
    assert rig.lots(card) == {"2026-07-31": 100, "2026-11-30": 140}
    rig.at("2026-06-01T12:00:00+02:00")
    refund = rig.refund(paid_with_points)
    assert refund.get("spent_returned") == {"points": 100}
    rig.push(refund)
    assert rig.lots(card) == {"2026-07-31": 200}
    settle(rig.db, date(2026, 8, 1))
    assert rig.member(card).accounts.get("points", 0) == 0
    assert verify(rig.db).ok


def test_a_debt_is_repaid_by_the_next_earning_before_any_lot(rig: Rig):
    card = fresh_card()
    rig.at("2026-01-15T12:00:00+01:00")
    rig.push(rig.sale(card, 5000), rig.chain.adjust(card, -80, programme=None))
    assert rig.member(card).accounts["points"] == -30
    assert rig.lots(card) == {}
    rig.push(rig.sale(card, 10000))
    assert rig.lots(card) == {"2026-07-31": 70}
    assert verify(rig.db).ok


def test_opening_points_are_a_lot_that_never_expires(rig: Rig, tmp_path: Path):
    card = fresh_card()
    members = tmp_path / "members.csv"
    members.write_text(f"card,name,balance\n{card},Ada,500\n", encoding="utf-8")
    admin.import_members(rig.db, members)
    rig.at("2026-01-15T12:00:00+01:00")
    rig.push(rig.sale(card, 10000, redeem_points=100))  # takes from July's lot? none yet
    assert rig.lots(card) == {"2026-07-31": 90, "never": 400}
    settle(rig.db, date(2027, 1, 1))
    assert rig.member(card).accounts["points"] == 400
    assert verify(rig.db).ok


def test_verify_reports_a_lot_that_does_not_match_its_events(rig: Rig):
    card = fresh_card()
    rig.at("2026-01-15T12:00:00+01:00")
    rig.push(rig.sale(card, 10000))
    with rig.db.write() as tx:
        tx.execute("UPDATE lots SET remaining = 99 WHERE last_day = '2026-07-31'")
    report = verify(rig.db)
    assert not report.ok
    assert any(
        line.startswith("lots:") and "'2026-07-31', 99)" in line for line in report.differences
    )


def test_a_till_cannot_push_an_expire_event_and_no_terminal_may_be_named_ledger(rig: Rig):
    card = fresh_card()
    forged = rig.chain._append(
        EventKind.EXPIRE,
        card,
        postings={"points": -5},
        expired=[{"wallet": "points", "last_day": "2026-07-31", "amount": 5}],
    )
    answer = push(rig.db, rig.terminal, [forged.to_dict()])
    assert answer.stopped_at is not None
    assert "only the ledger records expire events" in str(answer.stopped_at.reason)
    done = run_admin(rig.url, "terminal", "add", "ledger")
    assert done.returncode == 1
    assert "the ledger's own name" in done.stderr


def test_settle_from_the_command_line_says_what_it_did(rig: Rig):
    card = fresh_card()
    rig.at("2026-01-15T12:00:00+01:00")
    rig.push(rig.sale(card, 10000))
    done = run_admin(rig.url, "settle", "--as-of", "2026-08-01")
    assert done.returncode == 0, done.stderr
    assert (
        done.stdout.strip()
        == "Settled as of 2026-08-01: 1 event appended; expired 100 points of 1 member."
    )
    again = run_admin(rig.url, "settle", "--as-of", "2026-08-01")
    assert again.stdout.strip() == "Settled as of 2026-08-01: 0 events appended."
    bad = run_admin(rig.url, "settle", "--as-of", "August")
    assert bad.returncode == 1
    assert "--as-of 'August' is not a date like 2026-11-01." in bad.stderr


def test_a_till_shows_what_expires_next_and_the_balance_after_a_settle(
    ledger: LedgerHandle, tmp_path: Path
):
    """Starbucks (stars expire six months after the month earned): a till sells, syncs
    and shows "… stars expire on …"; after ``pos-ledger settle`` past that day, its
    next sync shows the stars gone and nothing left to expire."""
    published = run_admin(
        ledger.db_url, "rules", "publish", str(STARBUCKS), "--effective-from", "now"
    )
    assert published.returncode == 0, published.stderr
    terminal = fresh_terminal_name("EXP")
    token = ledger.add_terminal(terminal)
    config = TillConfig(
        terminal_id=terminal,
        data_dir=tmp_path / "till",
        ledger=LedgerConfig(url=ledger.url, token=token, sync_interval=3600.0, timeout=10.0),
    )
    card = fresh_card()
    till = Till.open(config)
    try:
        till.store.members.upsert_many([replace(cached_member(1, 0), card=card)])
        till.link.sync_now()
        assert till.version().programme.id == "starbucks"
        till.scan(card)
        till.add_amount("40")
        till.finish_sale()
        till.link.sync_now()
        shown = till.lookup(card)
        today = local_now().astimezone(ZoneInfo("America/Los_Angeles")).date()
        last_day = Expiry(6).last_day(today)
        assert shown.expiring == (Expiring("stars", 40, last_day),)
        assert shown.total("stars") == 40 and shown.unconfirmed == {}
        assert formatting.expiring(shown) == (
            f"40 stars expire on {last_day.day} {formatting.MONTHS[last_day.month - 1]} "
            f"{last_day.year}"
        )
        db, _ = open_ledger(ledger.db_url)  # months from now: the command refuses a future date
        try:
            report = settle(db, last_day + timedelta(days=1))
        finally:
            db.close()
        assert report.expired == {"stars": 40} and report.members == 1
        till.link.sync_now()
        after = till.lookup(card)
        assert after.total("stars") == 0
        assert after.expiring == ()
    finally:
        till.close()


def test_serve_with_settle_every_expires_lots_on_its_own(fresh_db_url: str, tmp_path: Path):
    """``pos-ledger serve --settle-every 0.5``: a lot whose last day (31 July 2026) is
    before today is expired by the server itself, without a settle command."""
    db, _ = open_ledger(fresh_db_url)
    try:
        with db.write() as tx:
            programmes.publish_version(
                tx,
                parse_programme(expiring_programme(), "expiring"),
                "2026-01-01T00:00",
                check_lead=False,
            )
    finally:
        db.close()
    with start_ledger(fresh_db_url, tmp_path, ["--settle-every", "0.5"]) as handle:
        terminal = fresh_terminal_name("SCH")
        token = handle.add_terminal(terminal)
        db, _ = open_ledger(fresh_db_url)
        try:
            with db.snapshot() as tx:
                version = programmes.versions(tx)[-1]
            rig = Rig(db, fresh_db_url, terminal, EventChain(terminal, version), version)
            card = fresh_card()
            rig.at("2026-01-15T12:00:00+01:00")
            sale = rig.sale(card, 10000)
            with handle.client(token) as client:
                answer = client.post("/v1/events", json=handle.batch(terminal, [sale]))
                assert answer.status_code == 200, answer.text
            deadline = time.monotonic() + 20
            while rig.member(card).accounts.get("points", 0) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert rig.member(card).accounts.get("points", 0) == 0
            assert rig.lots(card) == {}
        finally:
            db.close()


def test_a_sale_that_spends_exactly_what_it_earns_still_moves_its_lots(rig: Rig):
    """200 points earned in January (to 31 July); in May a 110.00 sale paid 10.00 with
    100 points earns 100: its net posting is 0, but the January lot gave 100 and
    November's got 100, so only 100 expire in August."""
    card = fresh_card()
    rig.at("2026-01-15T12:00:00+01:00")
    rig.push(rig.sale(card, 20000))
    rig.at("2026-05-02T12:00:00+02:00")
    even = rig.sale(card, 11000, redeem_points=100)
    assert "points" not in even.get("postings")
    rig.push(even)
    assert rig.lots(card) == {"2026-07-31": 100, "2026-11-30": 100}
    settle(rig.db, date(2026, 8, 1))
    assert rig.member(card).accounts["points"] == 100
    assert verify(rig.db).ok


def test_a_refund_in_a_later_batch_restores_as_one_in_the_same_batch_would(
    rig: Rig, fresh_db_url: str
):
    """A sale that spends from and earns into the same month's lot keeps both moves
    apart, so its refund, pushed later, gives back and takes back exactly."""
    card = fresh_card()
    rig.at("2026-01-15T12:00:00+01:00")
    rig.push(rig.sale(card, 20000))
    rig.at("2026-01-20T12:00:00+01:00")
    mixed = rig.sale(card, 15000, redeem_points=100)
    rig.push(mixed)
    rig.at("2026-06-01T12:00:00+02:00")
    rig.push(rig.refund(mixed))
    assert rig.lots(card) == {"2026-07-31": 200}
    report = verify(rig.db)
    assert report.ok, report.differences


def test_a_release_0_1_0_event_whose_time_cannot_be_read_is_applied_not_refused(rig: Rig):
    card = fresh_card()
    content = {
        "event_id": "legacy-odd-time",
        "terminal_id": rig.terminal,
        "seq": 1,
        "kind": "earn",
        "card": card,
        "points": 150,
        "amount_minor": 15000,
        "currency": "NOK",
        "rule_version": 1,
        "recorded_at": "yesterday at noon",
        "prev_hash": "0" * 64,
        "refers_to": None,
        "note": "",
    }
    answer = push(rig.db, rig.terminal, [Event(content, compute_hash(content)).to_dict()])
    assert [r.status for r in answer.results] == ["accepted"]
    assert rig.lots(card) == {"never": 150}
    assert verify(rig.db).ok


def test_an_extend_only_version_lengthens_lots_earned_before_it_and_a_later_one_never_shortens(
    rig: Rig,
):
    card = fresh_card()
    rig.at("2026-01-15T12:00:00+01:00")
    rig.push(rig.sale(card, 10000))  # 100 points, usable to 31 July 2026
    longer = expiring_programme()
    longer["wallets"] = [{"id": "points", "expiry": {"months": 12, "extend_existing": True}}]
    shorter = expiring_programme()
    shorter["wallets"] = [{"id": "points", "expiry": {"months": 1}}]
    with rig.db.write() as tx:
        programmes.publish_version(
            tx, parse_programme(longer, "v2"), "2026-06-01T00:00", check_lead=False
        )
        programmes.publish_version(
            tx, parse_programme(shorter, "v3"), "2026-07-01T00:00", check_lead=False
        )
    report = settle(rig.db, date(2026, 8, 1))
    assert report.extended == 1 and report.events == 0
    assert rig.lots(card) == {"2027-01-31": 100}  # 12 months from January, not 6
    assert rig.member(card).expiring[0].on == "2027-01-31"
    assert settle(rig.db, date(2026, 8, 2)).extended == 0  # once
    assert verify(rig.db).ok
