"""The dialogs (points, rewards, quick keys, actions, refunds) and scans that arrive
while one is open."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

from loyalty.events import EventKind
from loyalty.programme import load_programme_file
from pos_client.ui.components.basket_panel import BasketPanel
from pos_client.ui.components.member_panel import MemberPanel
from pos_client.ui.components.notice_line import NoticeLine
from pos_client.ui.components.totals_bar import TotalsBar
from pos_client.ui.messages import ScanReceived
from pos_client.ui.screens.choice_dialog import ChoiceDialog
from pos_client.ui.screens.redeem_dialog import RedeemDialog
from pos_client.ui.screens.refund_dialog import RefundDialog
from tests.ui.conftest import open_till

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "programmes"


async def scan(pilot, fill_field, wait_for_workers, code: str) -> None:
    await fill_field(pilot, "#scan", code)
    await pilot.press("enter")
    await wait_for_workers(pilot)


async def sell_amount(pilot, fill_field, wait_for_workers, card: str, amount: str) -> None:
    """Scan ``card``, type ``amount`` and finish the sale with F2."""
    await scan(pilot, fill_field, wait_for_workers, card)
    await fill_field(pilot, "#amount", amount)
    await pilot.press("f2")
    await wait_for_workers(pilot)


async def refund_in_full(pilot, fill_field, wait_for_workers, receipt_no: str) -> None:
    """F4, the receipt number, Enter, and Y at the question."""
    await pilot.press("f4")
    await wait_for_workers(pilot)
    assert isinstance(pilot.app.screen, RefundDialog)
    await fill_field(pilot, "#receipt-no", receipt_no)
    await pilot.press("enter")
    await wait_for_workers(pilot)
    await pilot.press("y")
    await wait_for_workers(pilot)


async def open_redeem(pilot, wait_for_workers) -> RedeemDialog:
    await pilot.press("f3")
    await wait_for_workers(pilot)
    assert isinstance(pilot.app.screen, RedeemDialog)
    return pilot.app.screen


async def test_points_cancelled_in_the_dialog_change_nothing(
    make_app, till, cards, products, fill_field, wait_for_workers
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await scan(pilot, fill_field, wait_for_workers, cards.nora)
        await scan(pilot, fill_field, wait_for_workers, products.bread)
        await open_redeem(pilot, wait_for_workers)
        await pilot.press("escape")
        await wait_for_workers(pilot)
        assert app.screen is app.cashier
        assert app.cashier.query_one(NoticeLine).notice.text == "Points not used: no discount."
        assert till.draft.redeem_points == 0
    assert till.store.journal.tip()[0] == 0


async def test_enter_from_a_wedge_does_not_answer_the_dialog_and_the_scan_waits(
    make_app, till, cards, products, fill_field, wait_for_workers
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await scan(pilot, fill_field, wait_for_workers, cards.nora)
        await scan(pilot, fill_field, wait_for_workers, products.bread)
        dialog = await open_redeem(pilot, wait_for_workers)
        dialog.query_one("#redeem-points").value = "200" + cards.emil  # a wedge into the field
        await pilot.press("enter")
        await wait_for_workers(pilot)
        assert isinstance(app.screen, RedeemDialog)
        assert dialog.query_one("#redeem-points").value == "200"
        assert till.member.card == cards.nora

        await pilot.press("enter")
        await wait_for_workers(pilot)
        assert app.screen is app.cashier
        assert app.cashier.member.card == cards.emil  # the held scan, after the dialog
    assert till.draft.redeem_points == 200


async def test_a_serial_scan_during_the_dialog_is_held_until_it_closes(
    make_app, till, cards, products, fill_field, wait_for_workers
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await scan(pilot, fill_field, wait_for_workers, cards.nora)
        await scan(pilot, fill_field, wait_for_workers, products.bread)
        await open_redeem(pilot, wait_for_workers)

        reader = threading.Thread(
            target=app.post_message, args=(ScanReceived(f"{cards.emil}\r\n", "serial"),)
        )
        reader.start()
        reader.join()
        await wait_for_workers(pilot)
        assert isinstance(app.screen, RedeemDialog)
        assert till.member.card == cards.nora

        await pilot.press("escape")
        await wait_for_workers(pilot)
        assert app.cashier.member.card == cards.emil
        assert "Emil Berg" in str(app.cashier.query_one(MemberPanel).render())
    assert till.store.journal.tip()[0] == 0


async def test_a_full_refund_by_receipt_number_takes_back_what_the_sale_gave(
    make_app, till, cards, fill_field, wait_for_workers
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sell_amount(pilot, fill_field, wait_for_workers, cards.nora, "200")
        await refund_in_full(pilot, fill_field, wait_for_workers, "TEST-T1-000001")
        assert app.screen is app.cashier
        basket = app.cashier.query_one(BasketPanel)
        assert basket.border_title == "Receipt TEST-T1-000002 (Refund)"
        assert "Money back 200.00 NOK" in str(app.cashier.query_one(TotalsBar).render())
        assert "1 250 points" in str(app.cashier.query_one(MemberPanel).render())
    refund = till.store.journal.get(2)
    assert refund.kind is EventKind.REFUND
    assert refund.refers_to == till.store.journal.get(1).event_id


async def test_refunding_another_members_receipt_shows_their_balance_not_the_one_on_screen(
    make_app, till, cards, fill_field, wait_for_workers
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await sell_amount(pilot, fill_field, wait_for_workers, cards.nora, "200")
        await scan(pilot, fill_field, wait_for_workers, cards.emil)  # the next customer
        await refund_in_full(pilot, fill_field, wait_for_workers, "TEST-T1-000001")
        totals = str(app.cashier.query_one(TotalsBar).render())
        assert "Balance now 1 250 points (Nora Hansen)" in totals
        assert "Emil Berg" in str(app.cashier.query_one(MemberPanel).render())
    assert till.store.journal.get(2).card == cards.nora


async def test_refunding_twice_or_a_foreign_receipt_is_refused_in_words(
    make_app, till, cards, fill_field, wait_for_workers
):
    till.scan(cards.nora)
    till.earn("99")
    till.refund("TEST-T1-000001")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        for receipt_no, expected in (
            ("TEST-T1-000001", "has already been refunded"),
            ("TEST-T1-000077", "There is no receipt TEST-T1-000077"),
            ("OTHER-T9-000001", "is from till OTHER-T9"),
        ):
            await pilot.press("f4")
            await wait_for_workers(pilot)
            await fill_field(pilot, "#receipt-no", receipt_no)
            await pilot.press("enter")
            await wait_for_workers(pilot)
            assert expected in app.cashier.query_one(NoticeLine).notice.text
            assert app.screen is app.cashier
    assert till.store.journal.tip()[0] == 2


async def test_a_wedge_scan_into_the_refund_field_is_held_not_refunded(
    make_app, till, cards, fill_field, wait_for_workers
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4")
        await wait_for_workers(pilot)
        await fill_field(pilot, "#receipt-no", cards.nora)
        await pilot.press("enter")
        await wait_for_workers(pilot)
        assert isinstance(app.screen, RefundDialog)
        assert app.screen.query_one("#receipt-no").value == ""
        await pilot.press("escape")
        await wait_for_workers(pilot)
        assert app.cashier.member.card == cards.nora
    assert till.store.journal.tip()[0] == 0


async def test_a_bakery_quick_key_takes_the_typed_amount(
    make_app, till, cards, fill_field, wait_for_workers
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await scan(pilot, fill_field, wait_for_workers, cards.nora)
        await fill_field(pilot, "#amount", "32.50")
        await pilot.press("f6")
        await wait_for_workers(pilot)
        assert isinstance(app.screen, ChoiceDialog)
        assert " c  Coffee" in app.screen.question() and " b  Bakery" in app.screen.question()
        await pilot.press("b")
        await wait_for_workers(pilot)
        assert [line.name for line in till.draft.lines] == ["Bakery"]
        assert till.draft.lines[0].unit_minor == 3250
        assert till.draft.lines[0].tags == frozenset({"bakery"})


async def test_a_free_coffee_from_a_full_stamp_card_is_used_on_a_later_receipt(
    tmp_path, cards, products, fill_field, wait_for_workers
):
    from pos_client.ui.app import TillApp

    till = open_till(tmp_path, programme=load_programme_file(EXAMPLES / "coffee.toml"))
    try:
        till.scan(cards.nora)
        for _ in range(9):
            till.add_product(products.latte)
        first = till.finish_sale()
        assert first.rewards_issued == ("free-coffee",)
        held = till.refund_preview(first.receipt_no)  # the coffee is not drunk yet
        assert (held.rewards_revoked, held.rewards_already_used) == (1, 0)
        app = TillApp(till)
        app.input_cursor_blink = False
        async with app.run_test(size=(80, 24)) as pilot:
            await scan(pilot, fill_field, wait_for_workers, cards.nora)
            panel = str(app.cashier.query_one(MemberPanel).render())
            assert "1 × Free coffee (F5)" in panel
            assert "points" not in panel  # a stamp card keeps no balance to show
            await scan(pilot, fill_field, wait_for_workers, products.latte)
            await scan(pilot, fill_field, wait_for_workers, products.milk)
            await pilot.press("f5")
            await wait_for_workers(pilot)
            assert "Free coffee" in app.screen.question()
            await pilot.press("a")
            await wait_for_workers(pilot)
            totals = str(app.cashier.query_one(TotalsBar).render())
            assert "To pay 24.90 NOK" in totals and "uses Free coffee" in totals
            await pilot.press("f2")
            await wait_for_workers(pilot)
            assert "Free coffee" not in str(app.cashier.query_one(MemberPanel).render())

            # The first sale is returned after its free coffee was drunk: the cashier
            # is told before confirming.
            await pilot.press("f4")
            await wait_for_workers(pilot)
            await fill_field(pilot, "#receipt-no", "TEST-T1-000001")
            await pilot.press("enter")
            await wait_for_workers(pilot)
            question = app.screen.question()
            assert "Takes back 1 reward the sale issued; 1 already used: the member keeps it" in (
                question.replace("\n", " ")
            )
            assert "Balance after" not in question
            await pilot.press("n")
            await wait_for_workers(pilot)
        second = till.store.journal.get(2)
        assert [r["reward"] for r in second.get("rewards_used")] == ["free-coffee"]
        assert till.store.journal.tip()[0] == 2  # the refund was cancelled
        preview = till.refund_preview("TEST-T1-000001")
        assert (preview.rewards_revoked, preview.rewards_already_used) == (1, 1)
    finally:
        till.close()


async def test_a_programme_action_is_recorded_from_its_dialog(
    tmp_path, cards, fill_field, wait_for_workers
):
    from loyalty.programme import parse_programme
    from loyalty.programme.default import simple_programme_document
    from pos_client.ui.app import TillApp

    document = simple_programme_document()
    document["actions"] = [{"id": "own-bag", "name": "Own bag", "wallet": "points", "amount": 5}]
    till = open_till(tmp_path, programme=parse_programme(document))
    try:
        app = TillApp(till)
        async with app.run_test(size=(80, 24)) as pilot:
            await scan(pilot, fill_field, wait_for_workers, cards.nora)
            await pilot.press("f7")
            await wait_for_workers(pilot)
            assert "Own bag (+5 points)" in app.screen.question()
            await pilot.press("a")
            await wait_for_workers(pilot)
            assert "1 255 points" in str(app.cashier.query_one(MemberPanel).render())
        action = till.store.journal.get(1)
        assert action.kind is EventKind.ACTION and action.get("action") == "own-bag"
    finally:
        till.close()


async def test_kiwi_bonus_is_redeemed_as_money_in_the_wallets_own_words(
    tmp_path, cards, products, fill_field, wait_for_workers
):
    """Kiwi's bonus is a money wallet (øre): the dialog speaks and reads kroner."""
    from pos_client.ui.app import TillApp
    from tests.conftest import member

    till = open_till(tmp_path, programme=load_programme_file(EXAMPLES / "kiwi.toml"))
    try:
        bonus = replace(member(9, 0, "Kari Kiwi"), accounts={"bonus": 12345})
        till.store.members.upsert_many([bonus])
        app = TillApp(till)
        app.input_cursor_blink = False
        async with app.run_test(size=(80, 24)) as pilot:
            await scan(pilot, fill_field, wait_for_workers, bonus.card)
            for _ in range(3):
                await scan(pilot, fill_field, wait_for_workers, products.bread)
            dialog = await open_redeem(pilot, wait_for_workers)
            question = dialog.question()
            assert "Kari Kiwi has 123.45 NOK of Kiwi bonus." in question
            assert "Smallest redemption: 1.00 NOK." in question
            assert "Kiwi bonus to use (at most" in question and "points" not in question
            assert dialog.query_one("#dialog").border_title == "Use kiwi bonus as a discount"
            await fill_field(pilot, "#redeem-points", "ten")
            await pilot.press("enter")
            await wait_for_workers(pilot)
            assert "is not an amount. Type it like 12.50" in str(
                dialog.query_one("#dialog-error").render()
            )
            await fill_field(pilot, "#redeem-points", "10,50")
            await pilot.press("enter")
            await wait_for_workers(pilot)
            assert app.screen is app.cashier
        assert till.draft.redeem_points == 1050
    finally:
        till.close()


async def test_eurobonus_lines_show_both_wallets_in_the_earns_column(
    tmp_path, cards, products, fill_field, wait_for_workers
):
    from pos_client.ui.app import TillApp

    till = open_till(tmp_path, programme=load_programme_file(EXAMPLES / "eurobonus.toml"))
    try:
        app = TillApp(till)
        app.input_cursor_blink = False
        async with app.run_test(size=(80, 24)) as pilot:
            await scan(pilot, fill_field, wait_for_workers, cards.nora)
            await scan(pilot, fill_field, wait_for_workers, products.bread)
            basket = app.cashier.query_one(BasketPanel)
            row = "".join(segment.text for segment in basket.render_line(1))
            assert "Bread" in row and "+44 level" in row and "+44 bonus" in row
    finally:
        till.close()
