"""A transport that can be cut and restored, like pulling the store's network cable.

The demo's "cut connection" key flips it; tests use it to go offline without
stopping the ledger. While cut, every request fails the way a dead network does
(``httpx.ConnectError``) before anything is sent.
"""

from __future__ import annotations

import threading

import httpx


class SwitchableTransport(httpx.BaseTransport):
    """Wraps a real transport; ``connected = False`` makes every request fail."""

    def __init__(self, inner: httpx.BaseTransport | None = None) -> None:
        self.inner = inner or httpx.HTTPTransport()
        self._connected = threading.Event()
        self._connected.set()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    @connected.setter
    def connected(self, value: bool) -> None:
        if value:
            self._connected.set()
        else:
            self._connected.clear()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not self._connected.is_set():
            raise httpx.ConnectError("the till's connection is cut", request=request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()
