"""Cashier safety: what a hurried cashier does must never record the wrong thing.

Each test is one of the mistakes people make at a till: a key pressed twice, typing
ahead of the screen, a misread card, a refund or a redemption the cashier did not
size, an amount with a slip of the finger.
"""

from __future__ import annotations

import threading

from textual import events
from textual.widgets import Input
from textual.widgets._footer import FooterKey

from pos_client.ui.components.basket_panel import BasketPanel
from pos_client.ui.components.member_panel import MemberPanel
from pos_client.ui.components.notice_line import NoticeLine
from pos_client.ui.screens.confirm_dialog import ConfirmDialog
from pos_client.ui.screens.redeem_dialog import RedeemDialog
from pos_client.ui.screens.refund_confirm import RefundConfirmDialog


def burst(app, *keys: str) -> None:
    """Keys as a fast typist or a keyboard-wedge scanner delivers them: all queued
    before the App has handled the first."""
    for key in keys:
        character = {"enter": "\r"}.get(key, key if len(key) == 1 else None)
        app.post_message(events.Key(key, character))


def notice(app) -> str:
    line = app.cashier.query_one(NoticeLine).notice
    return "" if line is None else line.text


async def test_f2_pressed_twice_in_one_burst_records_one_sale(
    make_app, till, cards, products, wait_for_workers
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*cards.nora, "enter", *products.latte, "enter")
        await wait_for_workers(pilot)
        await pilot.press("f2", "f2")
        await wait_for_workers(pilot)
        await pilot.press("f2")  # and once more after the receipt: the basket is empty
        await wait_for_workers(pilot)
    assert till.store.journal.tip()[0] == 1


async def test_keys_typed_while_a_card_is_looked_up_land_in_the_amount_field(
    make_app, till, cards, wait_for_workers, monkeypatch
):
    """The lookup waits until the amount and F2 are typed, before the member is on
    screen: they must still go to the Amount field and finish for that member."""
    original = till.scan_code
    answer = threading.Event()

    def slow_scan(text: str):
        answer.wait(10)
        return original(text)

    monkeypatch.setattr(till, "scan_code", slow_scan)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_workers(pilot)
        await pilot.press(*cards.nora, "enter")
        await pilot.press(*"45", "f2")  # typed ahead of the answer
        assert app.cashier.holding and till.member is None  # really still looking up
        answer.set()
        await wait_for_workers(pilot)
        assert app.cashier.query_one("#scan", Input).value == ""
    (sale,) = till.store.journal.iterate()
    assert sale.card == cards.nora and sale.postings["points"] == 45


async def test_keys_typed_while_a_failing_scan_is_looked_up_are_dropped_and_said_so(
    make_app, till, cards, wait_for_workers, monkeypatch
):
    original = till.scan_code
    answer = threading.Event()

    def slow_scan(text: str):
        answer.wait(10)
        return original(text)

    monkeypatch.setattr(till, "scan_code", slow_scan)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_workers(pilot)
        await pilot.press(*cards.unknown, "enter", *"45", "f2")
        assert app.cashier.holding
        answer.set()
        await wait_for_workers(pilot)
        assert "is not registered" in notice(app)
        assert "3 key(s) typed during the scan were not used" in notice(app)
        assert app.cashier.query_one("#amount", Input).value == ""
        assert app.cashier.query_one("#scan", Input).value == ""
    assert till.store.journal.tip()[0] == 0


async def test_a_failed_scan_clears_the_previous_member(
    make_app, till, cards, products, fill_field, wait_for_workers
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*cards.nora, "enter", *products.milk, "enter")
        await wait_for_workers(pilot)
        for bad in (cards.mistyped, cards.unknown, cards.blocked):
            await fill_field(pilot, "#scan", cards.nora)
            await pilot.press("enter")
            await wait_for_workers(pilot)
            assert app.cashier.member is not None
            await fill_field(pilot, "#scan", bad)
            await pilot.press("enter")
            await wait_for_workers(pilot)
            assert app.cashier.member is None and till.member is None
            assert "Nora" not in str(app.cashier.query_one(MemberPanel).render())
            assert "Nora Hansen is no longer selected: scan their card again." in notice(app)
        await pilot.press("f2")  # nothing can be finished for the previous customer
        await wait_for_workers(pilot)
        assert till.draft.lines  # the basket itself stays for the right card
    assert till.store.journal.tip()[0] == 0


async def test_a_refund_shows_what_it_takes_back_and_asks_to_confirm(
    make_app, till, cards, products, fill_field, wait_for_workers
):
    till.scan(cards.nora)
    till.add_product(products.latte)
    till.add_product(products.milk)
    till.finish_sale()  # 64.80 NOK: 64 points
    till.clear_member()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4")
        await wait_for_workers(pilot)
        await fill_field(pilot, "#receipt-no", "1")
        await pilot.press("enter")
        await wait_for_workers(pilot)
        dialog = app.screen
        assert isinstance(dialog, RefundConfirmDialog)
        question = dialog.question()
        assert "Latte" in question and "Milk 1 l" in question
        assert "Takes back: -64 points" in question
        assert "Money back: 64.80 NOK" in question
        assert "Balance after: 1 250 points" in question
        assert till.store.journal.tip()[0] == 1  # nothing yet

        await pilot.press("c", *"2", "enter")  # only the milk
        await wait_for_workers(pilot)
        dialog = app.screen
        assert "Takes back: -25 points" in dialog.question()  # 64 - 39 for the latte alone
        assert "Money back: 24.90 NOK" in dialog.question()
        await pilot.press("y")
        await wait_for_workers(pilot)
        assert app.screen is app.cashier
    refund = till.store.journal.get(2)
    assert refund is not None and refund.get("returned") == [{"line": 2, "qty": 1}]
    assert refund.postings == {"points": -25, "qualifying_spend": -2490}


async def test_a_refund_cancelled_at_the_question_records_nothing(
    make_app, till, cards, fill_field, wait_for_workers
):
    till.scan(cards.nora)
    till.earn("99")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4")
        await wait_for_workers(pilot)
        await fill_field(pilot, "#receipt-no", "1")
        await pilot.press("enter")
        await wait_for_workers(pilot)
        await pilot.press("n")
        await wait_for_workers(pilot)
        assert notice(app) == "Refund cancelled. Nothing was recorded."
    assert till.store.journal.tip()[0] == 1


async def test_the_redeem_dialog_states_balance_minimum_purchase_and_offline_cap(
    make_app, till, cards, products, wait_for_workers, monkeypatch
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*cards.nora, "enter", *products.bread, "enter")
        await wait_for_workers(pilot)
        await pilot.press("f3")
        await wait_for_workers(pilot)
        dialog = app.screen
        assert isinstance(dialog, RedeemDialog)
        question = dialog.question()
        assert "Nora Hansen has 1 250 points (100 points = 10.00 NOK)" in question
        assert "Smallest redemption: 100 points" in question
        assert "The basket (44.90 NOK) caps the discount" in question
        assert "at most 449" in question
        assert dialog.query_one("#redeem-points", Input).value == "449"
        await pilot.press(*"5000", "enter")
        assert "Use from 100 to 449 points" in str(dialog.query_one("#dialog-error").render())
        await pilot.press("escape")
        await wait_for_workers(pilot)

        from loyalty.programme.redemption import RedeemLimits

        offline = RedeemLimits(1250, 100, 4490, 300, 300)
        monkeypatch.setattr(till, "redeem_limits", lambda: offline)
        await pilot.press("f3")
        await wait_for_workers(pilot)
        question = app.screen.question()
        assert "Offline: 300 points left today at this till" in question
        assert "at most 300" in question
    assert till.store.journal.tip()[0] == 0


async def test_a_zero_amount_is_refused(make_app, till, cards, wait_for_workers):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*cards.nora, "enter", *"0.00", "enter")
        await wait_for_workers(pilot)
        assert "The amount must be more than zero." in notice(app)
        await pilot.press("f2")
        await wait_for_workers(pilot)
    assert till.store.journal.tip()[0] == 0


async def test_an_amount_above_the_limit_asks_for_a_second_look(
    make_app, till, cards, wait_for_workers
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*cards.nora, "enter", *"12500", "enter")
        await wait_for_workers(pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog)
        assert "12500.00 NOK is more than this till's usual limit of 5000.00 NOK" in (
            dialog.question()
        )
        await pilot.press("n")
        await wait_for_workers(pilot)
        assert not till.draft.lines
        await pilot.press(*"12500", "f2")
        await wait_for_workers(pilot)
        await pilot.press("y")
        await wait_for_workers(pilot)
    (sale,) = till.store.journal.iterate()
    assert sale.postings["points"] == 12500


async def test_the_footer_fits_80_columns_and_shows_how_to_quit(make_app, wait_for_workers):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_workers(pilot)
        keys = [key for key in app.cashier.query(FooterKey)]
        assert "quit" in [key.action for key in keys]
        assert max(key.region.right for key in keys) <= 80
        assert all(key.region.y == 23 for key in keys)  # one line, the last


async def test_an_amount_typed_in_one_burst_with_the_card_scan_lands_in_the_amount_field(
    make_app, till, cards, wait_for_workers
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_workers(pilot)
        burst(app, *cards.nora, "enter", "4", "5")
        await wait_for_workers(pilot)
        assert app.cashier.member is not None and app.cashier.member.card == cards.nora
        assert app.cashier.query_one("#amount", Input).value == "45"
        assert app.cashier.query_one("#scan", Input).value == ""


async def test_a_wedge_scan_in_one_burst_while_the_basket_has_focus_selects_the_member(
    make_app, till, cards, products, wait_for_workers
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*products.milk, "enter")
        await wait_for_workers(pilot)
        app.cashier.query_one(BasketPanel).focus()
        await pilot.pause()
        burst(app, *cards.nora, "enter", "4", "5")
        await wait_for_workers(pilot)
        assert app.cashier.member is not None and app.cashier.member.card == cards.nora
        assert app.cashier.query_one("#amount", Input).value == "45"
        assert [line.name for line in till.draft.lines] == ["Milk 1 l"]


async def test_the_next_amount_typed_in_one_burst_after_enter_is_kept(
    make_app, till, cards, wait_for_workers
):
    """Enter adds the line and clears the field: what is typed next must not be
    cleared with it."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*cards.nora, "enter")
        await wait_for_workers(pilot)
        burst(app, "1", "0", "enter", "2", "0")
        await wait_for_workers(pilot)
        assert [line.unit_minor for line in till.draft.lines] == [1000]
        assert app.cashier.query_one("#amount", Input).value == "20"


async def test_points_typed_in_one_burst_with_f3_go_to_the_redeem_dialog(
    make_app, till, cards, products, wait_for_workers
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*cards.nora, "enter", *products.latte, "enter")
        await wait_for_workers(pilot)
        burst(app, "f3", "1", "0", "0", "enter")
        await wait_for_workers(pilot)
        assert app.screen is app.cashier
        assert till.draft.redeem_points == 100
        assert app.cashier.query_one("#scan", Input).value == ""


async def test_ctrl_q_asks_before_discarding_an_unrecorded_basket(
    make_app, till, cards, products, wait_for_workers
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*cards.nora, "enter", *products.latte, "enter")
        await wait_for_workers(pilot)
        await pilot.press("ctrl+q")
        await wait_for_workers(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert "1 line that is not recorded" in app.screen.question()
        await pilot.press("n")
        await wait_for_workers(pilot)
        assert app.is_running and till.draft.lines
        await pilot.press("f2")
        await wait_for_workers(pilot)
        await pilot.press("ctrl+q")  # the sale is recorded: nothing to lose
        await wait_for_workers(pilot)
        assert not app.is_running
