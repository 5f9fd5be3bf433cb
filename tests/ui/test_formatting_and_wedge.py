"""How points, balances and receipts read; how a misplaced wedge scan is recognised."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from loyalty.cards import make_card_number
from loyalty.events import EventKind
from loyalty.money import Money
from pos_client.store.members import Expiring
from pos_client.ui import formatting
from pos_client.ui.till_calls import parse_points
from pos_client.ui.wedge import split_wedge_scan
from pos_client.views import MemberView, Receipt

CARD = make_card_number(1001)


def member(confirmed: int, unconfirmed: int, tier: str = "") -> MemberView:
    return MemberView(
        CARD, "M1", "Nora Hansen", tier, {"points": confirmed}, {"points": unconfirmed}
    )


@pytest.mark.parametrize(
    ("value", "text"), [(0, "0"), (999, "999"), (1250, "1 250"), (1234567, "1 234 567")]
)
def test_points_are_grouped_by_thousands_with_spaces(value, text):
    assert formatting.points(value) == text


def test_the_balance_shows_its_unsynced_part_with_a_sign():
    assert formatting.balance_lines(member(1101, 149)) == (
        "1 250 points",
        "(of which +149 not yet synced)",
    )
    assert formatting.balance_lines(member(1250, -200)) == (
        "1 050 points",
        "(of which -200 not yet synced)",
    )
    assert formatting.balance_lines(member(1250, 0)) == ("1 250 points", "")


def test_what_expires_next_is_said_per_wallet_and_marked_when_unsynced_changes_touch_it():
    synced = replace(member(1250, 0), expiring=(Expiring("points", 240, date(2027, 1, 31)),))
    assert formatting.expiring(synced) == "240 points expire on 31 Jan 2027"
    one = replace(synced, expiring=(Expiring("points", 1, date(2026, 12, 31)),))
    assert formatting.expiring(one) == "1 point expires on 31 Dec 2026"
    unsynced = replace(synced, unconfirmed={"points": -100})
    assert formatting.expiring(unsynced) == "240 points expire on 31 Jan 2027 (as synced)"
    assert formatting.expiring(member(1250, 0)) == ""


def test_an_unknown_tier_shows_a_dash():
    assert formatting.tier(None) == "—"
    assert formatting.tier(member(0, 0)) == "—"
    assert formatting.tier(member(0, 0, tier="Gold")) == "Gold"


def test_receipt_time_is_read_from_the_recorded_iso_time():
    receipt = Receipt(
        "T1-000001", EventKind.SALE, CARD, "Nora", {"points": 1}, Money(100, "NOK"), 1,
        "nonsense", "id",
    )  # fmt: skip
    assert formatting.receipt_time(receipt) == ""
    valid = Receipt(
        "T1-000001",
        EventKind.SALE,
        CARD,
        "Nora",
        {"points": 1},
        Money(100, "NOK"),
        1,
        "2026-01-02T03:04:05.000Z",
        "id",
    )
    assert len(formatting.receipt_time(valid)) == len("03:04:05")


@pytest.mark.parametrize(
    ("typed", "kept", "card"),
    [
        (CARD, "", CARD),
        (f"149.90{CARD}", "149.90", CARD),
        (f"149{CARD}", "149", CARD),
        (f"TEST-T1-{CARD}\n", "TEST-T1-", CARD),
        ("149.90", "149.90", None),
        ("TEST-T1-000042", "TEST-T1-000042", None),
        (CARD[:-1] + str((int(CARD[-1]) + 1) % 10), None, None),
    ],
)
def test_a_card_number_at_the_end_of_typed_text_is_a_scan(typed, kept, card):
    assert split_wedge_scan(typed) == (typed if kept is None else kept, card)


def test_points_must_be_a_whole_number():
    assert parse_points(" 1 200 ") == 1200
    with pytest.raises(Exception, match="is not a number of points"):
        parse_points("12.5")
