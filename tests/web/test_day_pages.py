"""The day over HTTP and as CSV: sales, redemptions and adjustments per store, till
and cashier on one business day (the programme's time zone), and store managers kept
to their stores."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from ledger.day_report import CSV_COLUMNS
from tests.web.support import HEAD_OFFICE, S1_MANAGER, WebLedger

DAY = "2026-11-25"
"""The business day of every event an EventChain records (12:00 UTC)."""


def record_day(web: WebLedger) -> tuple[str, str]:
    """At S1: two sales by C1, a redemption, a manager's adjustment, and a sale the
    day before; at S2: one sale by C9. The two tills' ids."""
    (card, other) = web.add_members(1000, 0)
    s1 = web.till("S1")
    chain = s1.chain
    events = [chain.earn(card, 10_000, operator="C1"), chain.earn(card, 5_000, operator="C1")]
    events.append(chain.redeem(card, 300))
    events.append(chain.adjust(card, 40, operator="M1"))
    chain.at -= timedelta(days=1)
    events.append(chain.earn(card, 7_000, operator="C1"))  # the day before
    s1.push(events)
    return s1.chain.terminal_id, web.sales("S2", other, 2_000, operator="C9")


def test_the_day_per_store_till_and_cashier_and_its_csv(any_web: WebLedger):
    till1, till2 = record_day(any_web)
    client = any_web.signed_in(HEAD_OFFICE)
    page = client.get("/admin/day", params={"date": DAY})
    assert page.status_code == 200
    assert '<option value="S1">S1</option>' in page.text  # the day's stores to choose from
    by_store = page.text[page.text.index('id="by-store"') : page.text.index('id="by-till"')]
    assert "<td>S1</td>" in by_store and "<td>S2</td>" in by_store
    assert "points=150" in by_store and "points=300" in by_store and "points=40" in by_store
    by_cashier = page.text[page.text.index('id="by-cashier"') :]
    assert "<td>C1</td>" in by_cashier and "<td>C9</td>" in by_cashier
    answer = client.get("/admin/day.csv", params={"date": DAY})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert f'filename="day-{DAY}.csv"' in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    mine = {(r["store"], r["till"], r["cashier"]): r for r in rows if r["till"] in (till1, till2)}
    assert mine[("S1", till1, "C1")]["sales"] == "2"
    assert mine[("S1", till1, "C1")]["earned"] == "points=150"
    assert mine[("S1", till1, "")]["redeemed"] == "points=300"
    assert mine[("S1", till1, "M1")]["corrected"] == "points=40"
    assert mine[("S2", till2, "C9")]["earned"] == "points=20"
    day_before = client.get("/admin/day.csv", params={"date": "2026-11-24"}).text
    assert till2 not in day_before and "points=70" in day_before


def test_a_store_manager_sees_their_store_and_is_refused_another(web: WebLedger):
    till1, till2 = record_day(web)
    sam = web.signed_in(S1_MANAGER)
    page = sam.get("/admin/day", params={"date": DAY})
    assert page.status_code == 200 and till1 in page.text and till2 not in page.text
    rows = sam.get("/admin/day.csv", params={"date": DAY}).text
    assert till1 in rows and till2 not in rows
    refused = sam.get("/admin/day", params={"date": DAY, "store": "S2"})
    assert refused.status_code == 403 and "Store S2 is not one of yours." in refused.text
    assert sam.get("/admin/day.csv", params={"date": DAY, "store": "S2"}).status_code == 403


def test_a_bad_date_is_named_next_to_the_field(web: WebLedger):
    client = web.signed_in(HEAD_OFFICE)
    page = client.get("/admin/day", params={"date": "25.11.2026"})
    assert page.status_code == 422 and 'id="e-date">A date like 2026-12-04.' in page.text
    answer = client.get("/admin/day.csv", params={"date": "soon"})
    assert answer.status_code == 422 and "A date like" in answer.text
    today = client.get("/admin/day")
    assert today.status_code == 200 and "Download CSV" in today.text
