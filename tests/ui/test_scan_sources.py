"""Every scan source goes through ``submit_scan``; scanner threads use messages."""

from __future__ import annotations

import threading

from textual.widgets import Input

from pos_client.ui.components import scan_field
from pos_client.ui.components.status_bar import StatusBar
from pos_client.ui.messages import MemberSelected, ScannerStatusChanged, ScanReceived


async def test_a_scanner_thread_selects_a_member_by_posting_a_message(
    make_app, cards, wait_for_workers
):
    selected: list[MemberSelected] = []
    app = make_app()

    def hook(message):
        if isinstance(message, MemberSelected):
            selected.append(message)

    async with app.run_test(size=(80, 24), message_hook=hook) as pilot:
        thread = threading.Thread(
            target=app.post_message, args=(ScanReceived(cards.emil, "serial"),)
        )
        thread.start()
        thread.join()
        await wait_for_workers(pilot)
        assert app.cashier.member.name == "Emil Berg"
    assert [(m.member.card, m.source) for m in selected] == [(cards.emil, "serial")]


async def test_the_status_bar_shows_the_scanner_state(make_app, wait_for_workers):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_workers(pilot)
        bar = app.cashier.query_one(StatusBar)
        assert "scanner: keyboard" in str(bar.render())
        app.post_message(ScannerStatusChanged("serial /dev/ttyACM0"))
        await pilot.pause()
        assert "scanner: serial /dev/ttyACM0" in str(bar.render())
        app.set_scanner_status("reconnecting")
        await pilot.pause()
        assert "scanner: reconnecting" in str(bar.render())


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now


async def test_typed_scan_is_tagged_keyboard_or_wedge_by_speed(
    make_app, cards, fill_field, wait_for_workers, monkeypatch
):
    clock = FakeClock()
    monkeypatch.setattr(scan_field, "time", clock)
    sources: dict[int, str] = {}
    app = make_app()

    def hook(message):
        if isinstance(message, ScanReceived):
            sources[id(message)] = message.source

    async with app.run_test(size=(80, 24), message_hook=hook) as pilot:
        await fill_field(pilot, "#scan", cards.nora)
        clock.now += 0.1
        await pilot.press("enter")
        await wait_for_workers(pilot)
        assert app.cashier.member.card == cards.nora
        assert app.cashier.query_one("#scan", Input).value == ""

        await fill_field(pilot, "#scan", cards.emil)
        clock.now += 13 * 0.2
        await pilot.press("enter")
        await wait_for_workers(pilot)
        assert app.cashier.member.card == cards.emil
    assert list(sources.values()) == ["wedge", "keyboard"]


async def test_a_wedge_scan_into_the_amount_field_selects_and_keeps_the_amount(
    make_app, cards, fill_field, wait_for_workers
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await fill_field(pilot, "#amount", "149.90" + cards.nora)
        await pilot.press("enter")
        await wait_for_workers(pilot)
        assert app.cashier.member.card == cards.nora
        assert app.cashier.query_one("#amount", Input).value == "149.90"


async def test_a_scan_while_another_is_running_is_applied_in_order(
    make_app, cards, wait_for_workers
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.submit_scan(cards.nora, "serial")
        app.submit_scan(cards.unknown, "serial")
        app.submit_scan(cards.emil, "serial")
        await wait_for_workers(pilot)
        assert app.cashier.member.card == cards.emil
