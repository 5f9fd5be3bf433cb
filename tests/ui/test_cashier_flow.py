"""The cashier's main flow, driven by key presses against a real Till: a basket of
products, quick keys and amounts, what it earns, finishing it, and the receipt."""

from __future__ import annotations

from textual.geometry import Region
from textual.widgets import Input
from textual.widgets._footer import FooterKey

from loyalty.events import EventKind
from pos_client.ui.components.basket_panel import EMPTY_HINT, BasketPanel
from pos_client.ui.components.member_panel import MemberPanel
from pos_client.ui.components.notice_line import NoticeLine
from pos_client.ui.components.totals_bar import TotalsBar


def text_of(app, widget_type) -> str:
    return str(app.cashier.query_one(widget_type).render())


def rows(app) -> list[list[str]]:
    table = app.cashier.query_one(BasketPanel)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def footer_key(app, action: str) -> FooterKey:
    return next(key for key in app.cashier.query(FooterKey) if key.action == action)


async def test_a_basket_of_products_quick_keys_and_amounts_is_sold_and_recorded(
    make_app, till, cards, products, fill_field, wait_for_workers
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_workers(pilot)
        await pilot.press(*products.latte, "enter")  # products before the card, as at a till
        await pilot.press(*products.milk, "enter")
        await wait_for_workers(pilot)
        assert [r[1] for r in rows(app)] == ["Latte", "Milk 1 l"]
        assert "Scan the member's card" in text_of(app, TotalsBar)

        await pilot.press(*cards.nora, "enter")
        await wait_for_workers(pilot)
        assert "Nora Hansen" in text_of(app, MemberPanel)
        assert app.focused is app.cashier.query_one("#amount")
        await pilot.press(*"15.50", "enter")  # goods without a barcode
        await wait_for_workers(pilot)
        await pilot.press("f6", "c")  # the Coffee quick key
        await wait_for_workers(pilot)
        assert [r[1] for r in rows(app)] == ["Latte", "Milk 1 l", "Amount", "Coffee"]
        # 120.20 NOK earns 120 points, rounded once per receipt; the lines show shares
        # of it that add up (the largest remainders get the units left over).
        assert [r[4] for r in rows(app)] == ["+40 pts", "+25 pts", "+15 pts", "+40 pts"]
        assert "To pay 120.20 NOK" in text_of(app, TotalsBar)
        assert "Earns +120 points" in text_of(app, TotalsBar)

        await pilot.press("f2")
        await wait_for_workers(pilot)
        basket = app.cashier.query_one(BasketPanel)
        assert basket.border_title == "Receipt TEST-T1-000001 (Sale)"
        assert "Sale recorded: +120 points" in text_of(app, TotalsBar)
        assert "1 370 points (of which +120 not yet synced)" in text_of(app, MemberPanel)
        assert app.focused is app.cashier.query_one("#scan")

    (sale,) = till.store.journal.iterate()
    assert sale.kind is EventKind.SALE and sale.card == cards.nora
    assert [line["name"] for line in sale.get("basket")["lines"]] == [
        "Latte",
        "Milk 1 l",
        "Amount",
        "Coffee",
    ]
    assert sale.postings == {"points": 120, "qualifying_spend": 12020}


async def test_the_one_field_flow_still_works_scan_type_an_amount_and_f2(
    make_app, till, cards, wait_for_workers
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*cards.nora, "enter")
        await wait_for_workers(pilot)
        await pilot.press(*"149.90", "f2")
        await wait_for_workers(pilot)
        assert "1 399 points (of which +149 not yet synced)" in text_of(app, MemberPanel)
        assert app.cashier.query_one("#amount", Input).value == ""
    assert [e.postings["points"] for e in till.store.journal.iterate()] == [149]


async def test_points_used_as_a_discount_are_part_of_the_sale(
    make_app, till, cards, products, wait_for_workers
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*cards.nora, "enter", *products.bread, "enter")
        await wait_for_workers(pilot)
        await pilot.press("f3")
        await wait_for_workers(pilot)
        dialog = app.screen
        assert "at most 449" in dialog.question()
        await pilot.press(*"200", "enter")  # the most is filled in and selected
        await wait_for_workers(pilot)
        assert "discount -20.00 NOK" in text_of(app, TotalsBar)
        assert "To pay 24.90 NOK" in text_of(app, TotalsBar)
        assert "spends 200 points" in text_of(app, TotalsBar)
        await pilot.press("f2")
        await wait_for_workers(pilot)
        assert "1 074 points" in text_of(app, MemberPanel)  # 1250 - 200 + 24
        await pilot.press("f4", *"TEST-T1-000001", "enter")  # returning it gives back
        await wait_for_workers(pilot)
        question = app.screen.question()
        assert "Takes back: nothing\nGives back: +176 points" in question
        await pilot.press("n")
        await wait_for_workers(pilot)
    (sale,) = till.store.journal.iterate()
    assert sale.postings["points"] == 24 - 200
    assert sale.get("basket")["redeem_points"] == 200


async def test_the_totals_use_the_whole_width_and_are_cut_never_wrapped_when_narrower(
    make_app, till, cards, products, wait_for_workers
):
    """In the demo the totals run under the help panel too; on a terminal too narrow
    for a totals line it is cut at the edge (what to pay comes first), never wrapped
    over the line of what the sale earns."""
    for size in ((80, 24), (50, 24)):
        app = make_app(demo=True)
        async with app.run_test(size=size) as pilot:
            await pilot.press(*cards.nora, "enter", *products.bread, "enter")
            await wait_for_workers(pilot)
            await pilot.press("f3")
            await wait_for_workers(pilot)
            await pilot.press(*"200", "enter")
            await wait_for_workers(pilot)
            totals = app.cashier.query_one(TotalsBar)
            width, height = totals.content_size
            first = text_of(app, TotalsBar).splitlines()[0]
            shown = [
                "".join(segment.text for segment in strip).strip()
                for strip in totals.render_lines(Region(0, 0, width, height))
            ]
            if size[0] == 80:
                assert (
                    shown[0] == first == "To pay 24.90 NOK   (total 44.90 NOK, discount -20.00 NOK)"
                )
            else:
                assert width < len(first) and shown[0].startswith("To pay 24.90 NOK")
            assert shown[1].startswith("Earns +24 points")
        till.discard_sale()


async def test_a_line_can_be_changed_or_removed_before_the_sale_is_finished(
    make_app, till, cards, products, wait_for_workers
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*cards.nora, "enter", *products.milk, "enter", *products.bread, "enter")
        await wait_for_workers(pilot)
        app.cashier.query_one(BasketPanel).focus()
        await pilot.press("up", "plus", "plus")  # three milk
        await wait_for_workers(pilot)
        assert [(r[1], r[2]) for r in rows(app)] == [("Milk 1 l", "3"), ("Bread", "1")]
        await pilot.press("down", "delete")
        await wait_for_workers(pilot)
        assert [(r[1], r[2]) for r in rows(app)] == [("Milk 1 l", "3")]
        await pilot.press("minus", "minus", "minus")  # down to nothing: the line goes
        await wait_for_workers(pilot)
        assert rows(app) == []
    assert till.store.journal.tip()[0] == 0


async def test_a_scan_while_the_basket_has_focus_is_a_scan_and_backspace_removes_nothing(
    make_app, till, cards, products, wait_for_workers
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*products.milk, "enter")
        await wait_for_workers(pilot)
        app.cashier.query_one(BasketPanel).focus()
        await pilot.press("backspace")  # a cashier correcting what they typed
        await pilot.press(*cards.nora, "enter")  # a keyboard-wedge scan
        await wait_for_workers(pilot)
        assert app.cashier.member is not None and app.cashier.member.card == cards.nora
        assert [r[1] for r in rows(app)] == ["Milk 1 l"]
        await pilot.press(*products.bread, "enter")
        await wait_for_workers(pilot)
        assert [r[1] for r in rows(app)] == ["Milk 1 l", "Bread"]


async def test_an_amount_typed_in_the_scan_field_is_an_amount_line_not_a_failed_card(
    make_app, till, cards, products, wait_for_workers
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*cards.nora, "enter", *products.milk, "enter")
        await wait_for_workers(pilot)
        app.cashier.query_one("#amount", Input).value = "7"  # typed there, not entered
        app.cashier.focus_scan()
        await pilot.press(*"19.90", "enter")
        await wait_for_workers(pilot)
        app.cashier.query_one(BasketPanel).focus()
        await pilot.press(*"45", "enter")  # from the basket: to the Scan field, then here
        await wait_for_workers(pilot)
        assert app.cashier.member is not None and app.cashier.member.card == cards.nora
        assert [line.unit_minor for line in till.draft.lines] == [2490, 1990, 4500]
        assert "no longer selected" not in text_of(app, NoticeLine)
        assert app.cashier.query_one("#amount", Input).value == "7"


async def test_finish_needs_a_member_and_shows_as_disabled_without_one(
    make_app, till, products, wait_for_workers
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*products.milk, "enter")
        await wait_for_workers(pilot)
        assert footer_key(app, "finish").has_class("-disabled")
        assert not footer_key(app, "refund").has_class("-disabled")
        await pilot.press("f2")
        await wait_for_workers(pilot)
        assert rows(app)[0][1] == "Milk 1 l"
    assert till.store.journal.tip()[0] == 0


async def test_next_customer_clears_member_and_receipt_and_asks_before_discarding_a_basket(
    make_app, till, cards, products, wait_for_workers
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*cards.nora, "enter", *products.milk, "enter")
        await wait_for_workers(pilot)
        await pilot.press("escape")
        await wait_for_workers(pilot)
        assert "1 line that is not recorded" in app.screen.question()
        await pilot.press("n")
        await wait_for_workers(pilot)
        assert app.cashier.member is not None and len(rows(app)) == 1
        assert app.cashier.query_one(BasketPanel).border_title == "Basket (1 line)"
        await pilot.press("f2")
        await wait_for_workers(pilot)
        assert app.cashier.query_one(BasketPanel).border_subtitle == "recorded"
        await pilot.press("escape")  # after a sale: nothing to discard, no question
        await wait_for_workers(pilot)
        assert app.screen is app.cashier
        assert app.cashier.member is None and till.member is None
        assert "Nora" not in text_of(app, MemberPanel)
        assert rows(app) == []
        basket = app.cashier.query_one(BasketPanel)  # nothing of the receipt stays
        assert (basket.border_title, basket.border_subtitle) == ("Basket", EMPTY_HINT)
        assert footer_key(app, "finish").has_class("-disabled")


async def test_the_status_bar_counts_pending_events(make_app, cards, wait_for_workers):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_workers(pilot)
        status = app.cashier.query_one("#status")
        assert "pending: 0" in str(status.render())
        assert "OFFLINE (no ledger configured)" in str(status.render())
        await pilot.press(*cards.nora, "enter")
        await wait_for_workers(pilot)
        await pilot.press(*"10", "f2")
        await wait_for_workers(pilot)
        assert "pending: 1" in str(status.render())
