"""What the cashier sees at 80x24: empty, with a member, with an error, confirming.

Run ``pytest tests/ui/test_snapshots.py --snapshot-update`` after a deliberate
change to the screen, look at the new SVGs, and commit them.
"""

from __future__ import annotations

from textual.pilot import Pilot

SIZE = (80, 24)


async def scan_and_settle(pilot: Pilot[object], card: str, wait_for_workers) -> None:
    await wait_for_workers(pilot)
    pilot.app.screen.query_one("#scan").focus()
    pilot.app.screen.query_one("#scan").value = card
    await pilot.press("enter")
    await wait_for_workers(pilot)


def test_empty_cashier_screen(snap_compare, make_app, wait_for_workers):
    async def run_before(pilot: Pilot[object]) -> None:
        await wait_for_workers(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_cashier_screen_with_a_member_and_a_basket(
    snap_compare, make_app, cards, products, wait_for_workers
):
    async def run_before(pilot: Pilot[object]) -> None:
        await scan_and_settle(pilot, cards.nora, wait_for_workers)
        for code in (products.latte, products.milk, products.bread):
            await scan_and_settle(pilot, code, wait_for_workers)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_cashier_screen_after_a_sale(snap_compare, make_app, cards, products, wait_for_workers):
    async def run_before(pilot: Pilot[object]) -> None:
        await scan_and_settle(pilot, cards.nora, wait_for_workers)
        await scan_and_settle(pilot, products.latte, wait_for_workers)
        pilot.app.screen.query_one("#amount").value = "149.90"
        await pilot.press("f2")
        await wait_for_workers(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_cashier_screen_with_an_error(snap_compare, make_app, cards, wait_for_workers):
    async def run_before(pilot: Pilot[object]) -> None:
        await scan_and_settle(pilot, cards.nora, wait_for_workers)
        await scan_and_settle(pilot, cards.mistyped, wait_for_workers)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_redeem_dialog(snap_compare, make_app, cards, products, wait_for_workers):
    async def run_before(pilot: Pilot[object]) -> None:
        await scan_and_settle(pilot, cards.nora, wait_for_workers)
        await scan_and_settle(pilot, products.bread, wait_for_workers)
        await pilot.press("f3")
        await wait_for_workers(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_refund_dialog(snap_compare, make_app, till, cards, products, wait_for_workers):
    till.scan(cards.nora)
    till.add_product(products.latte)
    till.add_product(products.milk)
    till.finish_sale()
    till.clear_member()

    async def run_before(pilot: Pilot[object]) -> None:
        await wait_for_workers(pilot)
        await pilot.press("f4")
        await wait_for_workers(pilot)
        pilot.app.screen.query_one("#receipt-no").value = "1"
        await pilot.press("enter")
        await wait_for_workers(pilot)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_demo_screen(snap_compare, tmp_path, wait_for_workers):
    from pos_client.demo import open_demo_till
    from pos_client.ui.app import TillApp

    till = open_demo_till(tmp_path / "demo")
    try:
        app = TillApp(till, demo=True)
        app.input_cursor_blink = False

        async def run_before(pilot: Pilot[object]) -> None:
            await wait_for_workers(pilot)

        assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
    finally:
        till.close()
