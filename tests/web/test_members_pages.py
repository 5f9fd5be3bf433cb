"""The members section over HTTP: search by each key, a member's page, the actions
(adjust, replace the card, block) with their audit entries and bad input, and a store
manager kept to the members who shop at their stores."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx

from ledger import programmes
from ledger.anomaly_admin import list_anomalies
from loyalty.programme.document import load_programme_file
from tests.integration.ledger.support import fresh_card
from tests.web.support import HEAD_OFFICE, S1_MANAGER, WebLedger, form_token, web_ledger

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "programmes"


def member_id_of(web: WebLedger, card: str) -> str:
    with web.db.snapshot() as tx:
        row = tx.one("SELECT member_id FROM members WHERE card = ?", (card,))
    assert row is not None
    return str(row[0])


def balance(web: WebLedger, member_id: str) -> int:
    with web.db.snapshot() as tx:
        row = tx.one("SELECT accounts FROM members WHERE member_id = ?", (member_id,))
    assert row is not None
    return int(json.loads(str(row[0])).get("points", 0))


def audit(web: WebLedger, member_id: str) -> list[tuple[str, str]]:
    with web.db.snapshot() as tx:
        rows = tx.query(
            "SELECT actor, action FROM audit WHERE subject = ? ORDER BY audit_id", (member_id,)
        )
    return [(str(r[0]), str(r[1])) for r in rows]


def post(client: httpx.Client, path: str, **data: str) -> httpx.Response:
    token = form_token(client.get(path.rsplit("/", 1)[0]).text)
    return client.post(path, data={"csrf": token, **data})


def test_search_finds_a_member_by_card_member_id_name_and_phone(any_web: WebLedger):
    (card,) = any_web.add_members(150)
    member_id = member_id_of(any_web, card)
    with any_web.db.write() as tx:
        tx.execute(
            "UPDATE members SET name = ?, phone = ? WHERE member_id = ?",
            ("Ingrid Åsheim", "+4791234567", member_id),
        )
    client = any_web.signed_in(HEAD_OFFICE)
    for q in (card, member_id, "åsheim", "91234567", "+47 912 34 567"):
        page = client.get("/admin/members", params={"q": q})
        assert page.status_code == 200
        assert f'href="/admin/members/{member_id}"' in page.text, q
    nothing = client.get("/admin/members", params={"q": "no such person zzz"})
    assert "No member matches" in nothing.text
    fragment = client.get("/admin/members", params={"q": card}, headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and member_id in fragment.text


def test_the_member_page_shows_accounts_history_by_till_and_cards(web: WebLedger):
    (card,) = web.add_members(100)
    member_id = member_id_of(web, card)
    first = web.sales("S1", card, 10_000, operator="C1")
    second = web.sales("S2", card, 5_000, operator="C2")
    client = web.signed_in(HEAD_OFFICE)
    page = client.get(f"/admin/members/{member_id}")
    assert page.status_code == 200
    assert re.search(r"points <strong>250</strong>", page.text)
    assert first in page.text and second in page.text and "C1" in page.text
    only_first = client.get(f"/admin/members/{member_id}", params={"till": first}).text
    history = only_first[only_first.index('id="history"') :]
    assert first in history and f"{second} #" not in history
    assert client.get("/admin/members/NOPE").status_code == 404


def test_an_adjustment_is_an_event_the_ledger_counts_and_verify_agrees(any_web: WebLedger):
    (card,) = any_web.add_members(300)
    member_id = member_id_of(any_web, card)
    client = any_web.signed_in(HEAD_OFFICE)
    answer = post(
        client,
        f"/admin/members/{member_id}/adjust",
        wallet="points",
        units="-120",
        note="Double-counted receipt 4411",
    )
    assert answer.status_code == 303 and answer.headers["location"].endswith("?done=adjusted")
    assert balance(any_web, member_id) == 180
    page = client.get(answer.headers["location"]).text
    assert "The adjustment is recorded." in page and "points -120" in page
    assert audit(any_web, member_id) == [("web:hanne", "member.adjust")]
    with any_web.db.snapshot() as tx:
        event = tx.one(
            "SELECT terminal_id, kind, document FROM events "
            "WHERE member_id = ? AND kind = 'adjust'",
            (member_id,),
        )
    assert event is not None and event[0] == "LEDGER"
    assert '"operator":"web:hanne"' in str(event[2]) and "Double-counted" in str(event[2])
    verify = subprocess.run(
        [sys.executable, "-m", "ledger.cli", "verify", "--db", any_web.db_url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_a_large_adjustment_is_flagged_for_review(web: WebLedger):
    (card,) = web.add_members(0)
    member_id = member_id_of(web, card)
    client = web.signed_in(HEAD_OFFICE)
    answer = post(
        client, f"/admin/members/{member_id}/adjust", wallet="points", units="5000", note="Goodwill"
    )
    assert answer.headers["location"].endswith("?done=flagged")
    with web.db.snapshot() as tx:
        kinds = [a.kind for a in list_anomalies(tx) if a.member_id == member_id]
    assert kinds == ["large_adjustment"]


def test_bad_adjustments_are_refused_next_to_the_field_and_record_nothing(web: WebLedger):
    (card,) = web.add_members(50)
    member_id = member_id_of(web, card)
    client = web.signed_in(HEAD_OFFICE)
    path = f"/admin/members/{member_id}/adjust"
    cases = [
        ({"units": "ten", "note": "x"}, "units", "A whole number"),
        ({"units": "0", "note": "x"}, "units", "not 0"),
        ({"units": "99999999999", "note": "x"}, "units", "from -10000000 to 10000000"),
        ({"units": "-51", "note": "x"}, "units", "below zero"),
        ({"units": "5", "note": "   "}, "note", "Say why"),
        ({"units": "5", "note": "x", "wallet": "gold"}, "wallet", "no wallet"),
    ]
    for data, field, words in cases:
        answer = post(client, path, **{"wallet": "points", **data})
        assert answer.status_code == 422, data
        assert re.search(rf'id="e-{field}">[^<]*{words}', answer.text), (data, answer.text[-2000:])
    assert balance(web, member_id) == 50 and audit(web, member_id) == []
    forged = client.post(path, data={"csrf": "forged", "units": "5", "note": "x"})
    assert forged.status_code == 403 and balance(web, member_id) == 50


def test_replacing_a_card_and_blocking_are_audited_and_checked(web: WebLedger):
    (card,) = web.add_members(10)
    member_id = member_id_of(web, card)
    client = web.signed_in(HEAD_OFFICE)
    bad = post(client, f"/admin/members/{member_id}/card", new_card="12345")
    assert bad.status_code == 422 and 'id="e-new_card">New card' in bad.text
    new = fresh_card()
    done = post(client, f"/admin/members/{member_id}/card", new_card=new)
    assert done.status_code == 303
    found = client.get("/admin/members", params={"q": card}).text  # the old card finds them
    assert f'href="/admin/members/{member_id}"' in found and new in found
    blocked = post(client, f"/admin/members/{member_id}/status", status="blocked")
    assert blocked.headers["location"].endswith("?done=blocked")
    assert "Unblock" in client.get(blocked.headers["location"]).text
    assert audit(web, member_id) == [
        ("web:hanne", "member.replace_card"),
        ("web:hanne", "member.block"),
    ]


def test_a_store_manager_sees_and_acts_only_on_their_stores_members(web: WebLedger):
    own, other = web.add_members(100, 100)
    web.sales("S1", own, 1_000)
    web.sales("S2", other, 1_000)
    sam = web.signed_in(S1_MANAGER)
    own_id, other_id = member_id_of(web, own), member_id_of(web, other)
    assert sam.get(f"/admin/members/{own_id}").status_code == 200
    refused = sam.get(f"/admin/members/{other_id}")
    assert refused.status_code == 403 and "has not shopped at your stores" in refused.text
    assert other not in refused.text
    assert "No member matches" in sam.get("/admin/members", params={"q": other}).text
    token = form_token(sam.get("/admin/").text)
    acted = sam.post(
        f"/admin/members/{other_id}/adjust",
        data={"csrf": token, "wallet": "points", "units": "5", "note": "not mine"},
    )
    assert acted.status_code == 403 and balance(web, other_id) == 110
    ok = post(sam, f"/admin/members/{own_id}/adjust", wallet="points", units="5", note="Mine")
    assert ok.status_code == 303
    assert audit(web, own_id) == [("web:sam", "member.adjust")]


def test_an_adjustment_sent_twice_is_recorded_once(any_web: WebLedger):
    """A double click (the same form sent twice) adjusts once; both answers lead to the
    member's page saying it is done."""
    (card,) = any_web.add_members(100)
    member_id = member_id_of(any_web, card)
    client = any_web.signed_in(HEAD_OFFICE)
    page = client.get(f"/admin/members/{member_id}").text
    adjust_form = page[page.index('id="adjust"') :]
    data = {
        "csrf": form_token(adjust_form),
        "form_id": re.search(r'name="form_id" value="([^"]+)"', adjust_form).group(1),  # type: ignore[union-attr]
        "wallet": "points",
        "units": "25",
        "note": "Birthday goodwill",
    }
    first = client.post(f"/admin/members/{member_id}/adjust", data=data)
    second = client.post(f"/admin/members/{member_id}/adjust", data=data)
    assert first.headers["location"] == second.headers["location"]
    assert balance(any_web, member_id) == 125
    assert audit(any_web, member_id) == [("web:hanne", "member.adjust")]


def test_the_member_page_says_what_is_still_needed_for_the_next_tier(tmp_path):
    """Under a programme qualifying tiers by spend in a calendar year (Sephora style:
    VIB at 350.00), a member with no spend this year needs all of it."""
    sephora = load_programme_file(EXAMPLES / "sephora.toml")
    with web_ledger("sqlite", tmp_path) as web:
        with web.db.write() as tx:
            programmes.publish_version(tx, sephora, "now", now=datetime.now(UTC))
        (card,) = web.add_members(0)
        member_id = member_id_of(web, card)
        with web.db.write() as tx:
            tx.execute("UPDATE members SET tier = 'insider' WHERE member_id = ?", (member_id,))
        page = web.signed_in(HEAD_OFFICE).get(f"/admin/members/{member_id}").text
        tier = page[page.index('id="tier"') :]
        assert tier.startswith('id="tier">insider') and "35000 more to vib" in tier[:200]
