"""The confirm-redeem and refund dialogs, and scans that arrive while one is open."""

from __future__ import annotations

import threading

from loyalty.events import EventKind
from pos_client.ui.components.member_panel import MemberPanel
from pos_client.ui.components.notice_line import NoticeLine
from pos_client.ui.components.receipt_panel import ReceiptPanel
from pos_client.ui.messages import ScanReceived
from pos_client.ui.screens.confirm_redeem import ConfirmRedeemScreen
from pos_client.ui.screens.refund_dialog import RefundDialog


async def scan(pilot, fill_field, wait_for_workers, card: str) -> None:
    await fill_field(pilot, "#scan", card)
    await pilot.press("enter")
    await wait_for_workers(pilot)


async def open_redeem(pilot, fill_field, wait_for_workers, points: str) -> None:
    await fill_field(pilot, "#points", points)
    await pilot.press("f3")
    await wait_for_workers(pilot)
    assert isinstance(pilot.app.screen, ConfirmRedeemScreen)


async def test_a_redemption_cancelled_in_the_dialog_records_nothing(
    make_app, till, cards, fill_field, wait_for_workers
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await scan(pilot, fill_field, wait_for_workers, cards.nora)
        await open_redeem(pilot, fill_field, wait_for_workers, "300")
        await pilot.press("n")
        await wait_for_workers(pilot)
        assert app.screen is app.cashier
        assert app.cashier.query_one(NoticeLine).notice.text == (
            "Redemption cancelled. Nothing was recorded."
        )
        assert "1 250 points" in str(app.cashier.query_one(MemberPanel).render())
    assert till.store.journal.tip()[0] == 0


async def test_the_purchase_caps_the_discount_offered(
    make_app, till, cards, fill_field, wait_for_workers
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await scan(pilot, fill_field, wait_for_workers, cards.nora)
        await fill_field(pilot, "#amount", "45")
        await open_redeem(pilot, fill_field, wait_for_workers, "")
        dialog = app.screen
        assert dialog.points == 450
        assert "Discount: 45.00 NOK" in dialog.question()
        assert "Purchase: 45.00 NOK" in dialog.question()
        await pilot.press("y")
        await wait_for_workers(pilot)
    assert [(e.postings, e.get("discount_minor")) for e in till.store.journal.iterate()] == [
        ({"points": -450}, 4500)
    ]


async def test_enter_from_a_wedge_does_not_answer_the_dialog_and_the_scan_waits(
    make_app, till, cards, fill_field, wait_for_workers
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await scan(pilot, fill_field, wait_for_workers, cards.nora)
        await open_redeem(pilot, fill_field, wait_for_workers, "200")

        await pilot.press(*cards.emil, "enter")
        await wait_for_workers(pilot)
        assert isinstance(app.screen, ConfirmRedeemScreen)
        assert app.cashier.member.card == cards.nora

        await pilot.press("y")
        await wait_for_workers(pilot)
        assert app.screen is app.cashier
        assert app.cashier.member.card == cards.emil
    events = list(till.store.journal.iterate())
    assert [(e.kind, e.card, e.postings) for e in events] == [
        (EventKind.REDEEM, cards.nora, {"points": -200})
    ]


async def test_a_serial_scan_during_the_dialog_is_held_until_it_closes(
    make_app, till, cards, fill_field, wait_for_workers
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await scan(pilot, fill_field, wait_for_workers, cards.nora)
        await open_redeem(pilot, fill_field, wait_for_workers, "200")

        reader = threading.Thread(
            target=app.post_message, args=(ScanReceived(f"{cards.emil}\r\n", "serial"),)
        )
        reader.start()
        reader.join()
        await wait_for_workers(pilot)
        assert isinstance(app.screen, ConfirmRedeemScreen)
        assert till.member.card == cards.nora

        await pilot.press("escape")
        await wait_for_workers(pilot)
        assert app.cashier.member.card == cards.emil
        assert "Emil Berg" in str(app.cashier.query_one(MemberPanel).render())
    assert till.store.journal.tip()[0] == 0


async def test_a_refund_by_receipt_number_takes_the_points_back(
    make_app, till, cards, fill_field, wait_for_workers
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await scan(pilot, fill_field, wait_for_workers, cards.nora)
        await fill_field(pilot, "#amount", "200")
        await pilot.press("f2")
        await wait_for_workers(pilot)

        await pilot.press("f4")
        await wait_for_workers(pilot)
        assert isinstance(app.screen, RefundDialog)
        await fill_field(pilot, "#receipt-no", "TEST-T1-000001")
        await pilot.press("enter")
        await wait_for_workers(pilot)

        assert app.screen is app.cashier
        receipt = app.cashier.query_one(ReceiptPanel).receipt
        assert (receipt.receipt_no, receipt.kind, receipt.points) == (
            "TEST-T1-000002",
            EventKind.REFUND,
            -200,
        )
        assert "1 250 points" in str(app.cashier.query_one(MemberPanel).render())
    refund = till.store.journal.get(2)
    assert refund.refers_to == till.store.journal.get(1).event_id


async def test_a_refund_by_short_number_works_without_a_member(
    make_app, till, cards, fill_field, wait_for_workers
):
    till.scan(cards.nora)
    till.earn("99")
    till.clear_member()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4")
        await wait_for_workers(pilot)
        await fill_field(pilot, "#receipt-no", "1")
        await pilot.press("enter")
        await wait_for_workers(pilot)
        assert app.cashier.query_one(ReceiptPanel).receipt.kind is EventKind.REFUND
    assert till.store.journal.get(2).postings["points"] == -99


async def test_refunding_twice_is_refused_in_words(
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
