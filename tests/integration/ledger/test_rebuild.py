"""Replaying the events from empty gives exactly the live derived tables, on SQLite and
PostgreSQL: after a history that touches every account (lots and expiry, vouchers at
a threshold and their uses at two tills, offers, a capped action, the birthday
reward, a monthly dividend settled and settled again, refunds), ``pos-ledger
rebuild`` finds every table right and changes nothing; after the derived tables are
damaged it writes them back as they were, and ``verify`` agrees."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ledger.offers import import_offers
from ledger.rebuild import stored_tables
from ledger.settle import settle
from ledger.verify import verify
from loyalty.programme import AppliedReward, Line, snapshot_from_json
from loyalty.programme.basket import AppliedOffer, AppliedVoucher
from tests.integration.ledger.ledger_rig import Rig, open_rig
from tests.integration.ledger.support import REPO_ROOT, fresh_card, run_admin


def everything() -> dict[str, Any]:
    """H&M's programme with expiry, a tier, a birthday treat and a monthly dividend."""
    doc = tomllib.loads((REPO_ROOT / "examples/programmes/hm.toml").read_text("utf-8"))
    doc["wallets"] = [
        {"id": "points", "expiry": {"months": 2}},
        {"id": "bonus", "kind": "money"},
    ]
    doc["tiers"] = {"levels": ["member", "plus"]}
    doc["rewards"] = [{"id": "birthday-gift", "kind": "free_item", "when": {"tags": ["gift"]}}]
    doc["birthday"] = {"reward": "birthday-gift", "window_days": 7}
    doc["settlements"].append(
        {
            "id": "dividend",
            "kind": "period_percent",
            "period": "calendar_month",
            "wallet": "bonus",
            "percent": "2",
        }
    )
    return doc


@pytest.fixture
def rig(fresh_db_url: str, tmp_path: Path) -> Iterator[Rig]:
    opened = open_rig(fresh_db_url, everything(), "2026-01-01T00:00", prefix="RB")
    opened.directory = tmp_path
    try:
        yield opened
    finally:
        opened.db.close()


def line(pounds: int, tags: tuple[str, ...] = ()) -> Line:
    return Line(1, "SKU", "Goods", 1, pounds * 100, frozenset(tags))


def history(rig: Rig, tmp_path: Path) -> None:
    ada, bo = fresh_card(), fresh_card()
    rig.import_members(tmp_path, "card,name,birth_date", f"{ada},Ada,1990-02-10", f"{bo},Bo,")
    offers = tmp_path / "offers.csv"
    offers.write_text(f"card,template,valid_from\n{ada},jeans-20,2026-02-01\n", "utf-8")
    import_offers(rig.db, offers)
    other = rig.other_till()
    rig.at("2026-02-02T12:00:00+00:00")
    first = rig.sell(ada, line(120), Line(2, "J", "Jeans", 1, 4000, frozenset({"jeans"})))
    rig.push(first, rig.sell(bo, line(80)))
    (offer,) = rig.member(ada).offers
    rig.push(rig.sell(ada, line(30, ("jeans",)), offers=(AppliedOffer(offer.id, offer.template),)))
    (voucher,) = rig.member(ada).vouchers
    used = AppliedVoucher(voucher.number, voucher.value_minor)
    rig.at("2026-02-11T12:00:00+00:00")
    gift = snapshot_from_json({"rewards": [{"id": "birthday-2026", "reward": "birthday-gift"}]})
    rig.push(
        rig.sell(
            ada,
            line(10, ("gift",)),
            Line(2, "X", "Shirt", 1, 2000),
            snapshot=gift,
            rewards=(AppliedReward("birthday-gift", "birthday-2026"),),
            vouchers=(used,),
        )
    )
    other.at("2026-02-10T12:00:00+00:00")
    other.push(other.sell(ada, line(25), vouchers=(used,)))  # the earlier use, pushed later
    for day in range(3, 11):
        rig.at(f"2026-02-{day:02d}T18:00:00+00:00")
        rig.push(rig.act(bo, "garment-recycling"))  # the 7th and 8th are over the cap
    settle(rig.db, date(2026, 3, 1))  # February's dividend
    other.at("2026-02-20T12:00:00+00:00")
    other.push(other.sell(bo, line(200)))  # a late February sale
    rig.at("2026-03-05T12:00:00+00:00")
    rig.push(rig.refund(first))
    settle(rig.db, date(2026, 3, 6))  # February again, for the late sale
    settle(rig.db, date(2026, 6, 1))  # February's points expire


def test_a_rebuild_after_a_full_history_finds_every_table_right(rig: Rig, tmp_path: Path):
    history(rig, tmp_path)
    report = verify(rig.db)
    assert report.ok, report.differences
    with rig.db.snapshot() as tx:
        before = stored_tables(tx)
        kinds = {str(k) for (k,) in tx.query("SELECT DISTINCT kind FROM events")}
    assert {"sale", "refund", "action", "settlement", "correction", "expire"} <= kinds
    assert all(before[table] for table in ("lots", "vouchers", "single_uses", "cap_awards"))
    result = run_admin(rig.url, "rebuild")
    assert result.returncode == 0, result.stderr
    assert "every derived table was already right" in result.stdout
    with rig.db.snapshot() as tx:
        assert stored_tables(tx) == before


def test_a_rebuild_writes_damaged_tables_back_as_the_events_give_them(rig: Rig, tmp_path: Path):
    history(rig, tmp_path)
    with rig.db.snapshot() as tx:
        before = stored_tables(tx)
    with rig.db.write() as tx:
        tx.execute("DELETE FROM lots")
        tx.execute("DELETE FROM single_uses")
        tx.execute("UPDATE cap_awards SET reversed_by = NULL")
        tx.execute("UPDATE members SET accounts = '{}', vouchers = '[]'")
    assert not verify(rig.db).ok
    result = run_admin(rig.url, "rebuild")
    assert result.returncode == 0, result.stderr
    assert "REPLACED: lots:" in result.stdout and "members changed" in result.stdout
    with rig.db.snapshot() as tx:
        assert stored_tables(tx) == before
    assert verify(rig.db).ok
