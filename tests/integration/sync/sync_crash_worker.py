"""A till that kills itself (SIGKILL) at a chosen dangerous point of recording or sync.

Usage: python sync_crash_worker.py    (PYTHONPATH must hold the repository root)

It is a fork server: it imports the till once, then reads one JSON run per line on
stdin. For each it forks a child that opens the till from its data directory,
records the run's events and syncs; the hooks installed in the child send SIGKILL to
the child itself at the chosen point. The server answers, one per line::

    child PID              the child was forked (the test kills it by pid if stuck)
    reached POINT          written by the child just before it kills itself
    exit signal N | exit code N

Crash points (the hooks live here, in the child, never in production code):

``after-journal-commit``  right after the ``nth`` event's journal transaction commits
``mid-send``              while the ``nth`` push's body is on the wire (part sent)
``after-ledger-commit``   the ``nth`` push's answer headers arrived (so the ledger has
                          committed), its body not yet read
``before-settle``         the ``nth`` push answer was read and validated, not settled
``before-finish-pull``    the pull's pages are staged, not yet applied
"""

from __future__ import annotations

import json
import os
import signal
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from loyalty.events import Event
from pos_client.config import LedgerConfig, TillConfig
from pos_client.till import Till
from sync.errors import SyncError
from sync.local import LocalSide
from sync.protocol import MemberState

POINTS = (
    "after-journal-commit",
    "mid-send",
    "after-ledger-commit",
    "before-settle",
    "before-finish-pull",
)
SYNC_ATTEMPTS = 3


def say(line: str) -> None:
    os.write(1, (line + "\n").encode())


def crash(point: str) -> None:
    say(f"reached {point}")
    os.kill(os.getpid(), signal.SIGKILL)


def is_push(request: httpx.Request) -> bool:
    return request.method == "POST" and request.url.path == "/v1/events"


class BodyCutByCrash(httpx.SyncByteStream):
    """Sends the first part of a body, then dies before sending the rest."""

    def __init__(self, first_part: bytes) -> None:
        self.first_part = first_part

    def __iter__(self) -> Iterator[bytes]:
        yield self.first_part
        crash("mid-send")  # the first part has been written to the socket


class CrashingTransport(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport, point: str, nth: int, cut: float) -> None:
        self.inner = inner
        self.point = point
        self.nth = nth
        self.cut = cut
        self.pushes = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if is_push(request):
            self.pushes += 1
            if self.pushes == self.nth and self.point == "mid-send":
                body = request.read()
                split = min(max(1, int(len(body) * self.cut)), len(body) - 1)
                request = httpx.Request(
                    request.method,
                    request.url,
                    headers=request.headers,
                    stream=BodyCutByCrash(body[:split]),
                )
            elif self.pushes == self.nth and self.point == "after-ledger-commit":
                self.inner.handle_request(request)
                crash("after-ledger-commit")
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


class CrashingSide:
    """The till's local side, dying before the ``nth`` settle or before a pull applies."""

    def __init__(self, inner: LocalSide, point: str, nth: int) -> None:
        self.inner = inner
        self.point = point
        self.nth = nth
        self.settles = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def settle(self, high_water: int, members: list[MemberState]) -> None:
        self.settles += 1
        if self.point == "before-settle" and self.settles == self.nth:
            crash("before-settle")
        self.inner.settle(high_water, members)

    def finish_pull(self, next_cursor: str, high_water: int, fresh: bool = True) -> int:
        if self.point == "before-finish-pull":
            crash("before-finish-pull")
        return self.inner.finish_pull(next_cursor, high_water, fresh)


def install_journal_crash(till: Till, nth: int) -> None:
    original = till.store.append
    appended = 0

    def append(build: Any, also: Any = None) -> Event:
        nonlocal appended
        event = original(build, also)
        appended += 1
        if appended == nth:
            crash("after-journal-commit")
        return event

    till.store.append = append  # type: ignore[method-assign]


def run_child(spec: dict[str, Any]) -> None:
    config = TillConfig(
        terminal_id=spec["terminal_id"],
        data_dir=Path(spec["data_dir"]),
        ledger=LedgerConfig(
            url=spec["url"],
            token=spec["token"],
            sync_interval=3600.0,
            timeout=10.0,
            batch_size=spec["batch_size"],
        ),
    )
    till = Till.open(config)
    assert till.link is not None
    point, nth = spec["point"], spec["nth"]
    if point == "after-journal-commit":
        install_journal_crash(till, nth)
    till.link.transport.inner = CrashingTransport(
        till.link.transport.inner, point, nth, spec["cut"]
    )
    till.link.engine.local = CrashingSide(till.link.engine.local, point, nth)  # type: ignore[assignment]
    for kind, card, value in spec["actions"]:
        till.scan(card)
        if kind == "earn":
            till.earn(value)
        else:
            till.redeem(int(value))
    for _ in range(SYNC_ATTEMPTS):
        try:
            till.link.sync_now()
            break
        except SyncError as error:
            print(f"sync failed: {error}", file=sys.stderr, flush=True)
    till.close()
    say("finished")


def serve() -> None:
    for line in sys.stdin:
        if not line.strip():
            continue
        spec = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                run_child(spec)
                code = 0
            except BaseException:
                traceback.print_exc()
            finally:
                sys.stderr.flush()
                os._exit(code)
        say(f"child {pid}")
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status):
            say(f"exit signal {os.WTERMSIG(status)}")
        else:
            say(f"exit code {os.WEXITSTATUS(status)}")


if __name__ == "__main__":
    serve()
