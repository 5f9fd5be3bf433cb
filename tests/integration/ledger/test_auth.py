"""Bearer-token authentication: 401 for no or unknown token, 403 once revoked."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.ledger.support import LedgerHandle, fresh_terminal_name

V1_ROUTES = ["/v1/changes", "/v1/rules", "/v1/members/2900000000018", "/v1/terminal/events"]


@pytest.mark.parametrize("path", V1_ROUTES)
def test_a_request_without_a_token_is_refused_401(ledger: LedgerHandle, path: str) -> None:
    answer = httpx.get(ledger.url + path)
    assert answer.status_code == 401
    assert answer.json()["error"] == "unauthenticated"
    assert "Bearer" in answer.json()["reason"]


def test_a_push_without_a_token_is_refused_401(ledger: LedgerHandle) -> None:
    answer = httpx.post(ledger.url + "/v1/events", json={"terminal_id": "x", "events": []})
    assert answer.status_code == 401


def test_a_token_the_ledger_never_issued_is_refused_401(ledger: LedgerHandle) -> None:
    answer = ledger.client("plt_not-a-real-token").get("/v1/rules")
    assert answer.status_code == 401
    assert answer.json() == {
        "error": "unauthenticated",
        "reason": "This token is not known to the ledger.",
    }


def test_a_malformed_authorization_header_is_refused_401(ledger: LedgerHandle) -> None:
    answer = httpx.get(ledger.url + "/v1/rules", headers={"Authorization": "Basic abc"})
    assert answer.status_code == 401


def test_a_revoked_terminal_is_refused_403_from_its_next_request(ledger: LedgerHandle) -> None:
    name = fresh_terminal_name()
    client = ledger.client(ledger.add_terminal(name))
    assert client.get("/v1/rules").status_code == 200
    assert ledger.admin("terminal", "revoke", name).returncode == 0
    answer = client.get("/v1/rules")
    assert answer.status_code == 403
    assert answer.json()["error"] == "forbidden"
    assert name in answer.json()["reason"]
    assert client.post("/v1/events", json={"terminal_id": name, "events": []}).status_code == 403


def test_health_needs_no_token(ledger: LedgerHandle) -> None:
    answer = httpx.get(ledger.url + "/health")
    assert answer.status_code == 200
    assert answer.json()["status"] == "ok"
