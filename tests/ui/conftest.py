"""Fixtures for the cashier screen's tests: a real Till on a real SQLite file.

Members are fixed (names, cards, balances), so screens and snapshots are the same on
every run. ``settle`` replaces sleeps: it waits until the App's till calls and the
messages they post have all been handled.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from loyalty.cards import make_card_number
from pos_client.config import TillConfig
from pos_client.store import CachedMember
from pos_client.till import Till
from pos_client.ui.app import TillApp

TERMINAL_ID = "TEST-T1"
NORA = make_card_number(1001)
EMIL = make_card_number(1002)
OLAV_BLOCKED = make_card_number(1003)
UNKNOWN = make_card_number(9999)
MISTYPED = NORA[:-1] + str((int(NORA[-1]) + 1) % 10)


def _member(card: str, member_id: str, name: str, points: int, status: str) -> CachedMember:
    return CachedMember(
        card=card,
        member_id=member_id,
        name=name,
        tier="",
        accounts={"points": points} if points else {},
        status=status,
        flagged=False,
        updated_at="",
    )


MEMBERS = [
    _member(NORA, "M000001", "Nora Hansen", 1250, "active"),
    _member(EMIL, "M000002", "Emil Berg", 40, "active"),
    _member(OLAV_BLOCKED, "M000003", "Olav Dahl", 300, "blocked"),
]


@pytest.fixture
def till(tmp_path: Path) -> Iterator[Till]:
    config = TillConfig(terminal_id=TERMINAL_ID, data_dir=tmp_path, store_name="Test store")
    opened = Till.open(config)
    opened.store.members.upsert_many(MEMBERS)
    yield opened
    opened.close()


@pytest.fixture
def make_app(till: Till) -> Callable[..., TillApp]:
    """Build the App for a test, with no cursor blink and no clock on screen."""

    def build(demo: bool = False) -> TillApp:
        app = TillApp(till, demo=demo)
        app.input_cursor_blink = False
        app.show_receipt_time = False
        return app

    return build


async def settle(pilot: Pilot[object]) -> None:
    """Wait until every till call has run and its answer is on screen."""
    app = pilot.app
    assert isinstance(app, TillApp)
    for _ in range(200):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if app.idle:
            await pilot.pause()
            return
    raise AssertionError("the till never became idle")


async def fill(pilot: Pilot[object], selector: str, text: str) -> None:
    """Put ``text`` in an input at once, as a paste would (typing key by key is slow)."""
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    field.value = text
    field.cursor_position = len(text)
    await pilot.pause()


@pytest.fixture
def fill_field() -> Callable[[Pilot[object], str, str], Awaitable[None]]:
    return fill


@pytest.fixture
def wait_for_workers() -> Callable[[Pilot[object]], Awaitable[None]]:
    return settle


@dataclass(frozen=True)
class Cards:
    """The test members' cards, and two that must be refused."""

    nora: str = NORA
    """Nora Hansen, 1 250 points."""
    emil: str = EMIL
    """Emil Berg, 40 points (too few to redeem)."""
    blocked: str = OLAV_BLOCKED
    unknown: str = UNKNOWN
    """A valid card number no member has."""
    mistyped: str = MISTYPED
    """Nora's card with a wrong check digit."""


@pytest.fixture
def cards() -> Cards:
    return Cards()
