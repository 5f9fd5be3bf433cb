"""The manager's member desk on a real till: search, status, offline history and
points corrections (every bad input refused with nothing recorded)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from loyalty.cards import make_card_number
from loyalty.events import EventKind
from pos_client.approvals import Approval
from pos_client.errors import ApprovalRequired, ManagerActionRefused
from pos_client.store.transaction import write_transaction
from pos_client.till import Till
from tests.conftest import member

KARI, OLA = make_card_number(1), make_card_number(2)
ADJUST_OK = Approval("M1", "adjust", 10_000)


@pytest.fixture
def desk(till: Till) -> Till:
    """The conftest till, with phones, an old card of Kari's and a Nordic name."""
    till.store.members.upsert_many(
        [
            replace(member(1, 1000, "Kari Nordmann"), phone="+4791234567"),
            replace(
                member(4, 20, "Øystein Ås"),
                phone="+4740000123",
                flagged=True,
                flag_reasons=("overdraft",),
            ),
        ]
    )
    with write_transaction(till.store.conn):
        till.store.conn.execute(
            "INSERT INTO cards (card, member_id, state) VALUES (?, 'M000001', 'replaced')",
            [make_card_number(77)],
        )
    return till


def journal_length(till: Till) -> int:
    return till.store.journal.tip()[0]


def ids(hits: list) -> list[str]:  # type: ignore[type-arg]
    return [h.member_id for h in hits]


def test_search_by_member_id(desk: Till):
    assert ids(desk.search_members("M000002")) == ["M000002"]


def test_search_by_whole_card_and_by_its_last_digits(desk: Till):
    (hit,) = desk.search_members(KARI)
    assert (hit.member_id, hit.card, hit.card_state, hit.masked_card) == (
        "M000001",
        KARI,
        "active",
        "•••• " + KARI[-4:],
    )
    assert ids(desk.search_members(OLA[-4:])) == ["M000002"]


def test_search_by_an_old_card_shows_that_card_as_replaced(desk: Till):
    (hit,) = desk.search_members(make_card_number(77))
    assert (hit.member_id, hit.card_state) == ("M000001", "replaced")


def test_search_by_phone_in_any_format_shows_it_masked(desk: Till):
    for typed in ("+47 912 34 567", "0047 91234567", "912 34 567", "(912) 34-567"):
        hits = desk.search_members(typed)
        assert ids(hits) == ["M000001"], typed
    assert desk.search_members("+4791234567")[0].masked_phone == "+•••••••567"


def test_search_by_name_needs_every_word_in_any_case(desk: Till):
    assert ids(desk.search_members("nordmann")) == ["M000001", "M000002"]
    assert ids(desk.search_members("ola NORD")) == ["M000002"]
    assert ids(desk.search_members("øYSTEIN ås")) == ["M000004"]
    assert desk.search_members("kari ola") == []
    assert desk.search_members("   ") == []
    assert len(desk.search_members("nordmann", limit=1)) == 1


def test_member_status_shows_confirmed_and_pending_cards_phone_and_flags(desk: Till):
    desk.scan(KARI)
    desk.earn("120")
    status = desk.member_status("M000001")
    (points,) = status.accounts
    assert (points.account, points.confirmed, points.pending, points.total) == (
        "points",
        1000,
        120,
        1120,
    )
    assert status.pending_events == 1
    assert status.phone == "+4791234567"
    assert [(c.card, c.state) for c in status.cards] == [
        (KARI, "active"),
        (make_card_number(77), "replaced"),
    ]
    flagged = desk.member_status("M000004")
    assert (flagged.flagged, flagged.flag_reasons) == (True, ("overdraft",))
    with pytest.raises(ManagerActionRefused, match="No member"):
        desk.member_status("nobody")


def test_history_offline_is_this_tills_journal_newest_first_in_pages(desk: Till):
    desk.scan(KARI)
    for amount in ("10", "20", "30"):
        desk.earn(amount)
    desk.scan(OLA)
    desk.earn("99")  # another member's
    first = desk.member_history("M000001", page=0, page_size=2)
    assert first.source == "this till (offline)"
    assert [r.points for r in first.rows] == [{"points": 30}, {"points": 20}]
    assert first.has_more
    assert [r.receipt_no for r in first.rows] == ["TEST01-T1-000003", "TEST01-T1-000002"]
    assert {(r.what, r.state) for r in first.rows} == {("Purchase", "pending")}
    second = desk.member_history("M000001", page=1, page_size=2)
    assert [r.points for r in second.rows] == [{"points": 10}]
    assert not second.has_more


def test_a_correction_is_recorded_with_its_approval_reason_and_note(desk: Till):
    receipt = desk.correct_points("M000001", "points", -250, "duplicate", "twice", ADJUST_OK)
    assert (receipt.kind, receipt.points, receipt.balance_after) == (EventKind.ADJUST, -250, 750)
    (event,) = desk.store.journal.after(0)
    assert event.get("reason") == "duplicate" and event.get("note") == "twice"
    assert event.get("approval") == {"manager": "M1", "action": "adjust", "amount": 250}
    assert event.get("programme")["version"] == desk.version().version
    assert desk.member_status("M000001").accounts[0].pending == -250


def test_a_correction_needing_approval_without_one_records_nothing(desk: Till):
    with pytest.raises(ApprovalRequired) as raised:
        desk.correct_points("M000001", "points", 40, "goodwill", "", None)
    assert (raised.value.action, raised.value.amount) == ("adjust", 40)
    with pytest.raises(ApprovalRequired):  # approved for less than asked
        desk.correct_points("M000001", "points", 40, "goodwill", "", Approval("M1", "adjust", 39))
    assert journal_length(desk) == 0
    desk.correct_points("M000001", "points", 40, "goodwill", "", Approval("M1", "adjust", 40))
    assert journal_length(desk) == 1


@pytest.mark.parametrize(
    ("wallet", "points", "reason", "note", "message"),
    [
        ("points", 50, "", "", "Choose a reason"),
        ("points", 50, "because", "", "not a reason"),
        ("points", 50, "other", "  ", "Say in the note"),
        ("points", 0, "goodwill", "", "give the points"),
        ("points", -1001, "fraud", "", "negative"),
        ("points", 1_000_001, "goodwill", "", "at most"),
        ("miles", 50, "goodwill", "", "no wallet 'miles'"),
        ("points", 50, "goodwill", "x" * 1001, "longer than"),
    ],
)
def test_a_bad_correction_is_refused_and_records_nothing(
    desk: Till, wallet: str, points: int, reason: str, note: str, message: str
):
    with pytest.raises(ManagerActionRefused, match=message):
        desk.correct_points("M000001", wallet, points, reason, note, ADJUST_OK)
    assert journal_length(desk) == 0


def test_a_correction_may_take_the_balance_to_zero_counting_pending_events(desk: Till):
    desk.scan(OLA)
    desk.earn("10")  # 50 confirmed + 10 pending
    with pytest.raises(ManagerActionRefused, match="negative"):
        desk.correct_points("M000002", "points", -61, "fraud", "", ADJUST_OK)
    receipt = desk.correct_points("M000002", "points", -60, "fraud", "", ADJUST_OK)
    assert receipt.balance_after == 0
    with pytest.raises(ManagerActionRefused, match="No member"):
        desk.correct_points("M999", "points", 5, "goodwill", "", ADJUST_OK)
