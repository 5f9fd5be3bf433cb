"""Sales and refunds of schema 2 through the real server: the ledger evaluates every
basket again with the till's own inputs, and agrees with an honest till.

Each test gets a ledger of its own (programme versions are global to a ledger, so a
version one test publishes must not make another test's sales stale). A real till
pulls the published programme before it sells, sells multi-line baskets with tags,
refunds them in parts (into a debt, when a refund undoes a bonus already spent), and
syncs; the ledger records no finding and holds the till's balances. A stale version,
a tampered sale and a refund beyond its sale are each recorded as what they are.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from loyalty.errors import RedemptionRefused
from loyalty.events import Event, EventKind, build_event, compute_hash
from tests.integration.ledger.support import REPO_ROOT, LedgerHandle, database_url, start_ledger
from tests.integration.sync.rig import (
    LedgerUnderTest,
    TillRig,
    assert_ledger_holds_journal_once,
    assert_verify_passes,
)

EXAMPLES = REPO_ROOT / "examples" / "programmes"
FRESH, GIFT_CARD = frozenset({"fresh"}), frozenset({"gift_card"})

TillFactory = Callable[..., TillRig]
"""The ``new_till`` fixture of this directory's conftest."""


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def own_ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LedgerUnderTest]:
    """A ledger for this test alone (PostgreSQL only with POS_TEST_POSTGRES)."""
    directory = tmp_path / "ledger"
    directory.mkdir()
    with (
        database_url(str(request.param), directory) as url,
        start_ledger(url, directory) as handle,
    ):
        ledger = LedgerUnderTest(handle, directory)
        try:
            yield ledger
        finally:
            ledger.close()


def publish(ledger: LedgerUnderTest, example: str) -> int:
    """``pos-ledger rules publish examples/programmes/<example>.toml --effective-from now``;
    return the version number."""
    done = ledger.handle.admin(
        "rules", "publish", str(EXAMPLES / f"{example}.toml"), "--effective-from", "now"
    )
    assert done.returncode == 0, done.stderr
    assert "max_offline_hours" in done.stderr  # starting now is closer than a till may be away
    return int(done.stdout.split(" as version ", 1)[1].split(",", 1)[0])


def findings(ledger: LedgerUnderTest, terminal_id: str) -> list[tuple[str, int, str]]:
    """The anomalies the ledger recorded for a terminal: (kind, seq, detail)."""
    with ledger.db.snapshot() as tx:
        rows = tx.query(
            "SELECT kind, seq, detail FROM anomalies WHERE terminal_id = ? ORDER BY seq, kind",
            (terminal_id,),
        )
    return [(str(k), int(s), str(d)) for k, s, d in rows]


def assert_accounts_agree(ledger: LedgerUnderTest, rig: TillRig, card: str) -> dict[str, int]:
    """Nothing pending; the till's confirmed accounts are the ledger's; return them."""
    assert rig.pending() == 0
    view = rig.till.lookup(card)
    held = dict(ledger.member(card).accounts)
    assert (dict(view.confirmed), dict(view.unconfirmed)) == (held, {})
    return held


def push(handle: LedgerHandle, token: str, terminal_id: str, events: list[Event]) -> Any:
    """Push events by hand, as a till would, and return the answer's JSON."""
    answer = handle.client(token).post("/v1/events", json=handle.batch(terminal_id, events))
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_multi_line_sale_refunded_in_two_parts_syncs_with_no_finding(
    own_ledger: LedgerUnderTest, new_till: TillFactory
) -> None:
    ledger = own_ledger
    version = publish(ledger, "kiwi")
    (card,) = ledger.add_members(0)
    rig = new_till(ledger)
    rig.sync_until_settled()  # the till now holds Kiwi Pluss
    assert (rig.till.version().version, rig.till.version().programme.id) == (version, "kiwi")

    till = rig.till
    till.scan(card)
    till.add_amount("24.90", name="Apples", tags=FRESH)
    till.set_quantity(1, 3)
    till.add_amount("29.90", name="Bread")
    till.add_amount("200.00", name="Gift card", tags=GIFT_CARD)
    sale = till.finish_sale()
    # 15 % of 74.70 + 1 % of 29.90 = 1150.4 øre, rounded down once per receipt; the gift
    # card earns nothing.
    assert sale.postings["bonus"] == 1150
    rig.sync_until_settled()
    assert assert_accounts_agree(ledger, rig, card)["bonus"] == 1150

    # One apple and the gift card back: 49.80 fresh + 29.90 left → 776; reversal −374.
    partial = till.refund(sale.receipt_no, {1: 1, 3: 1})
    assert (partial.postings["bonus"], partial.amount.minor) == (-374, 2490 + 20000)
    rig.sync_until_settled()
    assert assert_accounts_agree(ledger, rig, card)["bonus"] == 776

    rest = till.refund_preview(sale.receipt_no)
    assert rest.returning == {1: 2, 2: 1}
    full = till.refund(sale.receipt_no)
    assert (full.postings["bonus"], full.amount.minor) == (-776, 4980 + 2990)
    rig.sync_until_settled()

    assert findings(ledger, rig.terminal_id) == []
    assert assert_accounts_agree(ledger, rig, card) == {}  # nothing left of the sale
    assert_ledger_holds_journal_once(ledger, rig)
    assert_verify_passes(ledger)


def test_a_sale_with_points_spent_and_its_full_refund_in_one_batch_net_to_zero(
    own_ledger: LedgerUnderTest, new_till: TillFactory
) -> None:
    ledger = own_ledger
    (card,) = ledger.add_members(500)
    rig = new_till(ledger)
    rig.sync_until_settled()

    till = rig.till
    till.scan(card)
    till.add_amount("120.00", name="Shoes")
    till.add_amount("35.50", name="Polish")
    till.set_redeem(200)  # 20.00 off, paid 135.50
    sale = till.finish_sale()
    assert sale.postings == {"points": 135 - 200, "qualifying_spend": 13550}
    refund = till.refund(sale.receipt_no)  # everything back, before either synced
    assert refund.postings == {"points": 200 - 135, "qualifying_spend": -13550}
    assert till.lookup(card).balance == 500

    rig.sync_until_settled()  # the sale and its refund go in the same batch

    assert findings(ledger, rig.terminal_id) == []
    assert assert_accounts_agree(ledger, rig, card) == {"points": 500}
    assert_ledger_holds_journal_once(ledger, rig)
    assert_verify_passes(ledger)


BONUS500 = """
[programme]
id = "bonus500"
name = "Points and a big-basket bonus"
engine = 1
currency = "NOK"
timezone = "Europe/Oslo"

[[rules]]
id = "base"
kind = "earn_rate"
rate = "1"

[[rules]]
id = "big-basket"
kind = "fixed_bonus"
amount = 100
when = { min_basket_minor = 50000 }

[redeem]
points = 100
value_minor = 1000
min_points = 100
"""


def test_a_refund_that_undoes_a_spent_bonus_leaves_a_debt_that_blocks_redemption(
    own_ledger: LedgerUnderTest, new_till: TillFactory, tmp_path: Path
) -> None:
    ledger = own_ledger
    document = tmp_path / "bonus500.toml"
    document.write_text(BONUS500, encoding="utf-8")
    done = ledger.handle.admin("rules", "publish", str(document), "--effective-from", "now")
    assert done.returncode == 0, done.stderr
    (card,) = ledger.add_members(0)
    rig = new_till(ledger)
    rig.sync_until_settled()

    till = rig.till
    till.scan(card)
    till.add_amount("450.00", name="Kettle")
    till.add_amount("75.00", name="Mug")
    till.set_quantity(2, 2)
    sale = till.finish_sale()
    assert sale.postings["points"] == 600 + 100  # 1 per krone, +100 from 500.00
    rig.sync_until_settled()
    till.redeem(600)  # spent down to 100
    rig.sync_until_settled()

    refund = till.refund(sale.receipt_no, {2: 2})  # 450.00 left: 450, no bonus
    assert refund.postings["points"] == -250
    rig.sync_until_settled()

    assert findings(ledger, rig.terminal_id) == []  # a refund into debt is no overdraft
    assert assert_accounts_agree(ledger, rig, card)["points"] == -150
    till.scan(card)
    with pytest.raises(RedemptionRefused):
        till.redeem(100)
    assert_ledger_holds_journal_once(ledger, rig)
    assert_verify_passes(ledger)


def test_a_till_that_sells_under_a_superseded_version_is_flagged_stale_and_honoured(
    own_ledger: LedgerUnderTest, new_till: TillFactory
) -> None:
    ledger = own_ledger
    kiwi = publish(ledger, "kiwi")
    (card,) = ledger.add_members(0)
    rig = new_till(ledger)
    rig.sync_until_settled()
    newer = publish(ledger, "weekend-dairy")  # in force at once; the till has not heard
    assert newer > kiwi

    rig.till.scan(card)
    rig.till.add_amount("100.00", name="Strawberries", tags=FRESH)
    stale = rig.till.finish_sale()
    assert stale.postings["bonus"] == 1500  # what Kiwi Pluss gives
    rig.sync_until_settled()

    (finding,) = findings(ledger, rig.terminal_id)
    assert finding[:2] == ("stale_version", 1)
    assert f"used version {kiwi}" in finding[2] and f"version {newer} was in force" in finding[2]
    assert ledger.member(card).accounts["bonus"] == 1500  # what the till recorded stands
    assert "stale_version" in ledger.member(card).flag_reasons
    assert_accounts_agree(ledger, rig, card)

    # The pull brought the newer version: the next sale uses it and is not flagged, and
    # a refund of the stale sale is computed under the sale's own version, unflagged.
    assert rig.till.version().version == newer
    rig.till.scan(card)
    rig.till.add_amount("50.00", name="Cheese", tags=frozenset({"dairy"}))
    rig.till.finish_sale()
    refund = rig.till.refund(stale.receipt_no)
    assert refund.postings["bonus"] == -1500
    rig.sync_until_settled()
    assert [f[:2] for f in findings(ledger, rig.terminal_id)] == [("stale_version", 1)]
    assert rig.journal()[-1].get("programme")["version"] == kiwi
    assert_accounts_agree(ledger, rig, card)
    assert_ledger_holds_journal_once(ledger, rig)
    assert_verify_passes(ledger)


def test_a_tampered_sale_is_applied_as_sent_and_flagged_as_a_computation_mismatch(
    own_ledger: LedgerUnderTest, new_till: TillFactory
) -> None:
    ledger = own_ledger
    (card,) = ledger.add_members(100)
    rig = new_till(ledger)
    rig.sync_until_settled()
    rig.till.scan(card)
    rig.till.add_amount("59.90", name="Scarf")
    rig.till.add_amount("40.10", name="Gloves")
    rig.till.finish_sale()  # recorded, never synced by the till itself
    honest = rig.journal()[-1]
    assert honest.postings == {"points": 100, "qualifying_spend": 10000}

    # Someone with the till's token changes the points and recomputes the hash by hand.
    content = dict(honest.content)
    content["postings"] = {"points": 1000, "qualifying_spend": 10000}
    tampered = Event(content, compute_hash(content))
    token = rig.config.ledger.token
    assert token is not None
    answer = push(ledger.handle, token, rig.terminal_id, [tampered])

    assert [r["status"] for r in answer["results"]] == ["accepted"]
    assert answer["stopped_at"] is None
    (finding,) = findings(ledger, rig.terminal_id)
    assert finding[:2] == ("computation_mismatch", 1)
    assert "postings" in finding[2] and "1000" in finding[2]
    assert ledger.balance(card) == 100 + 1000  # applied as sent, never corrected
    assert ledger.member(card).flagged
    assert_verify_passes(ledger)


def _refund_event(after: Event, like: Event, returned: dict[int, int]) -> Event:
    """A refund chained after ``after``, copying the fields of the refund ``like`` but
    returning ``returned`` (units per line)."""
    fields = {
        k: v
        for k, v in like.content.items()
        if k not in ("schema", "event_id", "terminal_id", "seq", "kind", "recorded_at")
        and k != "prev_hash"
    }
    fields["returned"] = [{"line": line, "qty": qty} for line, qty in sorted(returned.items())]
    return build_event(
        terminal_id=after.terminal_id,
        seq=after.seq + 1,
        prev_hash=after.hash,
        kind=EventKind.REFUND,
        event_id=str(uuid.uuid4()),
        **fields,
    )


def test_a_refund_returning_more_than_its_sale_sold_stops_the_stream_as_malformed(
    own_ledger: LedgerUnderTest, new_till: TillFactory
) -> None:
    ledger = own_ledger
    (card,) = ledger.add_members(0)
    rig = new_till(ledger)
    rig.sync_until_settled()
    rig.till.scan(card)
    rig.till.add_amount("15.00", name="Yoghurt")
    rig.till.set_quantity(1, 2)
    sale = rig.till.finish_sale()
    rig.till.refund(sale.receipt_no, {1: 1})  # one of the two back, honestly
    rig.sync_until_settled()
    balance = ledger.balance(card)
    assert balance == 15

    # A refund of two more units of line 1, where one is left (never made by a till).
    last = rig.journal()[-1]
    beyond = _refund_event(last, last, {1: 2})
    token = rig.config.ledger.token
    assert token is not None
    answer = push(ledger.handle, token, rig.terminal_id, [beyond])

    assert answer["results"][0]["status"] == "rejected"
    stop = answer["stopped_at"]
    assert (stop["seq"], stop["code"]) == (3, "malformed")
    assert "line 1 has 1 left to refund, not 2" in stop["reason"]
    assert ledger.high_water(rig.terminal_id) == 2  # not applied
    assert ledger.balance(card) == balance
    assert [f[:2] for f in findings(ledger, rig.terminal_id)] == [("malformed", 3)]
    assert_verify_passes(ledger)
    assert_ledger_holds_journal_once(ledger, rig)  # the till's own journal is untouched
