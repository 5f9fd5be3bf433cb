"""Lots under random histories at a real ledger database: whatever mix of sales (some
paid partly with points, some with a bonus voucher), refunds in pieces, redemptions,
corrections, capped actions, vouchers issued at a threshold and expiry runs is
pushed, every derived table replays exactly from the events (``verify``), a lot
never holds a negative amount, a debt means no lot holds anything, and points are
conserved: opening + earned = balance + spent + converted + expired."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ledger import programmes
from ledger.cli import open_ledger
from ledger.members import member_by_card
from ledger.settle import settle
from ledger.terminals import add_terminal
from ledger.verify import verify
from loyalty.events import Event
from loyalty.programme import Line, parse_programme
from loyalty.programme.basket import AppliedVoucher
from tests.integration.ledger.ledger_rig import Rig, expiring_programme
from tests.integration.ledger.support import EventChain, fresh_card

SALE = st.tuples(st.just("sale"), st.integers(0, 2), st.integers(100, 30000), st.integers(0, 3))
STEP = st.one_of(
    SALE,
    SALE,
    SALE,
    st.tuples(st.just("refund"), st.integers(0, 2), st.integers(0, 50), st.integers(0, 0)),
    st.tuples(st.just("redeem"), st.integers(0, 2), st.integers(1, 3), st.integers(0, 0)),
    st.tuples(st.just("adjust"), st.integers(0, 2), st.integers(-300, 300), st.integers(0, 0)),
    st.tuples(st.just("days"), st.integers(0, 0), st.integers(1, 120), st.integers(0, 0)),
    st.tuples(st.just("settle"), st.integers(0, 0), st.integers(0, 0), st.integers(0, 0)),
    st.tuples(st.just("act"), st.integers(0, 2), st.integers(0, 0), st.integers(0, 0)),
    st.tuples(st.just("voucher"), st.integers(0, 2), st.integers(100, 9000), st.integers(0, 0)),
)


def programme_document() -> dict[str, Any]:
    """Points that expire, a bonus voucher for every 500 points, a capped action."""
    document = expiring_programme()
    document["settlements"] = [
        {
            "id": "bonus",
            "kind": "threshold_voucher",
            "wallet": "points",
            "threshold": 500,
            "value_minor": 2000,
            "valid_days": 30,
        }
    ]
    document["actions"] = [
        {"id": "bag", "name": "Own bag", "amount": 20, "cap": {"count": 3, "months": 1}}
    ]
    return document


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(steps=st.lists(STEP, min_size=15, max_size=60))
def test_random_histories_replay_exactly_and_conserve_points(
    tmp_path_factory: object, steps: list[tuple[str, int, int, int]]
):
    directory = Path(str(tmp_path_factory.mktemp("lots")))  # type: ignore[attr-defined]
    db, _ = open_ledger(f"sqlite:///{directory / 'ledger.sqlite'}")
    try:
        with db.write() as tx:
            add_terminal(tx, "PROP-T1")
            done = programmes.publish_version(
                tx, parse_programme(programme_document(), "p"), "2026-01-01T00:00", check_lead=False
            )
        with db.snapshot() as tx:
            version = next(v for v in programmes.versions(tx) if v.version == done.version)
        rig = Rig(db, "", "PROP-T1", EventChain("PROP-T1", version), version)
        cards = [fresh_card() for _ in range(3)]
        sales: list[Event] = []
        refunded: set[str] = set()
        moment = datetime.fromisoformat("2026-01-05T12:00:00+01:00")
        for kind, who, amount, extra in steps:
            rig.chain.at = moment
            card = cards[who]
            balance = rig_balance(rig, card)
            if kind == "sale":
                redeem = min(max(balance, 0) // 100 * 100, extra * 100, amount // 10 // 100 * 100)
                sale = rig.sale(card, amount, redeem_points=redeem)
                rig.push(sale)
                sales.append(sale)
            elif kind == "refund":
                open_sales = [s for s in sales if s.event_id not in refunded]
                if open_sales:
                    sale = open_sales[amount % len(open_sales)]
                    rig.chain.at = max(moment, datetime.fromisoformat(sale.get("business_time")))
                    rig.push(rig.refund(sale))
                    refunded.add(sale.event_id)
            elif kind == "redeem" and balance >= amount * 100:
                rig.push(rig.chain.redeem(card, amount * 100))
            elif kind == "adjust" and amount:
                rig.push(rig.chain.adjust(card, amount))
            elif kind == "act":
                rig.push(rig.act(card, "bag"))
            elif kind == "voucher" and vouchers_of(rig, card):
                held = vouchers_of(rig, card)[0]
                voucher = AppliedVoucher(held.number, held.value_minor, held.min_spend_minor)
                rig.push(rig.sell(card, Line(1, "SKU", "Goods", 1, amount), vouchers=(voucher,)))
            elif kind == "days":
                moment += timedelta(days=amount)
            elif kind == "settle":
                settle(db, moment.date())
        settle(db, moment.date() + timedelta(days=1))
        with db.snapshot() as tx:
            counted = tx.one("SELECT COUNT(*) FROM events")
        event(f"events: {int(counted[0]) // 10 * 10}+" if counted else "events: none")
        report = verify(db)
        assert report.ok, report.differences
        with db.snapshot() as tx:
            negative = tx.one("SELECT COUNT(*) FROM lots WHERE remaining < 0")
            assert negative is not None and int(negative[0]) == 0
            for card in cards:
                rows = tx.query("SELECT member_id, accounts FROM members WHERE card = ?", (card,))
                if not rows:
                    continue
                member_id = str(rows[0][0])
                held = tx.query(
                    "SELECT COALESCE(SUM(remaining), 0) FROM lots WHERE member_id = ?",
                    (member_id,),
                )
                balance = rig_balance(rig, card)
                lots_total = int(held[0][0])
                assert lots_total == max(balance, 0)
                assert not (balance < 0 and lots_total)
                moves = tx.query(
                    "SELECT COALESCE(SUM(amount), 0) FROM lot_moves WHERE member_id = ?",
                    (member_id,),
                )
                assert int(moves[0][0]) == lots_total  # every unit came and went by a move
                converted = tx.query(
                    "SELECT postings, document FROM events WHERE member_id = ? "
                    "AND kind = 'settlement'",
                    (member_id,),
                )
                for postings, document in converted:  # 500 points for every voucher
                    issued = len(json.loads(str(document))["vouchers_issued"])
                    assert json.loads(str(postings)) == {"points": -500 * issued}
    finally:
        db.close()


def rig_balance(rig: Rig, card: str) -> int:
    with rig.db.snapshot() as tx:
        row = tx.one("SELECT accounts FROM members WHERE card = ?", (card,))
    return 0 if row is None else int(json.loads(str(row[0])).get("points", 0))


def vouchers_of(rig: Rig, card: str) -> list[Any]:
    with rig.db.snapshot() as tx:
        found = member_by_card(tx, card)
    return [] if found is None else list(found.vouchers)
