"""Sign-in, sessions, CSRF and lockout of the web pages, over HTTP on 127.0.0.1."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp

from ledger.web import accounts
from ledger.web.sessions import COOKIE
from tests.web.support import (
    HEAD_OFFICE,
    PASSWORD,
    S1_MANAGER,
    WebLedger,
    form_token,
    sign_in,
)


def audit_actions(web: WebLedger, login: str) -> list[str]:
    with web.db.snapshot() as tx:
        rows = tx.query("SELECT action FROM audit WHERE subject = ? ORDER BY audit_id", (login,))
    return [str(r[0]) for r in rows]


def test_a_page_sends_a_visitor_without_a_session_to_sign_in_and_back(any_web: WebLedger):
    client = any_web.client()
    answer = client.get("/admin/?q=1")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/admin/sign-in?next=/admin/%3Fq%3D1"
    page = client.get(answer.headers["location"])
    assert page.status_code == 200 and 'name="next" value="/admin/?q=1"' in page.text
    signed = client.post(
        "/admin/sign-in",
        data={
            "csrf": form_token(page.text),
            "login": HEAD_OFFICE,
            "password": PASSWORD,
            "next": "/admin/?q=1",
        },
    )
    assert (signed.status_code, signed.headers["location"]) == (303, "/admin/?q=1")
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/admin" in cookie
    home = client.get("/admin/")
    assert home.status_code == 200 and "Hanne" in home.text
    assert "frame-ancestors 'none'" in home.headers["content-security-policy"]
    assert home.headers["cache-control"] == "no-store"


def test_sign_in_never_sends_anyone_to_another_site(web: WebLedger):
    client = web.client()
    page = client.get("/admin/sign-in?next=//evil.example/admin/")
    assert 'name="next" value="/admin/"' in page.text
    answer = client.post(
        "/admin/sign-in",
        data={
            "csrf": form_token(page.text),
            "login": HEAD_OFFICE,
            "password": PASSWORD,
            "next": "https://evil.example/",
        },
    )
    assert answer.headers["location"] == "/admin/"


def test_a_wrong_password_says_so_without_saying_which_part_and_is_audited(web: WebLedger):
    client = web.client()
    for login in (HEAD_OFFICE, "nobody-here"):
        answer = sign_in(client, login, "not the password at all")
        assert answer.status_code == 401
        assert "The login, password or code is not right." in answer.text
        assert COOKIE not in client.cookies
    assert audit_actions(web, HEAD_OFFICE)[-1] == "web.sign_in_refused"
    assert audit_actions(web, "nobody-here") == []


def test_empty_fields_are_named_next_to_the_field(web: WebLedger):
    client = web.client()
    page = client.get("/admin/sign-in")
    answer = client.post("/admin/sign-in", data={"csrf": form_token(page.text), "login": ""})
    assert answer.status_code == 422
    assert 'id="e-login">Give your login.' in answer.text
    assert 'id="e-password">Give your password.' in answer.text


def test_a_sign_in_form_without_its_token_is_refused(web: WebLedger):
    client = web.client()
    answer = client.post(
        "/admin/sign-in", data={"csrf": "forged", "login": HEAD_OFFICE, "password": PASSWORD}
    )
    assert answer.status_code == 403 and "expired" in answer.text
    assert COOKIE not in client.cookies


def test_five_failures_lock_the_account_even_for_the_right_password(web: WebLedger):
    web.add_account("locky", accounts.STORE_MANAGER, ["S1"])
    client = web.client()
    for _ in range(accounts.MAX_FAILURES):
        sign_in(client, "locky", "wrong wrong wrong")
    answer = sign_in(client, "locky", PASSWORD)
    assert answer.status_code == 401 and "locked for 15 minutes" in answer.text
    with web.db.write() as tx:
        accounts.unlock(tx, "locky")
    assert sign_in(client, "locky", PASSWORD).status_code == 303


def test_a_state_changing_form_without_the_session_token_does_nothing(web: WebLedger):
    client = web.signed_in(S1_MANAGER)
    answer = client.post("/admin/sign-out", data={"csrf": "not-this-one"})
    assert answer.status_code == 403 and "Nothing was done" in answer.text
    assert client.get("/admin/").status_code == 200  # still signed in
    token = form_token(client.get("/admin/").text)
    assert client.post("/admin/sign-out", data={"csrf": token}).status_code == 303
    assert client.get("/admin/").status_code == 303  # signed out
    assert audit_actions(web, S1_MANAGER)[-2:] == ["web.sign_in", "web.sign_out"]


def test_an_idle_session_expires_and_the_visitor_signs_in_again(web: WebLedger):
    client = web.signed_in(HEAD_OFFICE)
    idle = (datetime.now(UTC) - timedelta(minutes=31)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with web.db.write() as tx:
        tx.execute("UPDATE web_sessions SET last_seen_at = ? WHERE login = ?", (idle, HEAD_OFFICE))
    answer = client.get("/admin/")
    assert answer.status_code == 303 and "expired=1" in answer.headers["location"]
    assert "Your session has ended" in client.get(answer.headers["location"]).text


def test_a_head_office_account_with_totp_needs_the_current_code(web: WebLedger):
    web.add_account("otto", accounts.HEAD_OFFICE)
    with web.db.write() as tx:
        address = accounts.enable_totp(tx, "otto")
    secret = pyotp.parse_uri(address).secret
    client = web.client()
    assert sign_in(client, "otto", PASSWORD).status_code == 401
    totp = pyotp.TOTP(secret)
    wrong = next(c for c in ("000000", "111111") if not totp.verify(c, valid_window=2))
    assert sign_in(client, "otto", PASSWORD, wrong).status_code == 401
    assert sign_in(client, "otto", PASSWORD, totp.now()).status_code == 303


def test_an_unknown_admin_page_is_a_page_and_the_tills_routes_stay_json(web: WebLedger):
    client = web.signed_in(HEAD_OFFICE)
    answer = client.get("/admin/no-such-page")
    assert answer.status_code == 404 and "There is no such page here." in answer.text
    assert web.client().get("/v1/no-such").json()["error"] == "not_found"


def test_sessions_past_their_absolute_end_are_removed_at_the_next_sign_in(web: WebLedger):
    web.signed_in(S1_MANAGER)
    past = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with web.db.write() as tx:
        tx.execute("UPDATE web_sessions SET expires_at = ? WHERE login = ?", (past, S1_MANAGER))
    web.signed_in(HEAD_OFFICE)
    with web.db.snapshot() as tx:
        left = tx.one("SELECT COUNT(*) FROM web_sessions WHERE expires_at <= ?", (past,))
    assert left is not None and int(left[0]) == 0
