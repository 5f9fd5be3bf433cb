"""The client's member-desk calls, one function at a time, against MockTransport:
a member's history page and a request for card numbers."""

import httpx
import pytest

from sync.client import LedgerClient
from sync.errors import InvalidAnswer, LedgerUnavailable


def client(handler) -> LedgerClient:
    return LedgerClient("http://ledger.test", "tok", "T1", transport=httpx.MockTransport(handler))


EVENT = {
    "ledger_seq": 41,
    "terminal_id": "T2",
    "seq": 7,
    "kind": "sale",
    "business_time": "2026-11-25T10:00:00+01:00",
    "store": "S01",
    "operator": "C1",
    "postings": {"points": 10},
    "flags": [],
}


def test_member_events_asks_for_a_page_before_a_ledger_seq():
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"events": [EVENT], "next_before": 41})

    page = client(answer).member_events("m-1/x", 100, 20, timeout=0.5)
    (request,) = seen
    assert request.method == "GET" and request.url.raw_path.startswith(
        b"/v1/members/m-1%2Fx/events?"
    )
    assert dict(request.url.params) == {"before": "100", "limit": "20"}
    assert request.headers["Authorization"] == "Bearer tok"
    assert page.next_before == 41 and page.events[0].postings == {"points": 10}
    first = client(answer).member_events("m-1", None, 5)
    assert "before" not in seen[-1].url.params and first.events[0].seq == 7


def test_member_events_refuses_an_answer_that_is_not_a_history_page():
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"events": [{**EVENT, "seq": "seven"}]})

    with pytest.raises(InvalidAnswer):
        client(answer).member_events("m-1", None, 5)


def test_card_ranges_posts_and_reads_every_range_held():
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.method == "POST" and request.url.path == "/v1/card-ranges"
        return httpx.Response(200, json={"ranges": [{"first": 270000000000, "last": 270000000999}]})

    (held,) = client(answer).card_ranges().ranges
    assert (held.first, held.last) == (270000000000, 270000000999)

    with pytest.raises(LedgerUnavailable):
        client(lambda request: httpx.Response(503)).card_ranges()
