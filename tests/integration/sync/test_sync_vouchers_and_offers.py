"""One voucher and one personal offer used at two offline tills, through real tills and
the real ledger server (SQLite and PostgreSQL): a member's 150 points become a
voucher at the ledger, it reaches both tills with an offer the member was assigned,
both tills go offline and sell to the member with the voucher scanned and the offer
applying by itself, and both receipts stand when they sync: the ledger accepts the
earlier use of each and records the later one as overuse with its exposure, the
tills' balances agree with the ledger's, and verify passes. A third use at a till
that already used them is refused at that till."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ledger import programmes
from ledger.offers import import_offers
from loyalty.programme import load_programme_file
from pos_client.errors import SaleRefused
from pos_client.till import local_now
from tests.integration.sync.rig import (
    REPO_ROOT,
    LedgerUnderTest,
    TillRig,
    assert_ledger_holds_journal_once,
    assert_verify_passes,
)

HM = REPO_ROOT / "examples" / "programmes" / "hm.toml"


@pytest.fixture(scope="module")
def hm_ledger(any_ledger: LedgerUnderTest) -> LedgerUnderTest:
    with any_ledger.db.write() as tx:
        programmes.publish_version(tx, load_programme_file(HM), "now", check_lead=False)
    return any_ledger


def sell(rig: TillRig, card: str, amount: str, voucher: str | None = None) -> str:
    """Scan the card, type an amount, scan the voucher if any, finish; the event id."""
    till = rig.till
    till.scan_code(card)
    till.add_amount(amount, tags=frozenset({"jeans"}))
    if voucher is not None:
        till.scan_code(voucher)
    return till.finish_sale().event_id


def anomalies(ledger: LedgerUnderTest, member_id: str) -> list[tuple[str, str, str]]:
    with ledger.db.snapshot() as tx:
        rows = tx.query(
            "SELECT kind, event_id, detail FROM anomalies WHERE member_id = ? "
            "AND kind IN ('offer_overuse', 'voucher_overuse') ORDER BY kind",
            (member_id,),
        )
    return [(str(k), str(e), str(d)) for k, e, d in rows]


def test_two_offline_tills_use_one_voucher_and_one_offer(
    hm_ledger: LedgerUnderTest, new_till, tmp_path: Path
):
    ledger = hm_ledger
    (card,) = ledger.add_members(0)
    first, second = new_till(ledger), new_till(ledger)
    assert first.sync()
    sell(first, card, "160.00")  # 160 points: the push converts 150 into a voucher
    assert first.sync() and first.sync()
    member = ledger.member(card)
    (voucher,) = member.vouchers
    offers = tmp_path / "offers.csv"
    offers.write_text(f"card,template\n{card},jeans-20\n", encoding="utf-8")
    import_offers(ledger.db, offers, datetime.now(UTC).date())
    assert first.sync() and second.sync()
    for rig in (first, second):
        shown = rig.till.lookup(card)
        assert [v.number for v in shown.vouchers] == [voucher.number]
        assert [o.template for o in shown.offers] == ["jeans-20"]

    first.link.set_connected(False)
    second.link.set_connected(False)
    now = local_now()
    second.till.clock = lambda: now  # the earlier use ...
    first.till.clock = lambda: now + timedelta(minutes=2)  # ... the later, whichever syncs first
    # 50.00 of jeans: the offer takes 10.00 off, the voucher 3.00: 37.00 paid.
    used_second = sell(second, card, "50.00", voucher.number)
    used_first = sell(first, card, "50.00", voucher.number)
    receipt = next(e for e in second.journal() if e.event_id == used_second)
    assert receipt.get("vouchers_used") == [{"number": voucher.number, "discount_minor": 300}]
    assert receipt.get("offers_used")[0]["discount_minor"] == 1000
    assert receipt.postings["points"] == 37

    first.till.scan_code(card)  # a third use at a till that used both: refused there
    with pytest.raises(SaleRefused, match="already used at this till"):
        first.till.scan_code(voucher.number)
    first.till.add_amount("50.00", tags=frozenset({"jeans"}))
    assert first.till.sale().offers == ()  # the offer does not apply a second time
    first.till.discard_sale()

    first.link.set_connected(True)
    first.sync_until_settled()  # the later use reaches the ledger first
    second.link.set_connected(True)
    second.sync_until_settled()
    found = anomalies(ledger, member.member_id)
    assert [(k, e) for k, e, _ in found] == [
        ("offer_overuse", used_first),
        ("voucher_overuse", used_first),
    ]
    assert "exposure 300 minor units GBP" in found[1][2]
    assert "exposure 1000 minor units GBP" in found[0][2]
    assert ledger.member(card).accounts["points"] == 10 + 37 + 37  # both receipts stand
    for rig in (first, second):
        rig.sync()
        assert rig.till.lookup(card).total("points") == 84
        assert_ledger_holds_journal_once(ledger, rig)
    assert_verify_passes(ledger)
