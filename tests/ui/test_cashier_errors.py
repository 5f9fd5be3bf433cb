"""Bad input gets a clear sentence for the cashier and loses nothing (guarantee 8)."""

from __future__ import annotations

from textual.widgets import Input

from pos_client.ui.components.notice_line import NoticeLine


def notice(app) -> str:
    line = app.cashier.query_one(NoticeLine)
    assert line.notice is not None and line.notice.is_error
    return line.notice.text


async def scan(pilot, fill_field, wait_for_workers, card: str) -> None:
    await fill_field(pilot, "#scan", card)
    await pilot.press("enter")
    await wait_for_workers(pilot)


async def test_an_unknown_card_is_named(make_app, cards, fill_field, wait_for_workers):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await scan(pilot, fill_field, wait_for_workers, cards.unknown)
        assert f"Card •••• {cards.unknown[-4:]} is not registered" in notice(app)
        assert app.focused is app.cashier.query_one("#scan")


async def test_a_mistyped_card_number_says_so(make_app, cards, fill_field, wait_for_workers):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await scan(pilot, fill_field, wait_for_workers, cards.mistyped)
        assert "mistyped or misread" in notice(app)
        assert app.cashier.member is None
        assert app.focused is app.cashier.query_one("#scan")


async def test_a_blocked_card_is_refused(make_app, cards, fill_field, wait_for_workers):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await scan(pilot, fill_field, wait_for_workers, cards.blocked)
        assert "is blocked" in notice(app)
        assert app.cashier.member is None


async def test_a_misread_product_barcode_and_an_unknown_product_are_named(
    make_app, cards, products, fill_field, wait_for_workers
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await scan(pilot, fill_field, wait_for_workers, cards.nora)
        misread = products.milk[:-1] + str((int(products.milk[-1]) + 1) % 10)
        await scan(pilot, fill_field, wait_for_workers, misread)
        assert "misread" in notice(app)
        await scan(pilot, fill_field, wait_for_workers, cards.nora)
        await scan(pilot, fill_field, wait_for_workers, "96385074")
        assert "Product 96385074 is not in this till's catalogue" in notice(app)
        assert app.cashier.member is not None  # a product is never a card


async def test_not_enough_points_records_nothing(
    make_app, till, cards, products, fill_field, wait_for_workers
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await scan(pilot, fill_field, wait_for_workers, cards.emil)
        await scan(pilot, fill_field, wait_for_workers, products.bread)
        await pilot.press("f3")
        await wait_for_workers(pilot)
        assert app.screen is app.cashier
        assert "Not enough points to redeem: the member has 40 points" in notice(app)
    assert till.store.journal.tip()[0] == 0


async def test_points_need_a_basket_to_be_a_discount_on(
    make_app, till, cards, fill_field, wait_for_workers
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await scan(pilot, fill_field, wait_for_workers, cards.nora)
        await pilot.press("f3")
        await wait_for_workers(pilot)
        assert "add its lines first" in notice(app)
    assert till.store.journal.tip()[0] == 0


async def test_a_bad_amount_keeps_the_typed_text_and_the_member(
    make_app, till, cards, fill_field, wait_for_workers
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await scan(pilot, fill_field, wait_for_workers, cards.nora)
        await fill_field(pilot, "#amount", "12.345")
        await pilot.press("f2")
        await wait_for_workers(pilot)
        assert "at most 2 decimals" in notice(app)
        assert app.cashier.query_one("#amount", Input).value == "12.345"
        assert app.focused is app.cashier.query_one("#amount")
        assert app.cashier.member is not None
        assert not till.draft.lines  # the bad amount did not stay behind as a line

        await fill_field(pilot, "#amount", "12.34")
        await pilot.press("f2")
        await wait_for_workers(pilot)
        assert app.cashier.query_one(NoticeLine).notice is None
    assert [e.postings["points"] for e in till.store.journal.iterate()] == [12]


async def test_an_empty_basket_asks_for_a_line(make_app, till, cards, fill_field, wait_for_workers):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await scan(pilot, fill_field, wait_for_workers, cards.nora)
        await pilot.press("f2")
        await wait_for_workers(pilot)
        assert notice(app) == "The basket is empty: scan a product or type an amount."
    assert till.store.journal.tip()[0] == 0


async def test_an_unexpected_failure_is_reported_without_a_traceback(
    make_app, till, cards, fill_field, wait_for_workers, monkeypatch
):
    app = make_app()

    def broken():
        raise RuntimeError("disk on fire")

    async with app.run_test(size=(80, 24)) as pilot:
        await scan(pilot, fill_field, wait_for_workers, cards.nora)
        monkeypatch.setattr(till, "finish_sale", broken)
        await fill_field(pilot, "#amount", "10")
        await pilot.press("f2")
        await wait_for_workers(pilot)
        assert notice(app).startswith("Something went wrong in the till.")
        assert "disk on fire" not in notice(app)
        assert app.is_running
        monkeypatch.undo()
        await pilot.press("f2")  # a failed finish does not block the next one
        await wait_for_workers(pilot)
    assert till.store.journal.tip()[0] == 1
