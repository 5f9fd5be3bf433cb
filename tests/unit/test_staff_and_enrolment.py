"""Staff PINs, the programme's approval policy and enrolment checks: the pure rules
the till and the ledger share."""

from __future__ import annotations

from datetime import date

import pytest

from loyalty.enrolment import Enrolment, EnrolmentError, enrolment_problem, normal_phone
from loyalty.programme import ProgrammeError, parse_programme
from loyalty.programme.approvals import Approvals
from loyalty.programme.default import simple_programme_document
from loyalty.staff import StaffError, check_pin, hash_pin, new_pin, pin_matches

TODAY = date(2026, 12, 4)


def test_a_pin_is_stored_salted_and_checked_against_its_hash():
    stored = hash_pin("2468")
    assert "2468" not in stored and stored.startswith("scrypt$")
    assert pin_matches(stored, "2468")
    assert not pin_matches(stored, "2469")
    assert hash_pin("2468") != stored  # a new salt every time


@pytest.mark.parametrize("stored", ["", "scrypt$1$2", "bcrypt$x", "scrypt$16384$8$1$zz$00"])
def test_a_damaged_stored_hash_never_matches(stored):
    assert not pin_matches(stored, "2468")


@pytest.mark.parametrize("pin", ["123", "123456789", "12a4", " 1234", ""])
def test_a_pin_is_four_to_eight_digits(pin):
    with pytest.raises(StaffError, match="4 to 8 digits"):
        check_pin(pin)
    assert not pin_matches(hash_pin("1234"), pin)


def test_a_new_pin_is_six_digits():
    assert len(check_pin(new_pin())) == 6


def _programme(approvals: dict[str, object] | None):
    document = simple_programme_document()
    if approvals is not None:
        document["approvals"] = approvals
    return parse_programme(document)


def test_the_default_policy_asks_a_manager_for_corrections_and_cards_only():
    policy = _programme(None).approvals
    assert policy == Approvals()
    assert policy.needed("adjust", 1) and policy.needed("replace_card")
    assert not policy.needed("refund", 10**9) and not policy.needed("redeem", 10**9)
    assert policy.needed("close_day", 3) and not policy.needed("close_day", 0)


def test_limits_apply_above_the_figure_given():
    policy = _programme({"refund_above_minor": 50000, "redeem_above": 1000, "adjust": False})
    policy = policy.approvals
    assert not policy.needed("refund", 50000) and policy.needed("refund", 50001)
    assert not policy.needed("redeem", 1000) and policy.needed("redeem", 1001)
    assert not policy.needed("adjust", 10**6)


@pytest.mark.parametrize(
    ("table", "words"),
    [
        ({"adjust": "yes"}, "approvals.adjust: must be true or false"),
        ({"redeem_above": -1}, "approvals.redeem_above: must be at least 0"),
        ({"refund_above": 5}, "refund_above"),
    ],
)
def test_a_wrong_approvals_table_is_refused_naming_the_key(table, words):
    with pytest.raises(ProgrammeError, match=words):
        _programme(table)


@pytest.mark.parametrize(
    ("typed", "kept"),
    [("+47 912 34 567", "+4791234567"), ("0047-912-34-567", "+4791234567")],
)
def test_a_phone_number_is_kept_as_plus_and_digits(typed, kept):
    assert normal_phone(typed) == kept


def _enrol(**changes: object) -> Enrolment:
    form: dict[str, object] = {
        "name": "  Kari   Nordmann ",
        "phone": "+47 912 34 567",
        "email": "Kari@Example.NO",
        "birth_date": "1990-05-17",
        "privacy_accepted": True,
        "marketing": False,
        "at": "2026-12-04T10:00:00+01:00",
        "today": TODAY,
    }
    form.update(changes)
    return Enrolment.checked(**form)  # type: ignore[arg-type]


def test_an_enrolment_is_cleaned_and_goes_on_the_wire_as_checked():
    enrolment = _enrol()
    assert (enrolment.name, enrolment.phone, enrolment.email) == (
        "Kari Nordmann",
        "+4791234567",
        "kari@example.no",
    )
    wire = enrolment.to_json()
    assert enrolment_problem(wire) is None
    assert Enrolment.from_json(wire) == enrolment


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "  "}, "name"),
        ({"phone": "912 34 567"}, "phone"),
        ({"phone": "", "email": ""}, "phone"),
        ({"email": "kari@"}, "email"),
        ({"birth_date": "2027-01-01"}, "birth_date"),
        ({"birth_date": "17.05.1990"}, "birth_date"),
        ({"privacy_accepted": False}, "privacy"),
    ],
)
def test_a_wrong_enrolment_names_its_field(changes, field):
    with pytest.raises(EnrolmentError) as caught:
        _enrol(**changes)
    assert caught.value.field == field


@pytest.mark.parametrize(
    "wire",
    [
        {"name": "K", "privacy_accepted_at": "x", "marketing": False},
        {"name": "K", "privacy_accepted_at": "x", "marketing": "no", "phone": "+4791234567"},
        {"name": "K", "privacy_accepted_at": "x", "marketing": False, "phone": "912"},
        {"name": "K", "privacy_accepted_at": "x", "marketing": False, "email": "A@B.NO"},
        {"name": "K", "privacy_accepted_at": "", "marketing": False, "email": "a@b.no"},
        {"name": "K", "privacy_accepted_at": "x", "marketing": False, "email": "a@b.no", "x": 1},
    ],
)
def test_the_wire_check_refuses_an_enrolment_a_till_would_not_send(wire):
    assert enrolment_problem(wire) is not None
