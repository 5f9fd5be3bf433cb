"""The terminals pages over HTTP on 127.0.0.1: what tills reported, store scope,
revoking and new tokens (audited, confirmed, head office only), CSRF."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ledger.errors import AdminError
from ledger.terminals import rotate_token
from tests.integration.ledger.support import EventChain, LedgerHandle, fresh_terminal_name
from tests.web.support import HEAD_OFFICE, S1_MANAGER, WebLedger, form_token

OLDEST = "2026-12-01T08:00:00.000Z"


def _report(store: str, **changes: Any) -> dict[str, Any]:
    report = {
        "store": store,
        "software": "9.9.9-test",
        "programme_version": 1,
        "keyset_number": None,
        "pending": 0,
        "oldest_pending_at": None,
    }
    return {**report, **changes}


def _till(
    web: WebLedger, store: str, card: str | None, report: dict[str, Any] | None
) -> tuple[str, str]:
    """A new terminal at ``store`` that pushes one sale to ``card`` (if given) with
    ``report`` (if given): its id and token."""
    terminal = fresh_terminal_name(store)
    token = web.handle.add_terminal(terminal)
    chain = EventChain(terminal)
    chain.store = store
    events = [] if card is None else [chain.earn(card, 1500)]
    body = LedgerHandle.batch(terminal, events)
    if report is not None:
        body["report"] = report
    answer = _push(web, token, body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["reports"] is True
    return terminal, token


def _push(web: WebLedger, token: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(
        f"{web.url}/v1/events",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def _audit(web: WebLedger, subject: str) -> list[tuple[str, str]]:
    with web.db.snapshot() as tx:
        rows = tx.query(
            "SELECT actor, action FROM audit WHERE subject = ? ORDER BY audit_id", (subject,)
        )
    return [(str(r[0]), str(r[1])) for r in rows]


def _revoked(web: WebLedger, terminal: str) -> bool:
    with web.db.snapshot() as tx:
        row = tx.one("SELECT revoked_at FROM terminals WHERE terminal_id = ?", (terminal,))
    assert row is not None
    return row[0] is not None


def test_the_list_shows_what_a_pushed_report_said(any_web: WebLedger) -> None:
    (card,) = any_web.add_members(1000)
    behind, _ = _till(
        any_web, "S1", card, _report("S1", pending=3, oldest_pending_at=OLDEST, software="<b>x")
    )
    level, _ = _till(any_web, "S1", card, _report("S1", programme_version=0))
    silent = fresh_terminal_name("S1")
    any_web.handle.add_terminal(silent)

    client = any_web.signed_in(HEAD_OFFICE)
    listing = client.get("/admin/terminals?sort=behind")
    assert listing.status_code == 200, listing.text
    text = listing.text
    for shown in (behind, level, silent, OLDEST, "&lt;b&gt;x", "not in force", "in force"):
        assert shown in text, shown
    assert "<b>x" not in text
    assert text.index(behind) < text.index(level)  # the most behind first
    quiet = client.get("/admin/terminals").text
    assert quiet.index(silent) < quiet.index(behind)  # never heard from first
    by_id = client.get("/admin/terminals?sort=id&done=<script>").text
    assert "<script>" not in by_id

    detail = client.get(f"/admin/terminals/{behind}")
    assert detail.status_code == 200
    assert "3 events" in detail.text and OLDEST in detail.text and "S1" in detail.text
    assert "Revoke terminal" in detail.text and "Give a new token" in detail.text


def test_a_store_manager_sees_only_the_terminals_of_their_stores(any_web: WebLedger) -> None:
    (card,) = any_web.add_members(1000)
    own, _ = _till(any_web, "S1", card, _report("S1"))
    unreported, _ = _till(any_web, "S1", card, None)  # its store is its events' store
    other, _ = _till(any_web, "S2", card, _report("S2", software="other-store-release"))

    client = any_web.signed_in(S1_MANAGER)
    listing = client.get("/admin/terminals")
    assert listing.status_code == 200
    assert own in listing.text and unreported in listing.text
    assert other not in listing.text and "other-store-release" not in listing.text
    mine = client.get(f"/admin/terminals/{own}")
    assert mine.status_code == 200
    assert "Revoke terminal" not in mine.text and "Give a new token" not in mine.text
    theirs = client.get(f"/admin/terminals/{other}")
    assert theirs.status_code == 404
    assert "other-store-release" not in theirs.text


def test_revoking_is_confirmed_audited_and_refuses_the_token(any_web: WebLedger) -> None:
    (card,) = any_web.add_members(1000)
    terminal, token = _till(any_web, "S1", card, _report("S1"))
    client = any_web.signed_in(HEAD_OFFICE)
    csrf = form_token(client.get(f"/admin/terminals/{terminal}").text)

    unconfirmed = client.post(f"/admin/terminals/{terminal}/revoke", data={"csrf": csrf})
    assert unconfirmed.status_code == 422
    assert "Tick the box to confirm" in unconfirmed.text and 'id="e-revoke"' in unconfirmed.text
    assert not _revoked(any_web, terminal)

    done = client.post(f"/admin/terminals/{terminal}/revoke", data={"csrf": csrf, "confirm": "yes"})
    assert done.status_code == 303
    assert done.headers["location"] == f"/admin/terminals/{terminal}?done=revoked"
    shown = client.get(done.headers["location"])
    assert "The terminal is revoked" in shown.text
    assert _revoked(any_web, terminal)
    assert ("web:hanne", "terminal.revoke") in _audit(any_web, terminal)

    refused = _push(any_web, token, {"terminal_id": terminal, "events": []})
    assert refused.status_code == 403, refused.text

    again = client.post(
        f"/admin/terminals/{terminal}/revoke", data={"csrf": csrf, "confirm": "yes"}
    )
    assert again.status_code == 409 and "revoked already" in again.text
    assert _audit(any_web, terminal).count(("web:hanne", "terminal.revoke")) == 1

    unknown = client.post(
        "/admin/terminals/NO-SUCH-TILL/revoke", data={"csrf": csrf, "confirm": "yes"}
    )
    assert unknown.status_code == 404
    assert client.get("/admin/terminals/NO-SUCH-TILL").status_code == 404


def test_a_new_token_is_shown_once_and_the_old_one_refused(any_web: WebLedger) -> None:
    (card,) = any_web.add_members(1000)
    terminal, old = _till(any_web, "S1", card, _report("S1"))
    client = any_web.signed_in(HEAD_OFFICE)
    csrf = form_token(client.get(f"/admin/terminals/{terminal}").text)

    unconfirmed = client.post(f"/admin/terminals/{terminal}/rotate", data={"csrf": csrf})
    assert unconfirmed.status_code == 422
    assert 'id="e-rotate"' in unconfirmed.text and 'id="e-revoke"' not in unconfirmed.text
    assert _push(any_web, old, {"terminal_id": terminal, "events": []}).status_code == 200

    answer = client.post(
        f"/admin/terminals/{terminal}/rotate", data={"csrf": csrf, "confirm": "yes"}
    )
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    assert "location" not in answer.headers
    assert "Put this token in the till" in answer.text
    new = answer.text.split('<code class="token">')[1].split("</code>")[0]
    assert new.startswith("plt_") and new not in client.get(f"/admin/terminals/{terminal}").text
    assert ("web:hanne", "terminal.rotate") in _audit(any_web, terminal)

    assert _push(any_web, old, {"terminal_id": terminal, "events": []}).status_code == 401
    assert _push(any_web, new, {"terminal_id": terminal, "events": []}).status_code == 200


def test_a_store_manager_may_not_revoke_nor_rotate(any_web: WebLedger) -> None:
    (card,) = any_web.add_members(1000)
    terminal, token = _till(any_web, "S1", card, _report("S1"))
    client = any_web.signed_in(S1_MANAGER)
    csrf = form_token(client.get(f"/admin/terminals/{terminal}").text)
    for action in ("revoke", "rotate"):
        answer = client.post(
            f"/admin/terminals/{terminal}/{action}", data={"csrf": csrf, "confirm": "yes"}
        )
        assert answer.status_code == 403
        assert "Only head office may" in answer.text
    assert not _revoked(any_web, terminal)
    assert _audit(any_web, terminal) == []
    assert _push(any_web, token, {"terminal_id": terminal, "events": []}).status_code == 200


def test_an_action_without_the_forms_csrf_token_does_nothing(web: WebLedger) -> None:
    (card,) = web.add_members(1000)
    terminal, _ = _till(web, "S1", card, _report("S1"))
    client = web.signed_in(HEAD_OFFICE)
    for data in ({"confirm": "yes"}, {"csrf": "not-the-token", "confirm": "yes"}):
        answer = client.post(f"/admin/terminals/{terminal}/revoke", data=data)
        assert answer.status_code == 403 and "Nothing was done" in answer.text
        rotate = client.post(f"/admin/terminals/{terminal}/rotate", data=data)
        assert rotate.status_code == 403 and "plt_" not in rotate.text
    assert not _revoked(web, terminal)
    assert _audit(web, terminal) == []


def test_the_ledgers_own_chain_is_no_till_and_never_gets_a_token(web: WebLedger):
    (card,) = web.add_members(0)
    client = web.signed_in(HEAD_OFFICE)
    member = client.get("/admin/members", params={"q": card}).text
    member_id = member.split('href="/admin/members/')[1].split('"')[0]
    token = form_token(client.get(f"/admin/members/{member_id}").text)
    adjusted = client.post(  # the ledger's own chain now exists
        f"/admin/members/{member_id}/adjust",
        data={"csrf": token, "wallet": "points", "units": "5", "note": "welcome"},
    )
    assert adjusted.status_code == 303
    assert ">LEDGER<" not in client.get("/admin/terminals").text
    assert client.get("/admin/terminals/LEDGER").status_code == 404
    rotated = client.post("/admin/terminals/LEDGER/rotate", data={"csrf": token, "confirm": "yes"})
    assert rotated.status_code == 404
    with web.db.write() as tx, pytest.raises(AdminError, match="the ledger's own chain"):
        rotate_token(tx, "LEDGER")


def test_a_new_token_sent_twice_is_made_once(web: WebLedger):
    terminal = web.sales("S1", web.add_members(0)[0], 1_000)
    client = web.signed_in(HEAD_OFFICE)
    page = client.get(f"/admin/terminals/{terminal}").text
    rotate_form = page[page.index("/rotate") :]
    data = {
        "csrf": form_token(rotate_form),
        "form_id": rotate_form.split('name="form_id" value="')[1].split('"')[0],
        "confirm": "yes",
    }
    first = client.post(f"/admin/terminals/{terminal}/rotate", data=data)
    second = client.post(f"/admin/terminals/{terminal}/rotate", data=data)
    assert first.status_code == second.status_code == 200
    assert 'id="sent-twice"' in second.text and 'id="sent-twice"' not in first.text
    with web.db.snapshot() as tx:
        rotations = tx.query(
            "SELECT 1 FROM audit WHERE action = 'terminal.rotate' AND subject = ?", (terminal,)
        )
    assert len(rotations) == 1
