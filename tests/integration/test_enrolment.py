"""Enrolment at a real till, offline: card numbers from this till's ranges, the
``enrol`` event and the cached member in one transaction, a member who can earn at
once; every bad form refused naming its field, recording nothing."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from devices.escpos import code128
from loyalty.cards import card_of_body, is_valid_card_number
from loyalty.enrolment import EnrolmentError
from loyalty.events import EventKind
from pos_client.card_barcode import card_barcode_text, card_digits
from pos_client.config import TillConfig
from pos_client.errors import ManagerActionRefused, NoCardNumbers
from pos_client.store.card_ranges import store_ranges
from pos_client.store.transaction import write_transaction
from pos_client.till import Till
from tests.integration.test_receipt_printing import open_with_printer, printer, wait_for

FIRST = 270_000_000_000
__all__ = ["printer"]  # the fake network printer fixture


def give_numbers(till: Till, *ranges: tuple[int, int]) -> None:
    with write_transaction(till.store.conn):
        store_ranges(till.store.conn, ranges)


def form(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "  Nora   Ny ",
        "phone": "+47 912 34 567",
        "email": "Nora@Example.com",
        "birth_date": "1990-05-17",
        "privacy_accepted": True,
        "marketing": False,
    }
    return {**values, **changes}


def journal_length(till: Till) -> int:
    return till.store.journal.tip()[0]


def test_an_enrolled_member_gets_the_next_number_and_can_earn_at_once_offline(till: Till):
    give_numbers(till, (FIRST, FIRST + 9))
    enrolled = till.enrol(**form(marketing=True))
    assert enrolled.card == card_of_body(FIRST) and is_valid_card_number(enrolled.card)
    assert enrolled.member.name == "Nora Ny" and enrolled.member.member_id.startswith("m-")
    assert enrolled.numbers_left == till.card_numbers_left() == 9
    (event,) = till.store.journal.after(0)
    assert event.kind is EventKind.ENROL
    assert (event.card, event.member_id) == (enrolled.card, enrolled.member.member_id)
    enrolment = event.get("enrolment")
    assert enrolment["phone"] == "+4791234567" and enrolment["email"] == "nora@example.com"
    assert enrolment["marketing"] is True and enrolment["privacy_accepted_at"]
    assert event.get("programme")["version"] == till.version().version

    member = till.scan(enrolled.card)
    assert (member.member_id, member.balance) == (enrolled.member.member_id, 0)
    assert till.earn("100").balance_after == 100
    assert [h.member_id for h in till.search_members("912 34 567")] == [member.member_id]
    second = till.enrol(**form(name="Per Ny", phone="+4740000000", email=""))
    assert second.card == card_of_body(FIRST + 1)


def test_an_enrolled_member_is_there_after_a_restart(till_config: TillConfig):
    till = Till.open(till_config)
    give_numbers(till, (FIRST, FIRST))
    card = till.enrol(**form()).card
    till.close()
    reopened = Till.open(till_config)
    try:
        assert reopened.scan(card).name == "Nora Ny"
        assert reopened.card_numbers_left() == 0
    finally:
        reopened.close()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"phone": "912 34 567"}, "phone"),
        ({"phone": "+47 abc"}, "phone"),
        ({"email": "nora@", "phone": ""}, "email"),
        ({"email": "nora at example.com"}, "email"),
        ({"birth_date": (date.today() + timedelta(days=2)).isoformat()}, "birth_date"),
        ({"birth_date": "17.05.1990"}, "birth_date"),
        ({"privacy_accepted": False}, "privacy"),
        ({"name": "   "}, "name"),
        ({"phone": "", "email": ""}, "phone"),
    ],
)
def test_a_bad_enrolment_names_its_field_and_records_nothing(
    till: Till, changes: dict[str, Any], field: str
):
    give_numbers(till, (FIRST, FIRST + 9))
    with pytest.raises(EnrolmentError) as raised:
        till.enrol(**form(**changes))
    assert raised.value.field == field
    assert journal_length(till) == 0
    assert till.card_numbers_left() == 10
    assert till.search_members("Nora") == []


def test_running_out_of_numbers_is_refused_with_nothing_recorded(till: Till):
    with pytest.raises(NoCardNumbers, match="no card numbers left"):
        till.enrol(**form())
    give_numbers(till, (FIRST, FIRST + 1))
    till.enrol(**form())
    till.enrol(**form(name="Two"))
    assert till.card_numbers_left() == 0
    with pytest.raises(NoCardNumbers):
        till.enrol(**form(name="Three"))
    assert journal_length(till) == 2
    give_numbers(till, (FIRST, FIRST + 1), (FIRST + 100, FIRST + 100))  # one new range
    assert till.card_numbers_left() == 1
    assert till.enrol(**form(name="Three")).card == card_of_body(FIRST + 100)


def test_ranges_that_are_not_enrolment_numbers_are_left_out(till: Till):
    give_numbers(till, (290_000_000_000, 290_000_000_010), (FIRST + 5, FIRST), (27_000, 27_010))
    assert till.card_numbers_left() == 0


def test_a_number_whose_card_the_till_knows_is_skipped(till: Till):
    give_numbers(till, (FIRST, FIRST + 2))
    with write_transaction(till.store.conn):
        till.store.conn.execute(
            "INSERT INTO cards (card, member_id, state) VALUES (?, 'M000001', 'replaced')",
            [card_of_body(FIRST)],
        )
    assert till.enrol(**form()).card == card_of_body(FIRST + 1)
    assert till.card_numbers_left() == 1


def test_the_card_is_shown_as_a_barcode_and_printing_without_a_printer_says_so(till: Till):
    give_numbers(till, (FIRST, FIRST))
    card = till.enrol(**form()).card
    text = card_barcode_text(card)
    lines = text.splitlines()
    assert len(lines) == 5 and len({len(line) for line in lines[:4]}) == 1
    assert set(lines[0]) <= {"█", "▌", "▐", " "}
    assert lines[-1].strip() == f"{card[0]} {card[1:7]} {card[7:]}"
    assert "No receipt printer" in till.print_member_card(card)
    with pytest.raises(ManagerActionRefused, match="not a member's current card"):
        till.print_member_card(card_of_body(FIRST + 1))


def test_the_card_prints_with_its_code_128_on_the_receipt_printer(till: Till, printer):
    printing = open_with_printer(till, f"tcp://127.0.0.1:{printer.port}")
    try:
        give_numbers(printing, (FIRST, FIRST))
        card = printing.enrol(**form()).card
        assert printing.print_member_card(card) == f"Card •••• {card[-4:]} printed for Nora Ny."
        wait_for(lambda: len(printer.jobs) == 2)  # the enrolment's receipt and the card
        (job,) = [j for j in printer.jobs if code128(card) in j]
        assert b"Nora Ny" in job and card_digits(card).encode() in job
    finally:
        printing.close()
