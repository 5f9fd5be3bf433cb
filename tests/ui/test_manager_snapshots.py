"""What a store manager sees at 80x24: signing in, approving, and manager mode's pages.

Run ``pytest tests/ui/test_manager_snapshots.py --snapshot-update`` after a deliberate
change, look at the new SVGs, and commit them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from pos_client.store.sync_side import StoreSyncSide
from pos_client.ui.app import TillApp
from pos_client.ui.manager.screen import ManagerScreen
from pos_client.ui.screens.pin_dialog import PinDialog
from pos_client.ui.screens.sign_in import SignInScreen
from sync.local import ParkedEvent
from tests.ui.staffed import (
    CASHIER,
    CASHIER_PIN,
    MANAGER,
    MANAGER_PIN,
    open_staffed_till,
    sell_as_cashier,
)

SIZE = (80, 24)


@pytest.fixture
def staffed(tmp_path: Path) -> Iterator[object]:
    till = open_staffed_till(tmp_path, fixed_clock=True)
    yield till
    till.close()


def make(till) -> TillApp:
    app = TillApp(till)
    app.input_cursor_blink = False
    app.show_receipt_time = False
    return app


async def enter(pilot: Pilot[object], selector: str, text: str, settle) -> None:
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    field.value = text
    await pilot.press("enter")
    await settle(pilot)


async def signed_in(pilot, settle) -> None:
    await signed_in_screen(pilot, settle)
    await enter(pilot, "#who", CASHIER, settle)
    await enter(pilot, "#pin", CASHIER_PIN, settle)


async def signed_in_screen(pilot, settle) -> None:
    await settle(pilot)
    for _ in range(100):  # the sign-in screen covers the till once the till says so
        if isinstance(pilot.app.screen, SignInScreen):
            break
        await pilot.pause(0.05)


async def manager_mode(pilot, settle) -> None:
    await signed_in(pilot, settle)
    await pilot.press("f1")
    await settle(pilot)
    for _ in range(100):  # the PIN dialog opens once the key is handled
        if isinstance(pilot.app.screen, PinDialog):
            break
        await pilot.pause(0.05)
    await enter(pilot, "#who", MANAGER, settle)
    await enter(pilot, "#pin", MANAGER_PIN, settle)
    for _ in range(100):  # the manager's pages are pushed once the dialog has closed
        if isinstance(pilot.app.screen, ManagerScreen):
            break
        await pilot.pause(0.05)
    assert isinstance(pilot.app.screen, ManagerScreen)


def test_the_sign_in_screen(snap_compare, staffed, wait_for_workers):
    async def run_before(pilot):
        await signed_in_screen(pilot, wait_for_workers)
        await enter(pilot, "#who", CASHIER, wait_for_workers)
        await enter(pilot, "#pin", "0000", wait_for_workers)

    assert snap_compare(make(staffed), terminal_size=SIZE, run_before=run_before)


def test_the_approval_dialog(snap_compare, staffed, cards, products, wait_for_workers):
    async def run_before(pilot):
        await signed_in(pilot, wait_for_workers)
        for code in (cards.nora, products.bread, products.latte):
            await enter(pilot, "#scan", code, wait_for_workers)
        await pilot.press("f3")
        await wait_for_workers(pilot)
        await enter(pilot, "#redeem-points", "200", wait_for_workers)
        await pilot.press("f2")
        await wait_for_workers(pilot)

    assert snap_compare(make(staffed), terminal_size=SIZE, run_before=run_before)


def test_manager_mode_member_search(snap_compare, staffed, wait_for_workers):
    async def run_before(pilot):
        await manager_mode(pilot, wait_for_workers)
        await enter(pilot, "#member-search", "e", wait_for_workers)

    assert snap_compare(make(staffed), terminal_size=SIZE, run_before=run_before)


def test_manager_mode_member_status(snap_compare, staffed, cards, wait_for_workers):
    sell_as_cashier(staffed, cards.nora)

    async def run_before(pilot):
        await manager_mode(pilot, wait_for_workers)
        await enter(pilot, "#member-search", cards.nora, wait_for_workers)
        await pilot.press("enter")
        await wait_for_workers(pilot)
        await pilot.pause(0.1)

    assert snap_compare(make(staffed), terminal_size=SIZE, run_before=run_before)


def test_manager_mode_correction_dialog(snap_compare, staffed, cards, wait_for_workers):
    async def run_before(pilot):
        await manager_mode(pilot, wait_for_workers)
        await enter(pilot, "#member-search", cards.nora, wait_for_workers)
        await pilot.press("enter")
        await wait_for_workers(pilot)
        await pilot.press("f5")
        await wait_for_workers(pilot)

    assert snap_compare(make(staffed), terminal_size=SIZE, run_before=run_before)


def test_manager_mode_day_page(snap_compare, staffed, cards, wait_for_workers):
    sell_as_cashier(staffed, cards.nora)

    async def run_before(pilot):
        await manager_mode(pilot, wait_for_workers)
        await pilot.press("f2")
        await wait_for_workers(pilot)
        for _ in range(100):  # the report is read by a worker once the page is shown
            if "End of day" in str(pilot.app.screen.query_one("#day-report", Static).render()):
                break
            await pilot.pause(0.05)
        await wait_for_workers(pilot)

    assert snap_compare(make(staffed), terminal_size=SIZE, run_before=run_before)


def test_manager_mode_queue_page(snap_compare, staffed, cards, wait_for_workers):
    sell_as_cashier(staffed, cards.nora)
    event = staffed.store.journal.recent(1)[0]
    StoreSyncSide(staffed.store).park(
        ParkedEvent(event.seq, event.event_id, "malformed", "Event 1: needs a manager's approval")
    )

    async def run_before(pilot):
        await manager_mode(pilot, wait_for_workers)
        await pilot.press("f3")
        await wait_for_workers(pilot)
        await pilot.pause(0.1)

    assert snap_compare(make(staffed), terminal_size=SIZE, run_before=run_before)


def test_manager_mode_enrol_page(snap_compare, staffed, wait_for_workers):
    async def run_before(pilot):
        await manager_mode(pilot, wait_for_workers)
        await pilot.press("f4")
        await wait_for_workers(pilot)

    assert snap_compare(make(staffed), terminal_size=SIZE, run_before=run_before)
