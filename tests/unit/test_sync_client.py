"""The sync client, one function at a time, against httpx's MockTransport.

Integration tests talk to the real ledger; these pin down how each kind of answer is
classified and that nothing unvalidated is ever returned.
"""

import json

import httpx
import pytest

from loyalty.events import GENESIS_HASH, EventKind, build_event
from sync.client import LedgerClient
from sync.errors import (
    InvalidAnswer,
    LedgerRefused,
    LedgerUnavailable,
    LedgerUnreachable,
    NotAuthorised,
)
from sync.protocol import PushRequest, Void, event_from_wire

EVENT = build_event(
    terminal_id="T1", seq=1, prev_hash=GENESIS_HASH, kind=EventKind.ADJUST,
    card="2900000000018", member_id="M1", business_time="2026-11-25T10:00:00+01:00",
    store="S01", currency="NOK", postings={"points": 10}, reason="correction",
)  # fmt: skip


def client(handler) -> LedgerClient:
    return LedgerClient("http://ledger.test", "tok", "T1", transport=httpx.MockTransport(handler))


def push_answer(request: httpx.Request) -> httpx.Response:
    body = json.loads(request.content)
    return httpx.Response(
        200,
        json={
            "results": [
                {"event_id": e["event_id"], "seq": e["seq"], "status": "accepted", "reason": ""}
                for e in body["events"]
            ],
            "high_water": 1,
            "last_hash": body["events"][-1]["hash"],
            "balances": [],
        },
    )


def test_a_push_sends_a_valid_push_request_with_the_bearer_token():
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["auth"] = request.headers["Authorization"]
        seen["body"] = PushRequest.model_validate_json(request.content)
        return push_answer(request)

    answer = client(handler).push([EVENT])
    assert seen["auth"] == "Bearer tok"
    assert event_from_wire(seen["body"].events[0]) == EVENT
    assert answer.high_water == 1


def test_a_push_carries_the_voids_of_its_batch_and_leaves_the_field_out_without_any():
    bodies = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return push_answer(request)

    void = Void(seq=1, event_id=EVENT.event_id, manager="9001", note="wrong card",
                decided_at="2026-11-25T10:05:00Z")  # fmt: skip
    client(handler).push([EVENT], [void])
    client(handler).push([EVENT])
    assert PushRequest.model_validate(bodies[0]).voids == [void]
    assert "voids" not in bodies[1]


@pytest.mark.parametrize(
    ("status", "error"),
    [(500, LedgerUnavailable), (503, LedgerUnavailable), (409, LedgerUnavailable),
     (429, LedgerUnavailable), (401, NotAuthorised), (403, NotAuthorised),
     (400, LedgerRefused), (413, LedgerRefused)],
)  # fmt: skip
def test_each_status_is_classified_as_retryable_or_not(status, error):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"error": "x", "reason": "the ledger's reason"})

    with pytest.raises(error, match="the ledger's reason") as raised:
        client(handler).push([EVENT])
    assert raised.value.retryable == (error is LedgerUnavailable)


def test_no_answer_is_unreachable_and_retryable():
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(LedgerUnreachable) as raised:
        client(handler).push([EVENT])
    assert raised.value.retryable


@pytest.mark.parametrize(
    "body",
    [b"not json", b"{}", b'{"results": [], "high_water": "1", "last_hash": "", "balances": []}'],
)
def test_an_answer_that_breaks_the_protocol_is_not_trusted(body):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body)

    with pytest.raises(InvalidAnswer):
        client(handler).push([EVENT])


def test_an_answer_about_other_events_is_not_trusted():
    def handler(request: httpx.Request) -> httpx.Response:
        answer = push_answer(request)
        data = json.loads(answer.content)
        data["results"][0]["event_id"] = "someone-else"
        return httpx.Response(200, json=data)

    with pytest.raises(InvalidAnswer, match="does not match"):
        client(handler).push([EVENT])


def test_an_unknown_member_is_none_not_an_error():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"error": "not_found", "reason": "no such card"})

    assert client(handler).member("2900000000018") is None
