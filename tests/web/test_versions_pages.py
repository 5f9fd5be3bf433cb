"""Programme versions over HTTP: the list, one version, and a candidate published
only after its simulation was shown, exactly as simulated; head office only."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.web.support import HEAD_OFFICE, S1_MANAGER, WebLedger, form_token

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "programmes"
DOUBLE_POINTS = (
    (EXAMPLES / "points.toml")
    .read_text(encoding="utf-8")
    .replace('id = "points"', 'id = "points-double"')
)


def version_numbers(web: WebLedger) -> list[int]:
    with web.db.snapshot() as tx:
        return [int(r[0]) for r in tx.query("SELECT version FROM programme_versions ORDER BY 1")]


def simulate(client: httpx.Client, document: str, **fields: str) -> httpx.Response:
    token = form_token(client.get("/admin/versions/new").text)
    data = {"csrf": token, "document": document, "effective_from": "now", "since": "2026-01-01"}
    return client.post("/admin/versions/simulate", data={**data, **fields})


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found is not None, name
    return found.group(1)


def test_a_candidate_is_simulated_then_published_and_audited(any_web: WebLedger):
    (card,) = any_web.add_members(0)
    any_web.sales("S1", card, 12_345)
    client = any_web.signed_in(HEAD_OFFICE)
    listed = client.get("/admin/versions")
    assert listed.status_code == 200 and "in force" in listed.text
    before = version_numbers(any_web)

    shown = simulate(client, DOUBLE_POINTS)
    assert shown.status_code == 200, shown.text
    assert re.search(r"1 sale and 0 refunds\s+recorded since 2026-01-01", shown.text)
    assert "Publish this version" in shown.text
    assert version_numbers(any_web) == before  # simulating publishes nothing

    published = client.post(
        "/admin/versions/publish",
        data={
            "csrf": form_token(shown.text),
            "document": DOUBLE_POINTS,
            "digest": hidden(shown.text, "digest"),
            "effective_from": "now",
            "since": "2026-01-01",
        },
    )
    assert published.status_code == 303, published.text
    number = max(version_numbers(any_web))
    assert number == max(before) + 1
    assert published.headers["location"] == f"/admin/versions/{number}?done=published"
    view = client.get(published.headers["location"])
    assert "Published. Tills take it at their next sync." in view.text
    assert "points-double" in view.text
    with any_web.db.snapshot() as tx:
        audit = tx.one(
            "SELECT actor FROM audit WHERE action = 'programme.publish' AND subject = ?",
            (str(number),),
        )
    assert audit is not None and audit[0] == "web:hanne"


def test_a_broken_document_or_start_is_refused_next_to_the_field(web: WebLedger):
    client = web.signed_in(HEAD_OFFICE)
    before = version_numbers(web)
    broken = simulate(client, "[programme\nid = ")
    assert broken.status_code == 422
    assert re.search(r'id="e-document">The document: is not valid TOML', broken.text)
    past = simulate(client, DOUBLE_POINTS, effective_from="2020-01-01T00:00")
    assert past.status_code == 422 and 'id="e-effective_from">' in past.text
    assert "is in the past" in past.text
    bad_date = simulate(client, DOUBLE_POINTS, since="yesterday")
    assert bad_date.status_code == 422 and 'id="e-since">A date like 2026-11-01.' in bad_date.text
    assert "points-double" in bad_date.text  # what was typed is kept
    assert version_numbers(web) == before


def test_publishing_needs_the_simulated_document_unchanged(web: WebLedger):
    client = web.signed_in(HEAD_OFFICE)
    before = version_numbers(web)
    shown = simulate(client, DOUBLE_POINTS)
    token = form_token(shown.text)
    tampered = client.post(
        "/admin/versions/publish",
        data={
            "csrf": token,
            "document": DOUBLE_POINTS.replace("points-double", "points-triple"),
            "digest": hidden(shown.text, "digest"),
            "effective_from": "now",
            "since": "2026-01-01",
        },
    )
    assert tampered.status_code == 422 and "not the one simulated" in tampered.text
    unsimulated = client.post(
        "/admin/versions/publish",
        data={"csrf": token, "document": DOUBLE_POINTS, "effective_from": "now", "since": "x"},
    )
    assert unsimulated.status_code == 422
    forged = client.post(
        "/admin/versions/publish",
        data={"csrf": "forged", "document": DOUBLE_POINTS, "digest": hidden(shown.text, "digest")},
    )
    assert forged.status_code == 403
    assert version_numbers(web) == before


def test_change_it_brings_the_candidate_back_to_the_form(web: WebLedger):
    client = web.signed_in(HEAD_OFFICE)
    shown = simulate(client, DOUBLE_POINTS)
    back = client.post(
        "/admin/versions/new",
        data={
            "csrf": form_token(shown.text),
            "document": DOUBLE_POINTS,
            "effective_from": "now",
            "since": "2026-01-01",
        },
    )
    assert back.status_code == 200 and "points-double" in back.text


def test_versions_are_head_office_only_and_an_unknown_one_is_not_found(web: WebLedger):
    sam = web.signed_in(S1_MANAGER)
    for path in ("/admin/versions", "/admin/versions/1", "/admin/versions/new"):
        answer = sam.get(path)
        assert answer.status_code == 403 and "Only head office may" in answer.text
    token = form_token(sam.get("/admin/").text)
    refused = sam.post("/admin/versions/simulate", data={"csrf": token, "document": "x"})
    assert refused.status_code == 403
    assert "Programme versions" not in sam.get("/admin/").text  # not in the menu
    hanne = web.signed_in(HEAD_OFFICE)
    assert hanne.get("/admin/versions/999").status_code == 404


def test_publishing_sent_twice_publishes_one_version(web: WebLedger):
    client = web.signed_in(HEAD_OFFICE)
    before = version_numbers(web)
    shown = simulate(client, DOUBLE_POINTS)
    data = {
        "csrf": form_token(shown.text),
        "form_id": hidden(shown.text, "form_id"),
        "document": DOUBLE_POINTS,
        "digest": hidden(shown.text, "digest"),
        "effective_from": "now",
        "since": "2026-01-01",
    }
    first = client.post("/admin/versions/publish", data=data)
    second = client.post("/admin/versions/publish", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert version_numbers(web) == [*before, max(before) + 1]


def test_a_version_starting_later_is_listed_as_scheduled(web: WebLedger):
    client = web.signed_in(HEAD_OFFICE)
    later = DOUBLE_POINTS.replace("points-double", "points-next-year")
    shown = simulate(client, later, effective_from="2027-06-01T00:00")
    assert shown.status_code == 200, shown.text
    published = client.post(
        "/admin/versions/publish",
        data={
            "csrf": form_token(shown.text),
            "document": later,
            "digest": hidden(shown.text, "digest"),
            "effective_from": "2027-06-01T00:00",
            "since": "2026-01-01",
        },
    )
    assert published.status_code == 303
    listed = client.get("/admin/versions").text
    row = listed[listed.index("points-next-year") - 400 : listed.index("points-next-year") + 400]
    assert '<span class="tag">scheduled</span>' in row
    assert listed.count('<span class="tag">in force</span>') == 1


def test_a_store_manager_cannot_publish_or_reopen_a_candidate(web: WebLedger):
    sam = web.signed_in(S1_MANAGER)
    token = form_token(sam.get("/admin/").text)
    before = version_numbers(web)
    for path in ("/admin/versions/publish", "/admin/versions/new"):
        answer = sam.post(
            path,
            data={
                "csrf": token,
                "document": DOUBLE_POINTS,
                "digest": "0" * 64,
                "effective_from": "now",
                "since": "2026-01-01",
            },
        )
        assert answer.status_code == 403 and "Only head office may" in answer.text
    assert version_numbers(web) == before
