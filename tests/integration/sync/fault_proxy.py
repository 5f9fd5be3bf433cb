"""A small TCP fault proxy on loopback, in the spirit of Toxiproxy (not available here).

The till talks to the proxy; the proxy talks to the real ledger. The mode can be
switched at any time from the test's thread and applies to every chunk forwarded
from then on, on new and already open connections alike:

``pass``        forward both ways untouched;
``latency``     delay every chunk, both ways, by ``latency`` seconds;
``reset``       forward the request, then answer the till with a TCP reset as soon as
                the ledger starts answering (the ledger has done the work: an ack lost
                on the wire);
``blackhole``   accept and swallow requests, never answer (the till times out);
``cut``         forward the request, then only the first ``cut_after`` bytes of the
                answer, then close (a body cut short);
``slow_close``  forward everything, but close the till's connection ``close_delay``
                seconds after the last answer byte, so a request sent on a pooled
                connection in the meantime is cut off (a keep-alive race).

It runs its own asyncio event loop in a background thread; :meth:`FaultProxy.stop`
closes every connection and joins the thread.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
from collections import Counter
from enum import StrEnum

START_TIMEOUT_S = 10.0
CHUNK = 65536


class Mode(StrEnum):
    PASS = "pass"
    LATENCY = "latency"
    RESET = "reset"
    BLACKHOLE = "blackhole"
    CUT = "cut"
    SLOW_CLOSE = "slow_close"


class FaultProxy:
    """Forwards 127.0.0.1:``port`` to ``upstream``, misbehaving as :attr:`mode` says."""

    def __init__(
        self,
        upstream_port: int,
        latency: float = 0.05,
        cut_after: int = 40,
        close_delay: float = 0.3,
    ) -> None:
        self.upstream_port = upstream_port
        self.latency = latency
        self.cut_after = cut_after
        self.close_delay = close_delay
        self.mode = Mode.PASS
        self.port = 0
        self.counts: Counter[str] = Counter()
        """What the proxy did: connections, resets, cuts, swallowed, late_closes."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._writers: set[asyncio.StreamWriter] = set()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def set_mode(self, mode: Mode) -> None:
        self.mode = mode

    # --- lifecycle -----------------------------------------------------------------

    def start(self) -> FaultProxy:
        self._thread = threading.Thread(target=self._run, name="fault-proxy", daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT_S) or self._error is not None:
            raise RuntimeError(f"the fault proxy did not start: {self._error!r}")
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            loop.call_soon_threadsafe(loop.stop)
            thread.join(START_TIMEOUT_S)
        self._thread = None

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            self._server = loop.run_until_complete(
                asyncio.start_server(self._handle, "127.0.0.1", 0)
            )
            self.port = int(self._server.sockets[0].getsockname()[1])
        except BaseException as error:
            self._error = error
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            self._server.close()
            for writer in list(self._writers):
                writer.transport.abort()
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(self._server.wait_closed())
            loop.close()

    # --- forwarding ----------------------------------------------------------------

    async def _handle(self, till_in: asyncio.StreamReader, till_out: asyncio.StreamWriter) -> None:
        self.counts["connections"] += 1
        self._writers.add(till_out)
        try:
            ledger_in, ledger_out = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            self._writers.discard(till_out)
            till_out.transport.abort()
            return
        self._writers.add(ledger_out)
        try:
            requests = asyncio.ensure_future(self._requests(till_in, ledger_out))
            answers = asyncio.ensure_future(self._answers(ledger_in, till_out))
            await asyncio.wait({requests, answers}, return_when=asyncio.FIRST_COMPLETED)
            for task in (requests, answers):
                task.cancel()
            await asyncio.gather(requests, answers, return_exceptions=True)
        finally:
            for writer in (till_out, ledger_out):
                self._writers.discard(writer)
                writer.transport.abort()

    async def _requests(
        self, till_in: asyncio.StreamReader, ledger_out: asyncio.StreamWriter
    ) -> None:
        while data := await till_in.read(CHUNK):
            mode = self.mode
            if mode is Mode.BLACKHOLE:
                self.counts["swallowed"] += 1
                continue
            if mode is Mode.LATENCY:
                await asyncio.sleep(self.latency)
            ledger_out.write(data)
            await ledger_out.drain()

    async def _answers(
        self, ledger_in: asyncio.StreamReader, till_out: asyncio.StreamWriter
    ) -> None:
        loop = asyncio.get_running_loop()
        late_close: asyncio.TimerHandle | None = None
        try:
            while data := await ledger_in.read(CHUNK):
                mode = self.mode
                if mode is Mode.BLACKHOLE:
                    continue
                if mode is Mode.RESET:
                    self.counts["resets"] += 1
                    _reset(till_out)
                    return
                if mode is Mode.CUT:
                    self.counts["cuts"] += 1
                    till_out.write(data[: max(self.cut_after, 0)])
                    await till_out.drain()
                    return
                if mode is Mode.LATENCY:
                    await asyncio.sleep(self.latency)
                till_out.write(data)
                await till_out.drain()
                if late_close is not None:
                    late_close.cancel()
                    late_close = None
                if mode is Mode.SLOW_CLOSE:
                    late_close = loop.call_later(self.close_delay, self._close_late, till_out)
            if self.mode is Mode.SLOW_CLOSE:
                await asyncio.sleep(self.close_delay)
        finally:
            if late_close is not None:
                late_close.cancel()

    def _close_late(self, till_out: asyncio.StreamWriter) -> None:
        self.counts["late_closes"] += 1
        till_out.close()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with RST instead of FIN (SO_LINGER on, zero timeout)."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
