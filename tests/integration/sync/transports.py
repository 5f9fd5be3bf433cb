"""httpx transports that misbehave on purpose, for the till's sync tests.

They wrap a real :class:`httpx.HTTPTransport`, so every request still travels over
loopback to the real ledger; only what the till *hears* is changed. Install one with
``till.link.transport.inner = ...`` (the link's switchable transport delegates to it).
"""

from __future__ import annotations

import json
import threading
from typing import Any

import httpx

PUSH_PATH = "/v1/events"


def is_push(request: httpx.Request) -> bool:
    return request.method == "POST" and request.url.path == PUSH_PATH


class AnswerDropper(httpx.BaseTransport):
    """Lets every request reach the ledger; loses the answers of the next pushes.

    For a dropped push the ledger has done its work and committed; the till, after
    the whole answer arrived, is told ``httpx.ReadTimeout`` as if it never came.
    Every push answer, dropped or delivered, is kept in :attr:`answers` in order.
    """

    def __init__(self, inner: httpx.BaseTransport | None = None) -> None:
        self.inner = inner or httpx.HTTPTransport()
        self._drops = 0
        self._lock = threading.Lock()
        self.answers: list[tuple[bool, dict[str, Any]]] = []
        """(delivered, decoded answer) of every successful push."""
        self.pushes = 0
        """Push requests sent, whatever became of them."""

    def drop_next_pushes(self, count: int = 1) -> None:
        with self._lock:
            self._drops += count

    def disarm(self) -> None:
        """Deliver every answer from now on."""
        with self._lock:
            self._drops = 0

    @property
    def armed(self) -> int:
        return self._drops

    def statuses(self, delivered_only: bool = True) -> list[str]:
        """Per-event statuses of the push answers, in the order they were sent."""
        return [
            result["status"]
            for delivered, answer in self.answers
            if delivered or not delivered_only
            for result in answer["results"]
        ]

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        try:
            body = response.read()
        finally:
            response.close()
        if not is_push(request):
            return httpx.Response(response.status_code, headers=response.headers, content=body)
        with self._lock:
            self.pushes += 1
            drop = self._drops > 0
            if drop:
                self._drops -= 1
        if response.status_code == 200:
            self.answers.append((not drop, json.loads(body)))
        if drop:
            raise httpx.ReadTimeout("the ledger's answer was lost", request=request)
        return httpx.Response(response.status_code, headers=response.headers, content=body)

    def close(self) -> None:
        self.inner.close()


class WithoutToken(httpx.BaseTransport):
    """Sends every request without its ``Authorization`` header (a till with no token)."""

    def __init__(self, inner: httpx.BaseTransport | None = None) -> None:
        self.inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        headers = httpx.Headers(request.headers)
        del headers["Authorization"]
        stripped = httpx.Request(
            request.method, request.url, headers=headers, content=request.read()
        )
        return self.inner.handle_request(stripped)

    def close(self) -> None:
        self.inner.close()


class RefusingPushes(httpx.BaseTransport):
    """While :attr:`refusing`, answers every push as the ledger does a batch it cannot
    read (422 in its own error format), without forwarding it: a ledger of another
    release refusing this till's events until it is upgraded. Everything else, and
    every push once disarmed, reaches the real ledger."""

    def __init__(self, inner: httpx.BaseTransport | None = None) -> None:
        self.inner = inner or httpx.HTTPTransport()
        self.refusing = True

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.refusing and is_push(request):
            reason = "events[0].kind: this ledger cannot read events of this till's release"
            return httpx.Response(422, json={"error": "invalid", "reason": reason})
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()
