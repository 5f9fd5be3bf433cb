"""``POST /v1/member-app/token`` through the real ledger server on 127.0.0.1, on SQLite
and PostgreSQL: a member's app credential gets a fresh app token that passes the
till's offline check; a terminal's token, an unknown or revoked credential get 401;
a blocked member 403; only the credential's hash is stored."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from loyalty.member_token import TokenUse, read
from loyalty.token_check import check_token
from tests.integration.ledger.qr_support import cli, import_member, ok, set_up_keys, stored_keyset
from tests.integration.ledger.support import LedgerHandle, fresh_card
from tests.integration.ledger.support import query_db as sql

PATH = "/v1/member-app/token"


@pytest.fixture(scope="module")
def keyed(ledger: LedgerHandle, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The module's ledger with member QR keys (an app and a card key); its directory."""
    directory = tmp_path_factory.mktemp("qr")
    set_up_keys(ledger.db_url, directory)
    yield directory


def _member(ledger: LedgerHandle, directory: Path, balance: int = 0) -> tuple[str, str, str]:
    """A new member with an app credential: (card, member id, credential)."""
    card = fresh_card()
    member_id = import_member(ledger.db_url, directory, card, balance=balance)
    issued = ok(ledger.db_url, "member-app", "issue", member_id)
    assert "shown only once" in issued.err
    return card, member_id, issued.out.strip()


def _post(ledger: LedgerHandle, credential: str | None, **kwargs: object) -> httpx.Response:
    headers = {"Authorization": f"Bearer {credential}"} if credential else {}
    return httpx.post(ledger.url + PATH, headers=headers, timeout=30, **kwargs)  # type: ignore[arg-type]


def test_a_members_credential_gets_a_fresh_app_token_that_a_till_accepts(
    ledger: LedgerHandle, keyed: Path
) -> None:
    card, member_id, credential = _member(ledger, keyed, balance=640)
    assert credential.startswith("lma_")
    before = int(time.time())
    answer = _post(ledger, credential)
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert set(body) == {"token", "replay_id", "expires_at", "single_use"}
    token = check_token(body["token"], stored_keyset(ledger.db_url), int(time.time())).token
    assert (token.use, token.single_use, token.card, token.member_id) == (
        TokenUse.APP,
        True,
        card,
        member_id,
    )
    assert token.balance == 640 and before <= token.issued_at
    assert body["replay_id"] == token.replay_id and body["single_use"] is True
    assert body["expires_at"] == token.issued_at + 48 * 3600
    again = _post(ledger, credential).json()
    assert again["token"] != body["token"] and again["replay_id"] != body["replay_id"]
    stored = sql(
        ledger.db_url,
        f"SELECT credential_sha256 FROM member_app_credentials WHERE member_id = '{member_id}'",
    )
    assert stored == [(hashlib.sha256(credential.encode()).hexdigest(),)]
    everything = json.dumps(sql(ledger.db_url, "SELECT * FROM member_app_credentials"))
    assert credential not in everything


def test_the_app_may_ask_for_a_multi_use_token_and_a_bad_body_is_refused(
    ledger: LedgerHandle, keyed: Path
) -> None:
    _, _, credential = _member(ledger, keyed)
    multi = _post(ledger, credential, json={"single_use": False})
    assert multi.status_code == 200 and multi.json()["single_use"] is False
    assert read(multi.json()["token"]).token.type_byte == 2
    for body in (b'{"single_use": "no"}', b'{"other": 1}', b"[1"):
        refused = _post(ledger, credential, content=body)
        assert refused.status_code == 422 and refused.json()["error"] == "invalid"


def test_a_terminal_token_no_credential_and_an_unknown_one_are_refused_401(
    ledger: LedgerHandle, keyed: Path
) -> None:
    terminal_token = ledger.add_terminal()
    assert ledger.client(terminal_token).get("/v1/rules").status_code == 200
    for credential, words in (
        (terminal_token, "terminal's token is not a member-app credential"),
        (None, "Authorization: Bearer"),
        ("lma_" + "x" * 43, "not known to the ledger"),
    ):
        answer = _post(ledger, credential)
        assert answer.status_code == 401, answer.text
        assert answer.json()["error"] == "unauthenticated" and words in answer.json()["reason"]


def test_a_revoked_or_replaced_credential_is_refused_401_at_once(
    ledger: LedgerHandle, keyed: Path
) -> None:
    _, member_id, first = _member(ledger, keyed)
    assert _post(ledger, first).status_code == 200
    second = ok(ledger.db_url, "member-app", "issue", member_id)
    assert "earlier credential is revoked" in second.err
    replaced = _post(ledger, first)
    assert replaced.status_code == 401 and "revoked" in replaced.json()["reason"]
    assert _post(ledger, second.out.strip()).status_code == 200
    ok(ledger.db_url, "member-app", "revoke", member_id)
    assert _post(ledger, second.out.strip()).status_code == 401
    again = cli(ledger.db_url, "member-app", "revoke", member_id)
    assert again.status == 1 and "holds no member-app credential" in again.err
    unknown = cli(ledger.db_url, "member-app", "issue", "NOBODY-1")
    assert unknown.status == 1 and "No member has the id or card NOBODY-1" in unknown.err


def test_a_blocked_member_gets_403_with_the_reason(ledger: LedgerHandle, keyed: Path) -> None:
    card, member_id, credential = _member(ledger, keyed)
    ok(ledger.db_url, "member", "block", card)
    answer = _post(ledger, credential)
    assert answer.status_code == 403
    assert answer.json()["error"] == "forbidden"
    assert f"Member {member_id} is blocked" in answer.json()["reason"]
    refused = cli(ledger.db_url, "member-app", "issue", member_id)
    assert refused.status == 1 and "is blocked" in refused.err
    ok(ledger.db_url, "member", "unblock", card)
    assert _post(ledger, credential).status_code == 200


def test_the_openapi_document_describes_the_member_app_route(
    ledger: LedgerHandle, keyed: Path
) -> None:
    document = httpx.get(ledger.url + "/openapi.json", timeout=30).json()
    route = document["paths"][PATH]["post"]
    assert {"200", "401", "403", "422", "503"} <= set(route["responses"])
    assert route["security"] == [{"MemberAppCredential": []}]
