"""Staff at the till: sign-in by number or badge, wrong PINs and the lockout (on disk,
so a restart changes nothing), manager mode, and staff arriving in the pull."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from loyalty.cards import make_card_number
from loyalty.staff import LOCKOUT_TRIES
from pos_client.config import TillConfig
from pos_client.errors import LockedOut, NotAManager, NotSignedIn, UnknownStaff, WrongPin
from pos_client.staffing import StaffView
from pos_client.till import Till
from sync.errors import InvalidAnswer
from tests.conftest import member
from tests.integration.staff_feed import pull_staff, staff_change

KARI = make_card_number(1)
OSLO = timezone(timedelta(hours=2))
CASHIER_PIN, MANAGER_PIN, TYPED_WRONG = "24681357", "97531086", "86420864"


class Clock:
    """The till's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = datetime(2025, 6, 2, 9, 0, tzinfo=OSLO)

    def __call__(self) -> datetime:
        return self.now


STAFF = [
    staff_change("C100", CASHIER_PIN, 1, name="Kari Kasse", badge="BADGE-0100", stores=["OSLO01"]),
    staff_change("M200", MANAGER_PIN, 2, name="Mona Manager", role="manager"),
    staff_change("C300", "5555", 3, name="Bergen Kasse", stores=["BERGEN01"]),
    staff_change("C400", "4444", 4, name="Gone Away", active=False),
]


@pytest.fixture
def config(tmp_path: Path) -> TillConfig:
    return TillConfig(terminal_id="OSLO01-T1", data_dir=tmp_path / "till", operator="till")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def till(config: TillConfig, clock: Clock) -> Iterator[Till]:
    opened = Till.open(config, clock)
    opened.store.members.upsert_many([member(1, 1000, "Kari Nordmann")])
    pull_staff(opened.store, STAFF)
    try:
        yield opened
    finally:
        opened.close()


def _failure_rows(till: Till) -> list[tuple[str, int, str | None]]:
    return till.store.conn.execute("SELECT * FROM pin_failures ORDER BY staff_id").fetchall()


def _operators(till: Till) -> list[str | None]:
    return [e.get("operator") for e in till.store.journal.after(0)]


def test_a_till_that_knows_no_staff_works_as_before(tmp_path: Path, config: TillConfig):
    till = Till.open(config)
    try:
        till.store.members.upsert_many([member(1, 1000, "Kari Nordmann")])
        assert not till.needs_sign_in and till.signed_in is None
        till.scan(KARI)
        till.earn("100")
        assert _operators(till) == ["till"]
        assert till.staff_list() == []
    finally:
        till.close()


def test_sign_in_by_staff_number_or_badge_names_the_operator_of_every_event(till: Till):
    assert till.needs_sign_in
    till.scan(KARI)
    with pytest.raises(NotSignedIn, match="sign in"):
        till.earn("100")
    assert _operators(till) == []

    kari = till.sign_in("C100", CASHIER_PIN)
    assert kari == StaffView("C100", "Kari Kasse", "cashier") and not kari.is_manager
    assert till.signed_in == kari and not till.needs_sign_in
    till.earn("100")
    till.sign_out()
    assert till.needs_sign_in
    assert till.sign_in(" BADGE-0100 ", CASHIER_PIN) == kari
    till.earn("50")
    assert _operators(till) == ["C100", "C100"]


def test_the_staff_list_holds_the_active_staff_of_this_store(till: Till):
    assert [s.staff_id for s in till.staff_list()] == ["C100", "M200"]


def test_a_wrong_pin_says_how_many_tries_are_left(till: Till):
    with pytest.raises(WrongPin, match="9 tries left") as wrong:
        till.sign_in("C100", TYPED_WRONG)
    assert wrong.value.tries_left == LOCKOUT_TRIES - 1
    for _ in range(LOCKOUT_TRIES - 3):
        with pytest.raises(WrongPin):
            till.sign_in("C100", TYPED_WRONG)
    with pytest.raises(WrongPin, match="1 try left") as wrong:
        till.sign_in("C100", TYPED_WRONG)
    assert wrong.value.tries_left == 1
    assert till.signed_in is None


def test_something_that_is_no_pin_at_all_is_refused_and_not_counted(till: Till):
    with pytest.raises(WrongPin, match="4 to 8 digits") as wrong:
        till.sign_in("C100", "12ab")
    assert wrong.value.tries_left == LOCKOUT_TRIES
    assert _failure_rows(till) == []


def test_a_right_pin_starts_the_count_again(till: Till):
    for _ in range(LOCKOUT_TRIES - 1):
        with pytest.raises(WrongPin):
            till.sign_in("C100", TYPED_WRONG)
    till.sign_in("C100", CASHIER_PIN)
    assert _failure_rows(till) == []
    with pytest.raises(WrongPin) as wrong:
        till.sign_in("C100", TYPED_WRONG)
    assert wrong.value.tries_left == LOCKOUT_TRIES - 1


def test_ten_wrong_pins_lock_out_even_the_right_pin_across_a_restart(
    config: TillConfig, clock: Clock, till: Till
):
    for _ in range(LOCKOUT_TRIES - 1):
        with pytest.raises(WrongPin):
            till.sign_in("C100", TYPED_WRONG)
    with pytest.raises(LockedOut, match="locked out at this till until 09:30") as locked:
        till.sign_in("C100", TYPED_WRONG)
    assert locked.value.until == "2025-06-02T09:30:00+02:00"
    with pytest.raises(LockedOut):
        till.sign_in("C100", CASHIER_PIN)
    till.close()

    reopened = Till.open(config, clock)
    try:
        with pytest.raises(LockedOut, match="until 09:30"):
            reopened.sign_in("BADGE-0100", CASHIER_PIN)
        # Another person at the same till is not locked out.
        assert reopened.sign_in("M200", MANAGER_PIN).staff_id == "M200"
        assert reopened.signed_in is not None
    finally:
        reopened.close()


def test_the_lockout_ends_after_thirty_minutes_with_fresh_tries(till: Till, clock: Clock):
    for _ in range(LOCKOUT_TRIES):
        with pytest.raises((WrongPin, LockedOut)):
            till.sign_in("C100", TYPED_WRONG)
    clock.now += timedelta(minutes=29, seconds=59)
    with pytest.raises(LockedOut):
        till.sign_in("C100", CASHIER_PIN)
    clock.now += timedelta(seconds=1)
    with pytest.raises(WrongPin) as wrong:
        till.sign_in("C100", TYPED_WRONG)
    assert wrong.value.tries_left == LOCKOUT_TRIES - 1
    assert till.sign_in("C100", CASHIER_PIN).staff_id == "C100"


def test_unknown_disabled_and_other_stores_staff_are_refused_and_leave_no_rows(till: Till):
    with pytest.raises(UnknownStaff, match="C999 is not a staff number"):
        till.sign_in("C999", CASHIER_PIN)
    with pytest.raises(UnknownStaff, match="disabled"):
        till.sign_in("C400", "4444")
    with pytest.raises(UnknownStaff, match="does not work at this store"):
        till.sign_in("C300", "5555")
    with pytest.raises(UnknownStaff, match="staff number or scan your badge"):
        till.sign_in("  ", CASHIER_PIN)
    assert _failure_rows(till) == []
    assert till.signed_in is None


def test_a_typed_pin_is_never_stored(till: Till):
    with pytest.raises(WrongPin):
        till.sign_in("C100", TYPED_WRONG)
    till.sign_in("C100", CASHIER_PIN)
    till.store.conn.execute("PRAGMA wal_checkpoint(FULL)")
    files = [till.store.path, till.store.path.with_name(till.store.path.name + "-wal")]
    data = b"".join(f.read_bytes() for f in files if f.exists())
    assert TYPED_WRONG.encode() not in data and CASHIER_PIN.encode() not in data


def test_a_cashiers_number_cannot_approve_or_open_manager_mode(till: Till):
    till.sign_in("C100", CASHIER_PIN)
    till.scan(KARI)
    for attempt in (
        lambda: till.approve("C100", CASHIER_PIN, "refund", 60000),
        lambda: till.approve("BADGE-0100", TYPED_WRONG, "adjust", 10),
        lambda: till.enter_manager("C100", CASHIER_PIN),
    ):
        with pytest.raises(NotAManager, match="Kari Kasse is a cashier"):
            attempt()
    assert _failure_rows(till) == [] and _operators(till) == []
    assert till.manager_on_duty is None


def test_a_manager_approves_one_action_with_their_pin(till: Till):
    till.sign_in("C100", CASHIER_PIN)
    approval = till.approve("M200", MANAGER_PIN, "refund", 60000)
    assert (approval.manager, approval.action, approval.amount) == ("M200", "refund", 60000)
    assert till.signed_in is not None and till.signed_in.staff_id == "C100"
    with pytest.raises(WrongPin):
        till.approve("M200", TYPED_WRONG, "refund", 60000)
    assert _failure_rows(till) == [("M200", 1, None)]


def test_manager_mode_names_the_manager_until_it_is_left(till: Till):
    till.sign_in("C100", CASHIER_PIN)
    till.scan(KARI)
    with pytest.raises(NotAManager, match="open manager mode"):
        till.manager_approval("adjust", 10)
    mona = till.enter_manager("M200", MANAGER_PIN)
    assert mona.is_manager and till.manager_on_duty == mona
    approval = till.manager_approval("adjust", 10)
    assert approval is not None and (approval.manager, approval.amount) == ("M200", 10)
    assert till.manager_approval("refund", 10) is None  # this programme never asks
    till.earn("10")
    till.leave_manager()
    till.earn("20")
    assert _operators(till) == ["M200", "C100"]
    till.enter_manager("M200", MANAGER_PIN)
    till.sign_out()
    assert till.manager_on_duty is None and till.needs_sign_in


def test_the_pull_keeps_the_newest_change_of_each_person(till: Till):
    # One pull, two pages: the older change of M200 in the later page loses.
    pull_staff(
        till.store,
        [staff_change("M200", "1111", 9, name="Mona Newer", role="manager")],
        [staff_change("M200", "2222", 5, name="Mona Older", role="manager")],
    )
    # A later pull bringing an even older change also loses.
    pull_staff(till.store, [staff_change("M200", "3333", 7, role="cashier")])
    mona = till.sign_in("M200", "1111")
    assert (mona.name, mona.role) == ("Mona Newer", "manager")


def test_someone_disabled_stays_signed_in_until_they_sign_out(till: Till):
    till.sign_in("C100", CASHIER_PIN)
    pull_staff(till.store, [staff_change("C100", CASHIER_PIN, 10, active=False)])
    assert till.signed_in is not None and till.signed_in.staff_id == "C100"
    till.scan(KARI)
    till.earn("10")
    till.sign_out()
    with pytest.raises(UnknownStaff, match="disabled"):
        till.sign_in("C100", CASHIER_PIN)
    assert [s.staff_id for s in till.staff_list()] == ["M200"]


def test_a_disabled_manager_can_no_longer_approve(till: Till):
    pull_staff(till.store, [staff_change("M200", MANAGER_PIN, 10, role="manager", active=False)])
    with pytest.raises(UnknownStaff, match="disabled"):
        till.approve("M200", MANAGER_PIN, "adjust", 10)


def test_a_staff_change_no_event_could_name_is_refused_and_nothing_is_stored(till: Till):
    bad = staff_change("C500", "1234", 11).model_copy(update={"staff_id": "no spaces"})
    with pytest.raises(InvalidAnswer, match="staff change"):
        pull_staff(till.store, [staff_change("C600", "1234", 12), bad])
    ids = [r[0] for r in till.store.conn.execute("SELECT staff_id FROM staff ORDER BY 1")]
    assert ids == ["C100", "C300", "C400", "M200"]
