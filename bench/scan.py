"""Scan to member shown, with 1,000,000 members in the till's cache, beside the limit.

Each scan is a card number with CR LF written into the master side of a kernel pty
(:class:`~devices.simulator.ScannerSimulator`); the headless app reads the slave side
with its :class:`~devices.serial_source.SerialScanner` thread, looks the member up
through the Till and shows them. The clock starts just before the bytes are written
and stops at the first frame the screen composes (Textual's compositor renders the
changed regions and hands them to ``App._display``; headless, nothing is written to
a terminal) in which the cashier screen's member is the scanned card and the member
panel's text holds the member's name. Scans are spaced: each starts once the
previous one and its status refresh have finished.

The physical limits, measured in the same run: the same bytes written into a pty and
read by a bare thread blocked in ``os.read`` on the slave (until the CR LF), and a
bare ``SELECT`` of the member row by card in the same 1,000,000-row database.
Target (DESIGN.md): p95 under 20 ms.
"""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import tempfile
import threading
import time
import tty
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from devices.config import ScannerConfig
from devices.simulator import ScannerSimulator
from loyalty.cards import make_card_number
from pos_client.config import TillConfig
from pos_client.store import LocalStore
from pos_client.store.members import MEMBER_COLUMNS, MemberCache
from pos_client.store.transaction import write_transaction
from pos_client.till import Till
from pos_client.ui import app as till_app_module
from pos_client.ui.app import TillApp
from pos_client.ui.components.member_panel import MemberPanel
from pos_client.ui.screens.cashier import CashierScreen
from pos_client.views import MemberView

MEMBERS = 1_000_000
SCANS = 300
TERMINAL = "BENCH-T1"
DEADLINE_S = 10.0
GAP_S = 0.05


def member_rows(count: int) -> Iterator[tuple[object, ...]]:
    """Rows for the ``members`` table: serials 1..count, all active."""
    for n in range(1, count + 1):
        yield (make_card_number(n), f"M{n:07d}", f"Member {n}", "", n % 5000, "active", 0,
               "2026-01-01T00:00:00Z", 1)  # fmt: skip


def fill_members(store: LocalStore, count: int) -> float:
    """Cache ``count`` members with one executemany in one transaction; the seconds taken."""
    started = time.perf_counter()
    with store.lock, write_transaction(store.conn) as conn:
        MemberCache.upsert_rows(conn, member_rows(count))  # type: ignore[arg-type]
    return time.perf_counter() - started


def describe(name: str, timings: list[float]) -> str:
    ordered = sorted(timings)
    p50 = ordered[len(ordered) // 2]
    p95 = ordered[int(len(ordered) * 0.95)]
    return (
        f"{name:34s} p50 {p50 * 1e3:7.3f} ms   p95 {p95 * 1e3:7.3f} ms   "
        f"max {ordered[-1] * 1e3:7.3f} ms"
    )


def p95(timings: list[float]) -> float:
    return sorted(timings)[int(len(timings) * 0.95)]


class TimedCashierScreen(CashierScreen):
    """The cashier screen, noting when the app hands it the awaited member."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.member_set_at: float | None = None

    def show_member(self, member: MemberView | None) -> None:
        super().show_member(member)
        if self.member_set_at is None:
            self.member_set_at = time.perf_counter()


class TimedTillApp(TillApp):
    """The till's app, telling the benchmark when a frame shows the awaited member."""

    CSS_PATH = str(Path(till_app_module.__file__).with_name(TillApp.CSS_PATH))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.awaited: tuple[str, str, asyncio.Future[float]] | None = None

    def get_default_screen(self) -> TimedCashierScreen:
        return TimedCashierScreen(
            demo=self.demo, cursor_blink=self.input_cursor_blink, receipt_time=False
        )

    def _display(self, screen: Any, renderable: Any) -> None:
        super()._display(screen, renderable)
        if self.awaited is None or renderable is None:
            return
        card, name, shown = self.awaited
        member = self.cashier.member
        if member is None or member.card != card:
            return
        if name in str(self.cashier.query_one(MemberPanel).render()):
            self.awaited = None
            shown.set_result(time.perf_counter())


async def wait_for(condition: Any, what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


async def app_scans(till: Till, cards: list[tuple[str, str]]) -> tuple[list[float], list[float]]:
    """(pty write -> member set on the screen, pty write -> frame composed) per scan."""
    set_on_screen, rendered = [], []
    with ScannerSimulator(framing="crlf") as simulator:
        config = ScannerConfig.from_mapping(
            {"port": simulator.path, "suffix": "crlf"}, section="scanner"
        )
        app = TimedTillApp(till, scanner=config)
        app.input_cursor_blink = False
        async with app.run_test(size=(80, 24)) as pilot:
            screen = app.cashier
            assert isinstance(screen, TimedCashierScreen)
            status = screen.query_one("#status")
            await wait_for(lambda: "ready" in str(status.render()), "the scanner")
            await pilot.pause(0.2)  # the reader flushes its input once after opening
            loop = asyncio.get_running_loop()
            for card, name in cards:
                await wait_for(lambda: app.idle, "the till to be idle")
                await asyncio.sleep(GAP_S)  # the previous scan's status and frames settle
                shown: asyncio.Future[float] = loop.create_future()
                app.awaited = (card, name, shown)
                screen.member_set_at = None
                started = time.perf_counter()
                simulator.send(card)
                ended = await asyncio.wait_for(shown, DEADLINE_S)
                assert screen.member_set_at is not None
                set_on_screen.append(screen.member_set_at - started)
                rendered.append(ended - started)
            await wait_for(lambda: app.idle, "the till to be idle")
            await pilot.pause(0.1)
    return set_on_screen, rendered


def bare_pty_reads(cards: list[str]) -> list[float]:
    """Write each scan's bytes into a pty; a bare thread reads the slave until CR LF."""
    master, slave = os.openpty()
    tty.setraw(slave)
    arrived: list[float] = []
    done = threading.Semaphore(0)

    def reader() -> None:
        buffer = b""
        while True:
            chunk = os.read(slave, 4096)
            if not chunk:
                return
            buffer += chunk
            while b"\r\n" in buffer:
                line, buffer = buffer.split(b"\r\n", 1)
                if line == b"stop":
                    return
                arrived.append(time.perf_counter())
                done.release()

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    timings = []
    try:
        for card in cards:
            wire = card.encode("ascii") + b"\r\n"
            started = time.perf_counter()
            os.write(master, wire)
            done.acquire()
            timings.append(arrived[-1] - started)
            time.sleep(0.001)
        os.write(master, b"stop\r\n")
        thread.join(5)
    finally:
        os.close(master)
        os.close(slave)
    return timings


def bare_selects(path: Path, cards: list[str]) -> list[float]:
    conn = sqlite3.connect(str(path))
    sql = f"SELECT {', '.join(MEMBER_COLUMNS)} FROM members WHERE card = ?"
    timings = []
    for card in cards:
        started = time.perf_counter()
        row = conn.execute(sql, [card]).fetchone()
        timings.append(time.perf_counter() - started)
        assert row is not None
    conn.close()
    return timings


def main() -> None:
    rng = random.Random(8)
    serials = rng.sample(range(1, MEMBERS + 1), SCANS)
    cards = [(make_card_number(n), f"Member {n}") for n in serials]
    with tempfile.TemporaryDirectory() as tmp:
        till = Till.open(TillConfig(terminal_id=TERMINAL, data_dir=Path(tmp) / "till"))
        try:
            filled_in = fill_members(till.store, MEMBERS)
            set_on_screen, shown = asyncio.run(app_scans(till, cards))
        finally:
            till.close()
        pty = bare_pty_reads([c for c, _ in cards])
        select = bare_selects(Path(tmp) / "till" / "till.sqlite", [c for c, _ in cards])
    print(f"== scan to member shown ({SCANS} scans, {MEMBERS:,} cached members) ==")
    print(f"(cache filled in {filled_in:.1f} s: one executemany, one transaction)")
    print(describe("pty write -> bare reader thread", pty))
    print(describe("bare SELECT of the member row", select))
    print(describe("pty write -> member set on screen", set_on_screen))
    print(describe("pty write -> frame with the member", shown))
    verdict = "met" if p95(shown) < 0.020 else "NOT met"
    print(f"p95 {p95(shown) * 1e3:.2f} ms   target: p95 under 20 ms ({verdict})")


if __name__ == "__main__":
    main()
