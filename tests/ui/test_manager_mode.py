"""Staff at the cashier's till: signing in, a manager approving one action in a modal
(with a scan arriving meanwhile), and manager mode's pages, driven as a cashier and a
manager would, on a real till file."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Checkbox, DataTable, Input, Select, Static, TabbedContent

from pos_client.store.sync_side import StoreSyncSide
from pos_client.ui.app import TillApp
from pos_client.ui.components.notice_line import NoticeLine
from pos_client.ui.manager.correction_dialog import CorrectionDialog
from pos_client.ui.manager.member_status import MemberStatusScreen
from pos_client.ui.manager.screen import ManagerScreen
from pos_client.ui.messages import ScanReceived
from pos_client.ui.screens.pin_dialog import PinDialog
from pos_client.ui.screens.sign_in import SignInScreen
from sync.local import ParkedEvent
from sync.protocol import CardRange
from tests.ui.staffed import (
    CASHIER,
    CASHIER_PIN,
    MANAGER,
    MANAGER_BADGE,
    MANAGER_PIN,
    open_staffed_till,
    sell_as_cashier,
)


@pytest.fixture
def staffed(tmp_path: Path) -> Iterator[object]:
    till = open_staffed_till(tmp_path)
    yield till
    till.close()


def make(till, idle: float = 120.0) -> TillApp:
    app = TillApp(till, manager_idle=idle)
    app.input_cursor_blink = False
    app.show_receipt_time = False
    return app


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def type_in(pilot, selector: str, text: str, fill_field) -> None:
    await fill_field(pilot, selector, text)
    await pilot.press("enter")


async def sign_in(pilot, fill_field, wait_for_workers, who=CASHIER, pin=CASHIER_PIN) -> None:
    await wait_for_workers(pilot)
    await wait_for_screen(pilot, SignInScreen)
    await type_in(pilot, "#who", who, fill_field)
    await type_in(pilot, "#pin", pin, fill_field)
    await wait_for_workers(pilot)


async def wait_for_screen(pilot, kind: type) -> None:
    """Screens are pushed after the call that opens them has answered: wait for it."""
    for _ in range(100):
        screen = pilot.app.screen
        if isinstance(screen, kind) and screen.is_mounted:
            await pilot.pause()  # its mount handlers have run: keys now reach it
            return
        await pilot.pause(0.05)
    raise AssertionError(f"{kind.__name__} never opened; {pilot.app.screen} is on top")


async def pin_dialog(pilot, fill_field, wait_for_workers, who: str, pin: str) -> None:
    await wait_for_screen(pilot, PinDialog)
    await type_in(pilot, "#who", who, fill_field)
    await type_in(pilot, "#pin", pin, fill_field)
    await wait_for_workers(pilot)


async def scan(pilot, fill_field, wait_for_workers, code: str) -> None:
    await fill_field(pilot, "#scan", code)
    await pilot.press("enter")
    await wait_for_workers(pilot)


async def test_a_shift_starts_with_a_sign_in_and_every_sale_names_the_cashier(
    staffed, cards, fill_field, wait_for_workers
):
    app = make(staffed)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_workers(pilot)
        await wait_for_screen(pilot, SignInScreen)
        screen = app.screen
        await type_in(pilot, "#who", CASHIER, fill_field)
        await type_in(pilot, "#pin", "9999", fill_field)
        await wait_for_workers(pilot)
        assert "9 tries left" in text_of(screen, "#sign-in-error")
        assert screen.query_one("#pin", Input).value == ""
        await type_in(pilot, "#pin", CASHIER_PIN, fill_field)
        await wait_for_workers(pilot)
        assert app.screen is app.cashier
        assert "Cato Cashier is signed in" in app.cashier.query_one(NoticeLine).notice.text
        await scan(pilot, fill_field, wait_for_workers, cards.nora)
        await fill_field(pilot, "#amount", "49.90")
        await pilot.press("f2")
        await wait_for_workers(pilot)
    assert staffed.store.journal.tip()[0] == 1
    assert staffed.store.journal.recent(1)[0].get("operator") == CASHIER


async def test_a_badge_scan_fills_the_staff_number_on_the_sign_in_screen(
    staffed, fill_field, wait_for_workers
):
    app = make(staffed)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_workers(pilot)
        app.post_message(ScanReceived(MANAGER_BADGE, "serial"))
        await wait_for_workers(pilot)
        assert app.screen.query_one("#who", Input).value == MANAGER_BADGE
        await type_in(pilot, "#pin", MANAGER_PIN, fill_field)
        await wait_for_workers(pilot)
        assert app.screen is app.cashier
        assert staffed.signed_in.staff_id == MANAGER


async def finish_spending_200_points(pilot, cards, products, fill_field, wait_for_workers):
    """The cashier signs in and finishes Nora's basket with 200 points off (above the
    programme's redeem_above, so a manager must approve)."""
    await sign_in(pilot, fill_field, wait_for_workers)
    for code in (cards.nora, products.bread, products.latte):
        await scan(pilot, fill_field, wait_for_workers, code)
    await pilot.press("f3")
    await wait_for_workers(pilot)
    await type_in(pilot, "#redeem-points", "200", fill_field)
    await wait_for_workers(pilot)
    await pilot.press("f2")
    await wait_for_workers(pilot)


async def test_a_large_redemption_waits_for_a_managers_pin_and_a_scan_meanwhile_waits_too(
    staffed, cards, products, fill_field, wait_for_workers
):
    app = make(staffed)
    async with app.run_test(size=(80, 24)) as pilot:
        await finish_spending_200_points(pilot, cards, products, fill_field, wait_for_workers)
        await wait_for_screen(pilot, PinDialog)
        dialog = app.screen
        assert staffed.store.journal.tip()[0] == 0  # nothing recorded while asking

        reader = threading.Thread(
            target=app.post_message, args=(ScanReceived(f"{cards.emil}\r\n", "serial"),)
        )
        reader.start()
        reader.join()
        await wait_for_workers(pilot)
        assert app.screen is dialog
        assert dialog.query_one("#pin", Input).value == ""

        await pin_dialog(pilot, fill_field, wait_for_workers, CASHIER, CASHIER_PIN)
        assert app.screen is dialog
        assert "manager" in text_of(dialog, "#dialog-error").lower()
        assert staffed.store.journal.tip()[0] == 0

        await type_in(pilot, "#who", MANAGER, fill_field)
        await type_in(pilot, "#pin", MANAGER_PIN, fill_field)
        await wait_for_workers(pilot)
        assert app.screen is app.cashier
        assert app.cashier.member.card == cards.emil  # the held scan, after the dialog
    sale = staffed.store.journal.recent(1)[0]
    assert sale.get("approval") == {"manager": MANAGER, "action": "redeem", "amount": 200}
    assert sale.get("operator") == CASHIER


async def test_an_approval_cancelled_records_nothing(
    staffed, cards, products, fill_field, wait_for_workers
):
    app = make(staffed)
    async with app.run_test(size=(80, 24)) as pilot:
        await finish_spending_200_points(pilot, cards, products, fill_field, wait_for_workers)
        await pilot.press("escape")
        await wait_for_workers(pilot)
        assert app.screen is app.cashier
        assert "nothing was recorded" in app.cashier.query_one(NoticeLine).notice.text
        assert staffed.draft.lines  # the basket is still there to finish
    assert staffed.store.journal.tip()[0] == 0


async def open_manager_mode(pilot, fill_field, wait_for_workers) -> ManagerScreen:
    await sign_in(pilot, fill_field, wait_for_workers)
    await pilot.press("f1")
    await wait_for_workers(pilot)
    await pin_dialog(pilot, fill_field, wait_for_workers, MANAGER, MANAGER_PIN)
    await wait_for_screen(pilot, ManagerScreen)
    screen = pilot.app.screen
    assert isinstance(screen, ManagerScreen)
    return screen


async def test_a_cashiers_pin_does_not_open_manager_mode(staffed, fill_field, wait_for_workers):
    app = make(staffed)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, fill_field, wait_for_workers)
        await pilot.press("f1")
        await wait_for_workers(pilot)
        await pin_dialog(pilot, fill_field, wait_for_workers, CASHIER, CASHIER_PIN)
        assert isinstance(app.screen, PinDialog)
        assert "manager" in text_of(app.screen, "#dialog-error").lower()
    assert staffed.manager_on_duty is None


async def test_a_manager_finds_a_member_and_corrects_their_points(
    staffed, cards, fill_field, wait_for_workers
):
    app = make(staffed)
    async with app.run_test(size=(80, 24)) as pilot:
        manager = await open_manager_mode(pilot, fill_field, wait_for_workers)
        await type_in(pilot, "#member-search", "nora", fill_field)
        await wait_for_workers(pilot)
        hits = manager.query_one("#member-hits", DataTable)
        assert hits.row_count == 1
        await pilot.press("enter")
        await wait_for_workers(pilot)
        status = app.screen
        assert isinstance(status, MemberStatusScreen)
        assert "Nora Hansen" in text_of(status, "#status-text")

        await pilot.press("f5")
        await wait_for_workers(pilot)
        dialog = app.screen
        assert isinstance(dialog, CorrectionDialog)
        await fill_field(pilot, "#points", "+50")
        await pilot.press("ctrl+s")
        await wait_for_workers(pilot)
        assert app.screen is dialog  # no reason: refused, nothing recorded
        assert "reason" in text_of(dialog, "#dialog-error").lower()
        assert staffed.store.journal.tip()[0] == 0

        dialog.query_one("#reason", Select).value = "goodwill"
        await fill_field(pilot, "#note", "Coffee machine broke")
        await pilot.press("ctrl+s")
        await wait_for_workers(pilot)
        assert app.screen is status
        assert "1 300" in text_of(status, "#status-text")
    event = staffed.store.journal.recent(1)[0]
    assert (event.kind, event.postings, event.get("reason")) == (
        "adjust",
        {"points": 50},
        "goodwill",
    )
    assert event.get("approval") == {"manager": MANAGER, "action": "adjust", "amount": 50}


async def test_a_replaced_card_is_refused_at_the_cashier_at_once(
    staffed, cards, fill_field, wait_for_workers
):
    new_card = "2700000000014"
    app = make(staffed)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_manager_mode(pilot, fill_field, wait_for_workers)
        await type_in(pilot, "#member-search", cards.nora, fill_field)
        await wait_for_workers(pilot)
        await pilot.press("enter")
        await wait_for_workers(pilot)
        await pilot.press("f6")
        await wait_for_workers(pilot)
        app.post_message(ScanReceived(new_card, "serial"))  # the new card, scanned
        await wait_for_workers(pilot)
        app.screen.query_one("#reason", Select).value = "lost"
        await pilot.press("ctrl+s")
        await wait_for_workers(pilot)
        assert isinstance(app.screen, MemberStatusScreen)
        await pilot.press("escape")
        await pilot.press("escape")
        await wait_for_workers(pilot)
        assert app.screen is app.cashier
        await scan(pilot, fill_field, wait_for_workers, cards.nora)
        assert "replaced" in app.cashier.query_one(NoticeLine).notice.text
        await scan(pilot, fill_field, wait_for_workers, new_card)
        assert app.cashier.member.name == "Nora Hansen"


async def test_enrolment_names_the_wrong_field_then_gives_a_card(
    staffed, fill_field, wait_for_workers
):
    StoreSyncSide(staffed.store).store_card_ranges(
        [CardRange(first=270000000000, last=270000000099)]
    )
    app = make(staffed)
    async with app.run_test(size=(80, 24)) as pilot:
        manager = await open_manager_mode(pilot, fill_field, wait_for_workers)
        await pilot.press("f4")
        await wait_for_workers(pilot)
        await fill_field(pilot, "#enrol-name", "Kari Nordmann")
        await fill_field(pilot, "#enrol-phone", "912 34 567")
        manager.query_one("#enrol-privacy", Checkbox).value = True
        await pilot.press("f5")
        await wait_for_workers(pilot)
        assert "country code" in text_of(manager, "#enrol-error")
        assert app.focused is manager.query_one("#enrol-phone")
        assert staffed.store.journal.tip()[0] == 0

        await fill_field(pilot, "#enrol-phone", "+47 912 34 567")
        await fill_field(pilot, "#enrol-birth_date", "2099-01-01")
        await pilot.press("f5")
        await wait_for_workers(pilot)
        assert "future" in text_of(manager, "#enrol-error")
        assert staffed.store.journal.tip()[0] == 0

        await fill_field(pilot, "#enrol-birth_date", "1990-05-17")
        await pilot.press("f5")
        await wait_for_workers(pilot)
        result = text_of(manager, "#enrol-result")
        assert "Kari Nordmann is a member: card 2700000000007" in result
        assert "█" in result
    event = staffed.store.journal.recent(1)[0]
    assert event.kind == "enrol" and event.card == "2700000000007"


async def test_the_day_page_shows_the_report_and_says_when_there_is_no_printer(
    staffed, cards, fill_field, wait_for_workers
):
    app = make(staffed)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, fill_field, wait_for_workers)
        await scan(pilot, fill_field, wait_for_workers, cards.nora)
        await fill_field(pilot, "#amount", "49.90")
        await pilot.press("f2")
        await wait_for_workers(pilot)
        await pilot.press("f1")
        await wait_for_workers(pilot)
        await pin_dialog(pilot, fill_field, wait_for_workers, MANAGER, MANAGER_PIN)
        await wait_for_screen(pilot, ManagerScreen)
        manager = app.screen
        await pilot.press("f2")
        await wait_for_workers(pilot)
        report = text_of(manager, "#day-report")
        assert "Cato Cashier" in report
        await pilot.press("f5")
        await wait_for_workers(pilot)
        assert "printer" in text_of(manager, "#day-note").lower()


async def test_manager_mode_closes_by_itself_when_idle(staffed, fill_field, wait_for_workers):
    app = make(staffed, idle=2.0)  # long enough to see it open on a loaded machine
    async with app.run_test(size=(80, 24)) as pilot:
        await open_manager_mode(pilot, fill_field, wait_for_workers)
        for _ in range(100):
            await pilot.pause(0.1)
            if app.screen is app.cashier:
                break
        await wait_for_workers(pilot)
        assert app.screen is app.cashier
        assert staffed.manager_on_duty is None
        assert staffed.signed_in.staff_id == CASHIER  # the cashier carries on


async def test_a_parked_event_is_voided_from_the_queue_page_with_a_note(
    staffed, cards, fill_field, wait_for_workers
):
    sell_as_cashier(staffed, cards.nora)
    event = staffed.store.journal.recent(1)[0]
    StoreSyncSide(staffed.store).park(
        ParkedEvent(event.seq, event.event_id, "malformed", "needs a manager's approval")
    )
    app = make(staffed)
    async with app.run_test(size=(80, 24)) as pilot:
        manager = await open_manager_mode(pilot, fill_field, wait_for_workers)
        await pilot.press("f3")
        await wait_for_workers(pilot)
        assert manager.query_one("#parked", DataTable).row_count == 1
        await pilot.press("f6")
        await wait_for_workers(pilot)
        await pilot.press("ctrl+s")
        await wait_for_workers(pilot)
        assert "note is needed" in text_of(app.screen, "#dialog-error")
        await type_in(pilot, "#note", "Test receipt, not a real sale", fill_field)
        await wait_for_workers(pilot)
        assert app.screen is manager
        row = manager.query_one("#parked", DataTable).get_row_at(0)
        assert row[-1] == f"void by {MANAGER}: Test receipt, not a real sale"
    queue = staffed.sync_queue()
    assert not queue.parked  # un-parked: the void travels with the event's next push
    (decided,) = queue.decided
    assert (decided.decision, decided.manager) == ("void", MANAGER)


async def test_the_cashier_signs_out_between_customers_only(
    staffed, cards, fill_field, wait_for_workers
):
    app = make(staffed)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, fill_field, wait_for_workers)
        await scan(pilot, fill_field, wait_for_workers, cards.nora)
        await pilot.press("ctrl+l")
        await wait_for_workers(pilot)
        assert app.screen is app.cashier
        assert "Finish the sale" in app.cashier.query_one(NoticeLine).notice.text
        await pilot.press("escape")
        await wait_for_workers(pilot)
        await pilot.press("ctrl+l")
        await wait_for_workers(pilot)
        assert isinstance(app.screen, SignInScreen)
    assert staffed.signed_in is None


async def test_a_page_key_pressed_at_once_is_not_undone_by_the_page_left(
    staffed, fill_field, wait_for_workers
):
    """F-keys typed ahead of the screen: the members page focuses its search box on
    opening and the day page its report when it arrives, each applied later by
    Textual; neither may take the manager back once F3 has opened the queue."""
    app = make(staffed)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, fill_field, wait_for_workers)
        await pilot.press("f1")
        await wait_for_workers(pilot)
        await pin_dialog(pilot, fill_field, wait_for_workers, MANAGER, MANAGER_PIN)
        for _ in range(100):
            if isinstance(app.screen, ManagerScreen):
                break
            await pilot.pause(0.01)
        await pilot.press("f3")  # before the screen has settled
        await wait_for_workers(pilot)
        assert app.screen.query_one("#pages", TabbedContent).active == "queue"
        await pilot.press("f2", "f3")  # the day report still on its way
        await wait_for_workers(pilot)
        assert app.screen.query_one("#pages", TabbedContent).active == "queue"
