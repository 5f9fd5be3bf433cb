"""Demo mode: cards to try, a key that simulates a scan, the store in the header."""

from __future__ import annotations

from textual.widgets._footer import FooterKey

from pos_client.demo import DEMO_TERMINAL_ID, open_demo_till
from pos_client.ui.app import TillApp
from pos_client.ui.components.demo_help import DemoHelp
from pos_client.ui.messages import ScanReceived


async def test_simulate_scan_selects_a_member_through_submit_scan(tmp_path, wait_for_workers):
    till = open_demo_till(tmp_path)
    app = TillApp(till, demo=True)
    app.input_cursor_blink = False
    calls: list[tuple[str, str]] = []
    original = app.submit_scan

    def spy(text: str, source: str) -> None:
        calls.append((text, source))
        original(text, source)

    app.submit_scan = spy
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for_workers(pilot)
            await pilot.press("f9")
            await wait_for_workers(pilot)
            assert app.cashier.member is not None
            assert calls == [(app.cashier.member.card, "demo")]
            assert "Demo store" in app.sub_title and DEMO_TERMINAL_ID in app.sub_title
    finally:
        till.close()


async def test_the_help_panel_lists_sample_cards(tmp_path, wait_for_workers):
    till = open_demo_till(tmp_path)
    try:
        app = TillApp(till, demo=True)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for_workers(pilot)
            panel = app.cashier.query_one(DemoHelp)
            assert panel.cards == tuple(till.store.members.sample_cards(5))
            assert all(card in str(panel.render()) for card in panel.cards[:2])
    finally:
        till.close()


async def test_outside_demo_mode_there_is_no_simulate_key(make_app, wait_for_workers):
    seen: list[ScanReceived] = []
    app = make_app(demo=False)
    async with app.run_test(size=(80, 24), message_hook=seen.append) as pilot:
        await wait_for_workers(pilot)
        assert not app.cashier.query(DemoHelp)
        assert all(key.action != "simulate_scan" for key in app.cashier.query(FooterKey))
        await pilot.press("f9")
        await wait_for_workers(pilot)
        assert app.cashier.member is None
    assert not [m for m in seen if isinstance(m, ScanReceived)]
