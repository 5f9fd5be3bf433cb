"""A real serial scanner in the app: bytes written to a kernel pty end with the member
shown; unplug and replug show in the status bar without a restart."""

from __future__ import annotations

import asyncio

from devices.config import ScannerConfig
from devices.simulator import ScannerSimulator
from pos_client.ui.app import TillApp
from pos_client.ui.components.member_panel import MemberPanel

DEADLINE_S = 10.0


async def wait_until(pilot, condition, what: str) -> None:
    """Let the app run until ``condition()`` holds; fail naming ``what`` after a deadline."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE_S
    while loop.time() < deadline:
        await pilot.pause(0.05)
        if condition():
            return
    raise AssertionError(f"timed out waiting for {what}")


def status_text(app: TillApp) -> str:
    return str(app.cashier.query_one("#status").render())


async def test_bytes_written_to_a_pty_end_with_the_member_shown(till, cards, tmp_path):
    link = tmp_path / "scanner"  # stands for /dev/serial/by-id/...
    with ScannerSimulator(framing="crlf", link=link) as simulator:
        config = ScannerConfig.from_mapping(
            {"port": str(link), "suffix": "crlf"}, section="scanner"
        )
        app = TillApp(till, scanner=config)
        app.input_cursor_blink = False
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_until(pilot, lambda: "ready" in status_text(app), "scanner ready")
            simulator.send_raw(cards.nora[:5].encode())  # one scan split across writes
            await pilot.pause(0.05)
            simulator.send_raw(cards.nora[5:].encode() + b"\r\n")
            await wait_until(pilot, lambda: app.cashier.member is not None, "member shown")
            assert app.cashier.member.card == cards.nora
            assert "Nora Hansen" in str(app.cashier.query_one(MemberPanel).render())

            simulator.unplug()
            await wait_until(pilot, lambda: "not available" in status_text(app), "unplug shown")
            simulator.replug()
            await wait_until(pilot, lambda: "ready" in status_text(app), "replug shown")

            simulator.send(cards.emil)
            await wait_until(
                pilot,
                lambda: app.cashier.member is not None and app.cashier.member.card == cards.emil,
                "second member after replug",
            )


async def test_garbage_from_the_scanner_is_an_error_and_selects_nobody(till, tmp_path):
    with ScannerSimulator(framing="crlf") as simulator:
        config = ScannerConfig.from_mapping({"port": simulator.path}, section="scanner")
        app = TillApp(till, scanner=config)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_until(pilot, lambda: "ready" in status_text(app), "scanner ready")
            simulator.send_raw(b"29\x00\x01\xff00\r\n")
            notice = app.cashier.query_one("#notice")
            await wait_until(pilot, lambda: "unreadable" in str(notice.render()), "error shown")
            assert app.cashier.member is None
    assert till.store.journal.tip()[0] == 0
