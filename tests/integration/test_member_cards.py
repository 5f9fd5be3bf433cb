"""Card replacement and blocking at a real till, offline: the old card is refused at
once, the new one selects the member, and every bad input records nothing."""

from __future__ import annotations

import pytest

from loyalty.cards import make_card_number
from loyalty.events import EventKind
from pos_client.approvals import Approval
from pos_client.errors import ApprovalRequired, CardReplaced, ManagerActionRefused
from pos_client.till import Till

KARI, OLA = make_card_number(1), make_card_number(2)
NEW = make_card_number(500)
CARD_OK = Approval("M1", "replace_card", 0)


def journal(till: Till) -> list:  # type: ignore[type-arg]
    return till.store.journal.after(0)


def test_a_replaced_card_is_refused_at_once_and_the_new_one_selects_the_member(till: Till):
    till.scan(KARI)
    till.earn("100")  # pending on the old card
    member = till.replace_card(KARI, NEW, "lost", "", CARD_OK)
    assert (member.card, member.member_id, member.balance) == (NEW, "M000001", 1100)
    (_, event) = journal(till)
    assert event.kind is EventKind.REPLACE
    assert (event.card, event.get("new_card"), event.get("reason")) == (KARI, NEW, "lost")
    assert event.get("approval") == {"manager": "M1", "action": "replace_card", "amount": 0}
    assert event.postings == {}
    with pytest.raises(CardReplaced):
        till.scan(KARI)
    assert till.scan(NEW).balance == 1100
    assert till.earn("10").balance_after == 1110
    cards = [(c.card, c.state) for c in till.member_status("M000001").cards]
    assert cards == [(NEW, "active"), (KARI, "replaced")]


def test_a_replacement_needs_an_approval_under_the_default_policy(till: Till):
    with pytest.raises(ApprovalRequired):
        till.replace_card(KARI, NEW, "lost", "", None)
    with pytest.raises(ApprovalRequired):
        till.replace_card(KARI, NEW, "lost", "", Approval("M1", "adjust", 10))
    assert journal(till) == []
    assert till.scan(KARI).card == KARI


@pytest.mark.parametrize(
    ("old", "new", "reason", "note", "message"),
    [
        (KARI, NEW, "", "", "Choose a reason"),
        (KARI, NEW, "forgot", "", "not a reason"),
        (KARI, NEW, "other", "", "Say in the note"),
        (KARI, NEW[:-1] + str((int(NEW[-1]) + 1) % 10), "lost", "", "new card is not a valid"),
        (KARI, OLA, "lost", "", "already known"),
        (KARI, KARI, "lost", "", "already known"),
        (make_card_number(999), NEW, "lost", "", "not known to this till"),
        ("12345", NEW, "lost", "", "old card is not a valid"),
    ],
)
def test_a_bad_replacement_is_refused_and_records_nothing(
    till: Till, old: str, new: str, reason: str, note: str, message: str
):
    with pytest.raises(ManagerActionRefused, match=message):
        till.replace_card(old, new, reason, note, CARD_OK)
    assert journal(till) == []
    assert till.scan(KARI).card == KARI


def test_a_card_already_replaced_cannot_be_replaced_again(till: Till):
    till.replace_card(KARI, NEW, "lost", "", CARD_OK)
    with pytest.raises(ManagerActionRefused, match="already replaced"):
        till.replace_card(KARI, make_card_number(501), "lost", "", CARD_OK)
    assert len(journal(till)) == 1


def test_a_blocked_card_is_refused_at_once_and_can_be_replaced_later(till: Till):
    till.scan(KARI)
    member = till.block_card(KARI, "stolen", "", CARD_OK)
    assert member.card_replaced  # the member has no other card yet
    assert till.member is not None and till.member.card_replaced
    (event,) = journal(till)
    assert (event.kind, event.card, event.get("reason")) == (EventKind.BLOCK, KARI, "stolen")
    with pytest.raises(CardReplaced, match=r"is blocked \(reported lost or stolen\)"):
        till.scan(KARI)
    with pytest.raises(ManagerActionRefused, match="already blocked"):
        till.block_card(KARI, "stolen", "", CARD_OK)
    replaced = till.replace_card(KARI, NEW, "stolen", "", CARD_OK)
    assert replaced.card == NEW and not replaced.card_replaced
    assert till.scan(NEW).balance == 1000
    cards = [(c.card, c.state) for c in till.member_status("M000001").cards]
    assert cards == [(NEW, "active"), (KARI, "revoked")]


def test_a_bad_block_is_refused_and_records_nothing(till: Till):
    with pytest.raises(ManagerActionRefused, match="Say in the note"):
        till.block_card(KARI, "other", "", CARD_OK)
    with pytest.raises(ApprovalRequired):
        till.block_card(KARI, "lost", "", None)
    with pytest.raises(ManagerActionRefused, match="not known"):
        till.block_card(make_card_number(999), "lost", "", CARD_OK)
    assert journal(till) == []
    assert till.scan(KARI).card == KARI
