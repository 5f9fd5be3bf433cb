"""The product catalogue: ``pos-ledger products import FILE.csv`` checks every line
before it imports anything, keeps UPC-A as EAN-13, refuses the member-card range and
gives a change number only to what changed; the changes feed carries products to the
tills, which sell them by sku or by scanning their barcode.
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ledger.db import connect
from loyalty.cards import make_card_number
from loyalty.gtin import gtin_check_digit
from pos_client.errors import UnknownProduct
from pos_client.till import Till
from sync.protocol import Change, ChangesResponse
from tests.integration.ledger.support import LedgerHandle, fresh_terminal_name, run_admin
from tests.integration.sync.rig import LedgerUnderTest, TillRig

_bodies = itertools.count(random.randrange(10**8, 9 * 10**8) * 10)


def ean13() -> str:
    """A valid EAN-13 outside the in-store range, used by no other test of this run."""
    body = f"70{next(_bodies):010d}"
    return body + str(gtin_check_digit(body))


def upc_a() -> str:
    """A valid 12-digit UPC-A (its EAN-13 form starts with 0)."""
    body = f"0{next(_bodies):010d}"
    return body + str(gtin_check_digit(body))


def ean8() -> str:
    body = f"{next(_bodies) % 10**7:07d}"
    return body + str(gtin_check_digit(body))


def with_wrong_check_digit(code: str) -> str:
    return code[:-1] + str((int(code[-1]) + 1) % 10)


def write_csv(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def stored_products(
    db_url: str, skus: list[str]
) -> dict[str, tuple[str, int, list[str], bool, int]]:
    """sku → (name, price_minor, tags, active, change_no) as the ledger stores them."""
    db = connect(db_url)
    try:
        with db.snapshot() as tx:
            condition, params = tx.in_list("sku", skus)
            rows = tx.query(
                "SELECT sku, name, price_minor, tags, active, change_no FROM products "
                f"WHERE {condition}",
                params,
            )
    finally:
        db.close()
    return {
        str(r[0]): (str(r[1]), int(r[2]), json.loads(r[3]), bool(r[4]), int(r[5])) for r in rows
    }


def changes_counter(db_url: str) -> int:
    db = connect(db_url)
    try:
        with db.snapshot() as tx:
            row = tx.one("SELECT value FROM counters WHERE name = 'changes'")
    finally:
        db.close()
    assert row is not None
    return int(row[0])


def test_a_valid_csv_is_imported_with_upc_a_kept_as_ean_13(
    ledger: LedgerHandle, tmp_path: Path
) -> None:
    milk, upc, small = ean13(), upc_a(), ean8()
    csv = write_csv(
        tmp_path / "products.csv",
        [
            "sku,name,price,tags,active",
            f"{milk},Lettmelk 1 l,21.90,dairy; milk,yes",
            f"{upc},Peanut butter,39.90,,",
            f"{small},Chewing gum,12,,no",
        ],
    )
    done = run_admin(ledger.db_url, "products", "import", str(csv))
    assert done.returncode == 0, done.stderr
    assert "3 created, 0 updated, 0 unchanged (prices in NOK)" in done.stdout
    stored = stored_products(ledger.db_url, [milk, "0" + upc, upc, small])
    assert {sku: row[:4] for sku, row in stored.items()} == {
        milk: ("Lettmelk 1 l", 2190, ["dairy", "milk"], True),
        "0" + upc: ("Peanut butter", 3990, [], True),
        small: ("Chewing gum", 1200, [], False),
    }


def test_every_bad_line_is_reported_with_its_line_number_and_nothing_is_imported(
    ledger: LedgerHandle, tmp_path: Path
) -> None:
    good, twice, upc = ean13(), ean13(), upc_a()
    card = make_card_number(random.randrange(10**6, 10**7))
    lines = [
        "sku,name,price,tags,active",
        f"{good},Good bread,34.90,bakery",  # line 2
        f"{with_wrong_check_digit(ean13())},Misread,10.00,",  # 3
        f"{ean13()},Bad price,12.345,",  # 4
        f"{card},A member card,10.00,",  # 5
        f"{twice},First,10.00,",  # 6: good, but see line 7
        f"{twice},Second,11.00,",  # 7
        f"{ean13()},Bad tag,10.00,fresh produce",  # 8
        f"{ean13()},,10.00,",  # 9
        f"{ean13()},Too many,10.00,,yes,extra",  # 10
        f"{ean13()},Maybe,10.00,,perhaps",  # 11
        f"{upc},Peanut butter,39.90,,",  # 12: good
        f"0{upc},Peanut butter again,39.90,,",  # 13: the same product as its EAN-13
    ]
    csv = write_csv(tmp_path / "bad.csv", lines)
    refused = run_admin(ledger.db_url, "products", "import", str(csv))
    assert refused.returncode == 1
    report = refused.stderr
    assert "Nothing was imported:" in report
    for number in (3, 4, 5, 7, 8, 9, 10, 11, 13):
        assert f"{csv}:{number}: " in report, f"line {number} is not reported:\n{report}"
    for number in (2, 6, 12):
        assert f"{csv}:{number}:" not in report
    assert "is not an EAN-13, EAN-8 or UPC-A with a valid check digit" in report
    assert f"sku {card} is in the in-store range (2...), which is for member cards." in report
    assert f"sku {twice} is also on line 6." in report
    assert "active 'perhaps' must be yes or no." in report
    assert f"sku 0{upc} is also on line 12." in report
    assert stored_products(ledger.db_url, [good, twice, "0" + upc]) == {}


def test_a_member_card_number_is_refused_as_a_product(ledger: LedgerHandle, tmp_path: Path) -> None:
    card = make_card_number(random.randrange(10**6, 10**7))
    csv = write_csv(tmp_path / "card.csv", ["sku,name,price", f"{card},Card,1.00"])
    refused = run_admin(ledger.db_url, "products", "import", str(csv))
    assert refused.returncode == 1
    assert f"{csv}:2: sku {card} is in the in-store range" in refused.stderr
    assert stored_products(ledger.db_url, [card]) == {}


def _pull(client: httpx.Client, since: str | None) -> ChangesResponse:
    answer = client.get("/v1/changes", params={"since": since} if since else {})
    assert answer.status_code == 200, answer.text
    return ChangesResponse.model_validate_json(answer.content)


def _drain(client: httpx.Client, since: str | None = None) -> tuple[list[Change], str]:
    """Every change after ``since``, and the cursor at the end."""
    changes: list[Change] = []
    for _ in range(1000):
        page = _pull(client, since)
        changes += page.changes
        since = page.next_cursor
        if not page.has_more:
            return changes, since
    raise AssertionError("the feed never ended")


def test_importing_again_is_idempotent_and_only_changed_products_take_a_change_number(
    ledger: LedgerHandle, tmp_path: Path
) -> None:
    client = ledger.client(ledger.add_terminal())
    skus = [ean13(), ean13(), ean13()]
    rows = ["sku,name,price,tags"] + [f"{s},Item {i},{10 + i}.00,misc" for i, s in enumerate(skus)]
    csv = write_csv(tmp_path / "catalogue.csv", rows)
    assert run_admin(ledger.db_url, "products", "import", str(csv)).returncode == 0
    first = stored_products(ledger.db_url, skus)
    _, cursor = _drain(client)

    again = run_admin(ledger.db_url, "products", "import", str(csv))
    assert again.returncode == 0, again.stderr
    assert "0 created, 0 updated, 3 unchanged" in again.stdout
    assert stored_products(ledger.db_url, skus) == first
    counter = changes_counter(ledger.db_url)
    assert [c for c in _drain(client, cursor)[0] if c.type == "product"] == []

    rows[2] = f"{skus[1]},Item 1,11.50,misc"  # one price changed
    write_csv(csv, rows)
    changed = run_admin(ledger.db_url, "products", "import", str(csv))
    assert "0 created, 1 updated, 2 unchanged" in changed.stdout
    after = stored_products(ledger.db_url, skus)
    assert after[skus[0]] == first[skus[0]] and after[skus[2]] == first[skus[2]]
    assert after[skus[1]][1] == 1150 and after[skus[1]][4] > counter
    feed, _ = _drain(client, cursor)
    assert [(c.sku, c.price_minor) for c in feed if c.type == "product"] == [(skus[1], 1150)]


@pytest.fixture
def ledger_under_test(ledger: LedgerHandle, tmp_path: Path) -> Iterator[LedgerUnderTest]:
    under_test = LedgerUnderTest(ledger, tmp_path)
    try:
        yield under_test
    finally:
        under_test.close()


def test_products_reach_the_till_which_sells_them_by_sku_and_by_barcode(
    ledger: LedgerHandle, ledger_under_test: LedgerUnderTest, tmp_path: Path
) -> None:
    milk, upc, gone = ean13(), upc_a(), ean13()
    csv = write_csv(
        tmp_path / "shop.csv",
        [
            "sku,name,price,tags,active",
            f"{milk},Lettmelk 1 l,21.90,dairy;milk,yes",
            f"{upc},Peanut butter,39.90,spread,yes",
            f"{gone},Old biscuits,15.00,,no",
        ],
    )
    assert run_admin(ledger.db_url, "products", "import", str(csv)).returncode == 0
    (card,) = ledger_under_test.add_members(0)
    terminal_id = fresh_terminal_name("PR")
    rig = TillRig(
        ledger_under_test, tmp_path / "till", terminal_id, ledger.add_terminal(terminal_id)
    )
    try:
        rig.sync_until_settled()
        till: Till = rig.till
        till.scan_code(card)  # a member card selects the member
        view = till.add_product(milk)
        assert [(v.sku, v.name, v.unit_minor, v.tags) for v in view.lines] == [
            (milk, "Lettmelk 1 l", 2190, ("dairy", "milk"))
        ]
        view = till.scan_code(upc)  # scanned as UPC-A, found as its EAN-13
        assert [(v.sku, v.name, v.unit_minor, v.tags) for v in view.lines][1] == (
            "0" + upc,
            "Peanut butter",
            3990,
            ("spread",),
        )
        with pytest.raises(UnknownProduct):
            till.add_product(gone)  # withdrawn from sale
        with pytest.raises(UnknownProduct):
            till.scan_code(ean13())  # not in the catalogue
        sale = till.finish_sale()
        assert sale.postings == {"points": 61, "qualifying_spend": 6180}
        rig.sync_until_settled()
        (event,) = rig.journal()
        assert [
            (line["sku"], line["name"], line["tags"]) for line in event.get("basket")["lines"]
        ] == [
            (milk, "Lettmelk 1 l", ["dairy", "milk"]),
            ("0" + upc, "Peanut butter", ["spread"]),
        ]
        with ledger_under_test.db.snapshot() as tx:
            assert (
                tx.query("SELECT kind FROM anomalies WHERE terminal_id = ?", (terminal_id,)) == []
            )
        assert ledger_under_test.member(card).accounts == {"points": 61, "qualifying_spend": 6180}
    finally:
        rig.close()
