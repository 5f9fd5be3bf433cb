"""Member lookup, rules, the OpenAPI document, size limits and the error shape."""

from __future__ import annotations

import httpx

from loyalty.canonical import sha256_hex
from sync.protocol import (
    MAX_BODY_BYTES,
    MAX_EVENTS_PER_BATCH,
    ErrorResponse,
    MemberResponse,
    RulesResponse,
)
from tests.integration.ledger.support import (
    EventChain,
    LedgerHandle,
    fresh_card,
    fresh_terminal_name,
)


def test_a_member_is_looked_up_by_card_with_the_callers_high_water(ledger: LedgerHandle) -> None:
    name = fresh_terminal_name()
    client = ledger.client(ledger.add_terminal(name))
    card = fresh_card()
    chain = EventChain(name)
    client.post("/v1/events", json=LedgerHandle.batch(name, [chain.earn(card, 31_000)]))
    answer = client.get(f"/v1/members/{card}")
    assert answer.status_code == 200
    found = MemberResponse.model_validate_json(answer.content)
    assert (found.member.card, found.member.balance, found.high_water) == (card, 310, 1)


def test_an_unknown_card_is_404_with_a_reason(ledger: LedgerHandle) -> None:
    client = ledger.client(ledger.add_terminal())
    card = fresh_card()
    answer = client.get(f"/v1/members/{card}")
    assert answer.status_code == 404
    assert ErrorResponse.model_validate_json(answer.content).reason == f"No member has card {card}."


def test_the_version_in_force_comes_with_its_document_and_hash(ledger: LedgerHandle) -> None:
    answer = ledger.client(ledger.add_terminal()).get("/v1/rules")
    rules = RulesResponse.model_validate_json(answer.content)
    assert rules.version >= 1 and rules.document["programme"]["engine"] == 1
    assert sha256_hex(rules.document) == rules.content_hash


def test_the_openapi_document_describes_every_route_and_the_push_body(ledger: LedgerHandle) -> None:
    document = httpx.get(ledger.url + "/openapi.json").json()
    assert {"/v1/events", "/v1/changes", "/v1/members/{card}", "/v1/rules", "/health"} <= set(
        document["paths"]
    )
    schemas = document["components"]["schemas"]
    assert {"PushRequest", "PushResponse", "ChangesResponse", "ErrorResponse"} <= set(schemas)
    body = document["paths"]["/v1/events"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["$ref"].endswith("/PushRequest")


def test_a_body_over_the_limit_is_refused_413(ledger: LedgerHandle) -> None:
    client = ledger.client(ledger.add_terminal())
    answer = client.post("/v1/events", content=b"x" * (MAX_BODY_BYTES + 1))
    assert answer.status_code == 413
    assert answer.json()["error"] == "too_large"


def test_a_batch_over_the_event_limit_is_refused_413_and_nothing_applied(
    ledger: LedgerHandle,
) -> None:
    name = fresh_terminal_name()
    client = ledger.client(ledger.add_terminal(name))
    chain = EventChain(name)
    card = fresh_card()
    events = [chain.earn(card, 100) for _ in range(MAX_EVENTS_PER_BATCH + 1)]
    answer = client.post("/v1/events", json=LedgerHandle.batch(name, events))
    assert answer.status_code == 413
    assert str(MAX_EVENTS_PER_BATCH) in answer.json()["reason"]
    assert client.get(f"/v1/members/{card}").status_code == 404


def test_a_request_that_breaks_the_protocol_is_422_naming_the_field(ledger: LedgerHandle) -> None:
    name = fresh_terminal_name()
    client = ledger.client(ledger.add_terminal(name))
    event = EventChain(name).earn(fresh_card(), 100).to_dict()
    for broken, field in (
        ({**event, "seq": "5"}, "events[0].seq"),
        ({**event, "extra": 1}, "events[0].extra"),
    ):
        answer = client.post("/v1/events", json={"terminal_id": name, "events": [broken]})
        assert answer.status_code == 422
        assert answer.json()["error"] == "invalid"
        assert answer.json()["reason"].startswith(field)
    not_json = client.post("/v1/events", content=b"{", headers={"content-type": "application/json"})
    assert not_json.status_code == 422


def test_unknown_routes_and_methods_answer_json_errors(ledger: LedgerHandle) -> None:
    missing = httpx.get(ledger.url + "/v2/nothing")
    assert (missing.status_code, missing.json()["error"]) == (404, "not_found")
    wrong = httpx.delete(ledger.url + "/health")
    assert (wrong.status_code, wrong.json()["error"]) == (405, "method_not_allowed")
