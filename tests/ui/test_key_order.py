"""Keys reach the field or dialog they were typed for, in the order typed, however
the App's turns fall between them: codes typed on the basket, keys typed as a
dialog opens or after a refused one, keys typed while a sale is recorded and the
next card is looked up, and Ctrl+Q from a dialog."""

from __future__ import annotations

import asyncio
import time

import pytest
from textual import events
from textual.widgets import Input

from pos_client.ui.components.basket_panel import BasketPanel
from pos_client.ui.components.notice_line import NoticeLine
from pos_client.ui.messages import ScanReceived
from pos_client.ui.screens.confirm_dialog import ConfirmDialog
from pos_client.ui.screens.redeem_dialog import RedeemDialog

CHARACTERS = {"enter": "\r", "minus": "-", "plus": "+"}


def post(app, *keys: str) -> None:
    """Keys as the terminal delivers them, queued on the App."""
    for key in keys:
        app.post_message(events.Key(key, CHARACTERS.get(key, key if len(key) == 1 else None)))


async def turns(count: int) -> None:
    """Let the event loop run ``count`` times (the App handles some of what is queued)."""
    for _ in range(count):
        await asyncio.sleep(0)


def notice(app) -> str:
    line = app.cashier.query_one(NoticeLine).notice
    return "" if line is None else line.text


async def basket_focused_with_milk(pilot, products, wait_for_workers) -> None:
    await pilot.press(*products.milk, "enter")
    await wait_for_workers(pilot)
    pilot.app.cashier.query_one(BasketPanel).focus()
    await pilot.pause()


@pytest.mark.parametrize("gap", [0, 2, 5, 15])
async def test_a_code_typed_on_the_basket_in_two_bursts_scans_whole(
    make_app, till, products, wait_for_workers, gap
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await basket_focused_with_milk(pilot, products, wait_for_workers)
        post(app, *products.bread[:3])
        await turns(gap)
        post(app, *products.bread[3:], "enter")
        await wait_for_workers(pilot)
        assert [line.name for line in till.draft.lines] == ["Milk 1 l", "Bread"], notice(app)


@pytest.mark.parametrize("pause", [0.0, 0.002])
async def test_a_code_typed_on_the_basket_key_by_key_scans_whole(
    make_app, till, products, wait_for_workers, pause
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await basket_focused_with_milk(pilot, products, wait_for_workers)
        for key in [*products.bread, "enter"]:
            post(app, key)
            await turns(2)
            await asyncio.sleep(pause)
        await wait_for_workers(pilot)
        assert [line.name for line in till.draft.lines] == ["Milk 1 l", "Bread"], notice(app)


async def test_a_voucher_typed_on_the_basket_goes_to_the_scan_field_not_the_basket(
    make_app, till, cards, products, wait_for_workers
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*cards.nora, "enter")
        await wait_for_workers(pilot)
        await basket_focused_with_milk(pilot, products, wait_for_workers)
        await pilot.press(*"VCH", "minus", *"7K2M9Q", "enter")  # "-" would remove a line
        await wait_for_workers(pilot)
        assert [line.name for line in till.draft.lines] == ["Milk 1 l"]
        assert "is not one of this member's vouchers" in notice(app)


@pytest.mark.parametrize("gap", [0, 2, 5])
async def test_points_typed_as_the_redeem_dialog_opens_stay_in_order(
    make_app, till, cards, products, wait_for_workers, gap
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*cards.nora, "enter", *products.latte, "enter")
        await wait_for_workers(pilot)
        post(app, "f3", "1")
        for _ in range(2000):
            await asyncio.sleep(0)
            if isinstance(app.screen, RedeemDialog):
                break
        await turns(gap)
        post(app, "0", "0", "enter")
        await wait_for_workers(pilot)
        await pilot.pause()
        assert till.draft.redeem_points == 100
        assert app.cashier.query_one("#amount", Input).value == ""


async def test_a_scan_typed_after_a_refused_f5_still_scans(
    make_app, till, cards, products, wait_for_workers
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*cards.nora, "enter")
        await wait_for_workers(pilot)
        post(app, "f5", *products.milk, "enter")  # no reward to use: F5 is refused
        await wait_for_workers(pilot)
        assert [line.name for line in till.draft.lines] == ["Milk 1 l"]


async def test_the_amount_for_the_next_card_waits_for_the_sale_and_the_card(
    make_app, till, cards, products, wait_for_workers
):
    """F2, then the next member's card from the serial scanner, then their amount:
    the amount lands in their Amount field, not in the Scan field after the receipt."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*cards.nora, "enter", *products.latte, "enter")
        await wait_for_workers(pilot)
        post(app, "f2")
        for _ in range(2000):
            await asyncio.sleep(0)
            if app._finishing:
                break
        app.post_message(ScanReceived(cards.emil, "serial"))
        post(app, "2", "0")
        await wait_for_workers(pilot)
        assert app.cashier.member is not None and app.cashier.member.card == cards.emil
        assert app.cashier.query_one("#amount", Input).value == "20"
        assert app.cashier.query_one("#scan", Input).value == ""


async def test_a_refused_amount_does_not_release_keys_waiting_for_a_card(
    make_app, till, cards, wait_for_workers
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*cards.nora, "enter")
        await wait_for_workers(pilot)
        real = till.add_amount

        def slow(text: str, *args, **kwargs):
            time.sleep(0.3)  # the refusal comes while the card is being looked up
            return real(text, *args, **kwargs)

        till.add_amount = slow  # type: ignore[method-assign]
        amount = app.cashier.query_one("#amount", Input)
        amount.value = "abc"
        await pilot.pause()
        post(app, "enter")
        for _ in range(2000):
            await asyncio.sleep(0)
            if amount.value == "" and not app.cashier.holding:
                break
        app.post_message(ScanReceived(cards.emil, "serial"))
        post(app, "2", "0", "f2")
        await wait_for_workers(pilot)
        assert app.cashier.member is not None and app.cashier.member.card == cards.emil
        assert "member changed" not in notice(app)
        (sale,) = till.store.journal.iterate()
        assert sale.card == cards.emil and sale.postings["points"] == 20


async def test_ctrl_q_in_a_dialog_asks_before_discarding_the_basket(
    make_app, till, cards, products, wait_for_workers
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*cards.nora, "enter", *products.latte, "enter")
        await wait_for_workers(pilot)
        await pilot.press("f3")
        await wait_for_workers(pilot)
        assert isinstance(app.screen, RedeemDialog)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, ConfirmDialog)
        assert "1 line that is not recorded" in app.screen.question()
        await pilot.press("n")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, RedeemDialog)
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("ctrl+q")  # at the question itself, Ctrl+Q quits
        await pilot.pause()
        assert not app.is_running
