"""Fixtures for the cashier screen's tests: a real Till on a real SQLite file.

Members are fixed (names, cards, balances), so screens and snapshots are the same on
every run. ``settle`` replaces sleeps: it waits until the App's till calls and the
messages they post have all been handled.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from loyalty.cards import make_card_number
from loyalty.gtin import gtin_check_digit
from pos_client.config import QuickKey, TillConfig
from pos_client.store import CachedMember
from pos_client.store.transaction import write_transaction
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


def ean(body: str) -> str:
    """A valid EAN-13 for twelve digits."""
    return body + str(gtin_check_digit(body))


LATTE = ean("703801000945")
MILK = ean("703801005504")
BREAD = ean("703801007001")
PRODUCTS = [
    (LATTE, "Latte", 3990, ["coffee"]),
    (MILK, "Milk 1 l", 2490, ["dairy"]),
    (BREAD, "Bread", 4490, ["bakery"]),
]
QUICK_KEYS = (
    QuickKey("c", "Coffee", tags=("coffee",), price_minor=3990),
    QuickKey("b", "Bakery", tags=("bakery",)),
)


def stock(till: Till) -> None:
    """Put the test catalogue in the till, as a pull from the ledger would."""
    with write_transaction(till.store.conn) as conn:
        conn.executemany(
            "INSERT INTO products VALUES (?, ?, ?, ?, 1, 1)",
            [(sku, name, price, json.dumps(tags)) for sku, name, price, tags in PRODUCTS],
        )


def open_till(directory: Path, **config: object) -> Till:
    """A till with the test members and products (``config`` overrides settings)."""
    base = TillConfig(
        terminal_id=TERMINAL_ID,
        data_dir=directory,
        store_name="Test store",
        quick_keys=QUICK_KEYS,
        large_amount_minor=500_000,
    )
    opened = Till.open(replace(base, **config))  # type: ignore[arg-type]
    opened.store.members.upsert_many(MEMBERS)
    stock(opened)
    return opened


@pytest.fixture
def till(tmp_path: Path) -> Iterator[Till]:
    opened = open_till(tmp_path)
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
class Products:
    latte: str = LATTE
    """Latte, 39.90, coffee."""
    milk: str = MILK
    """Milk 1 l, 24.90, dairy."""
    bread: str = BREAD
    """Bread, 44.90, bakery."""


@pytest.fixture
def products() -> Products:
    return Products()


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
