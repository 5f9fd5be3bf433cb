"""What a sync stores for the member desk, through the till's real sync side: the
member's phone and flag reasons, card ranges (keeping the next number), and this
till's unsynced card events kept over an older state of the member."""

from __future__ import annotations

import pytest

from loyalty.cards import card_of_body, make_card_number
from pos_client.approvals import Approval
from pos_client.errors import CardReplaced
from pos_client.store.sync_side import StoreSyncSide
from pos_client.till import Till
from sync.protocol import CardRange, MemberState

KARI, NEW = make_card_number(1), make_card_number(500)
FIRST = 270_000_000_000


def state(card: str, version: int, **changes: object) -> MemberState:
    fields: dict[str, object] = {
        "member_id": "M000001",
        "card": card,
        "name": "Kari Nordmann",
        "tier": "",
        "balance": 1000,
        "accounts": {"points": 1000},
        "status": "active",
        "flagged": False,
        "flag_reasons": [],
        "version": version,
    }
    return MemberState.model_validate({**fields, **changes})


def test_the_ledgers_phone_and_flag_reasons_are_cached_for_the_desk(till: Till):
    side = StoreSyncSide(till.store)
    side.settle(0, [state(KARI, 5, phone="+4798765432", flagged=True, flag_reasons=["overdraft"])])
    assert [h.member_id for h in till.search_members("98765432")] == ["M000001"]
    status = till.member_status("M000001")
    assert (status.phone, status.flagged, status.flag_reasons) == (
        "+4798765432",
        True,
        ("overdraft",),
    )


def test_card_ranges_are_stored_keeping_the_next_number(till: Till):
    side = StoreSyncSide(till.store)
    side.store_card_ranges([CardRange(first=FIRST, last=FIRST + 4)])
    assert side.card_numbers_left() == till.card_numbers_left() == 5
    form = {"phone": "+4790000001", "email": "", "birth_date": "", "marketing": False}
    assert till.enrol(name="A", privacy_accepted=True, **form).card == card_of_body(FIRST)
    side.store_card_ranges(
        [CardRange(first=FIRST, last=FIRST + 4), CardRange(first=FIRST + 10, last=FIRST + 10)]
    )
    assert side.card_numbers_left() == 5
    assert till.enrol(name="B", privacy_accepted=True, **form).card == card_of_body(FIRST + 1)


def test_an_unsynced_replacement_outlives_an_older_state_from_the_ledger(till: Till):
    till.replace_card(KARI, NEW, "lost", "", Approval("M1", "replace_card", 0))
    side = StoreSyncSide(till.store)
    side.settle(0, [state(KARI, 7)])  # the ledger has not applied the replacement yet
    with pytest.raises(CardReplaced):
        till.scan(KARI)
    assert till.scan(NEW).member_id == "M000001"
    assert side.cache_member(state(KARI, 8), 0)
    assert till.scan(NEW).member_id == "M000001"
