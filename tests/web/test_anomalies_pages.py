"""The anomalies queue over HTTP: what pushes flagged, resolving with a reason, bad
input, and each store manager seeing and deciding only their stores' anomalies."""

from __future__ import annotations

import re

from ledger.anomaly_admin import list_anomalies
from tests.web.support import HEAD_OFFICE, S1_MANAGER, S2_MANAGER, WebLedger, form_token


def mismatch(web: WebLedger, store: str) -> tuple[str, str]:
    """A sale at a new till of ``store`` recording more points than the programme
    gives: (the anomaly's id, the terminal)."""
    (card,) = web.add_members(0)
    till = web.till(store)
    till.push([till.chain.earn(card, 10_000, points=999)])
    with web.db.snapshot() as tx:
        found = [a for a in list_anomalies(tx) if a.terminal_id == till.chain.terminal_id]
    assert [a.kind for a in found] == ["computation_mismatch"]
    return found[0].anomaly_id, till.chain.terminal_id


def audit_of(web: WebLedger, anomaly_id: str) -> list[tuple[str, str]]:
    with web.db.snapshot() as tx:
        rows = tx.query(
            "SELECT actor, action FROM audit WHERE subject = ? ORDER BY audit_id", (anomaly_id,)
        )
    return [(str(r[0]), str(r[1])) for r in rows]


def test_the_queue_shows_a_flagged_sale_and_resolving_it_is_audited(any_web: WebLedger):
    anomaly_id, terminal = mismatch(any_web, "S1")
    client = any_web.signed_in(HEAD_OFFICE)
    page = client.get("/admin/anomalies")
    assert page.status_code == 200
    article = page.text[page.text.index(f'id="a-{anomaly_id}"') :]
    assert "Computation mismatch" in article[:400] and terminal in article[:1500]
    answer = client.post(
        f"/admin/anomalies/{anomaly_id}/resolve",
        data={"csrf": form_token(page.text), "reason": "Till repaired; points corrected"},
    )
    assert (answer.status_code, answer.headers["location"]) == (
        303,
        "/admin/anomalies?done=resolved",
    )
    after = client.get(answer.headers["location"])
    assert "The anomaly is resolved" in after.text and f'id="a-{anomaly_id}"' not in after.text
    everything = client.get("/admin/anomalies?resolved=1").text
    assert "by web:hanne: Till repaired; points corrected" in everything
    assert audit_of(any_web, anomaly_id) == [("web:hanne", "anomaly.resolve")]


def test_an_empty_reason_is_refused_next_to_the_field_and_nothing_changes(web: WebLedger):
    anomaly_id, _ = mismatch(web, "S1")
    client = web.signed_in(HEAD_OFFICE)
    token = form_token(client.get("/admin/anomalies").text)
    answer = client.post(
        f"/admin/anomalies/{anomaly_id}/resolve", data={"csrf": token, "reason": "   "}
    )
    assert answer.status_code == 422
    assert re.search(rf'id="e-{anomaly_id}">Say why, in 1 to 1000 characters.', answer.text)
    too_long = client.post(
        f"/admin/anomalies/{anomaly_id}/resolve", data={"csrf": token, "reason": "x" * 1001}
    )
    assert too_long.status_code == 422
    assert audit_of(web, anomaly_id) == []
    forged = client.post(
        f"/admin/anomalies/{anomaly_id}/resolve", data={"csrf": "forged", "reason": "ok"}
    )
    assert forged.status_code == 403 and audit_of(web, anomaly_id) == []


def test_resolving_twice_or_an_unknown_id_says_so(web: WebLedger):
    anomaly_id, _ = mismatch(web, "S1")
    client = web.signed_in(HEAD_OFFICE)
    token = form_token(client.get("/admin/anomalies").text)
    url = f"/admin/anomalies/{anomaly_id}/resolve"
    assert client.post(url, data={"csrf": token, "reason": "first"}).status_code == 303
    again = client.post(url, data={"csrf": token, "reason": "second"})
    assert again.status_code == 409 and "was already resolved" in again.text
    unknown = client.post(
        "/admin/anomalies/0000000000/resolve", data={"csrf": token, "reason": "x"}
    )
    assert unknown.status_code == 404 and "There is no such anomaly." in unknown.text
    assert audit_of(web, anomaly_id) == [("web:hanne", "anomaly.resolve")]


def test_a_store_manager_sees_and_resolves_only_their_stores_anomalies(web: WebLedger):
    own, _ = mismatch(web, "S1")
    other, _ = mismatch(web, "S2")
    sam = web.signed_in(S1_MANAGER)
    page = sam.get("/admin/anomalies")
    assert f'id="a-{own}"' in page.text and f'id="a-{other}"' not in page.text
    refused = sam.post(
        f"/admin/anomalies/{other}/resolve",
        data={"csrf": form_token(page.text), "reason": "not mine"},
    )
    assert refused.status_code == 403 and "another store" in refused.text
    assert audit_of(web, other) == []
    siri = web.signed_in(S2_MANAGER)
    assert f'id="a-{other}"' in siri.get("/admin/anomalies").text


def test_filters_by_kind_and_store(web: WebLedger):
    in_s1, _ = mismatch(web, "S1")
    in_s2, _ = mismatch(web, "S2")
    client = web.signed_in(HEAD_OFFICE)
    only_s2 = client.get("/admin/anomalies?store=S2").text
    assert f'id="a-{in_s2}"' in only_s2 and f'id="a-{in_s1}"' not in only_s2
    no_kind = client.get("/admin/anomalies?kind=overdraft").text
    assert f'id="a-{in_s1}"' not in no_kind
