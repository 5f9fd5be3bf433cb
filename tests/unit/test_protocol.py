"""The wire models: events checked field by field, strict requests, tolerant answers."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from loyalty.events import GENESIS_HASH, EventKind, build_event
from sync.protocol import (
    ChangesResponse,
    MemberState,
    PushRequest,
    PushResponse,
    event_from_wire,
    wire_event,
    wire_problem,
)

EVENT = build_event(
    terminal_id="S01-T1",
    seq=1,
    prev_hash=GENESIS_HASH,
    kind=EventKind.ADJUST,
    card="2900000000018",
    member_id="M1",
    business_time="2026-11-25T10:00:00+01:00",
    store="S01",
    currency="NOK",
    postings={"points": 149},
    reason="correction",
)


def test_an_event_survives_the_round_trip_through_json_unchanged() -> None:
    wire = json.loads(json.dumps(wire_event(EVENT)))
    assert wire_problem(wire) is None
    assert event_from_wire(wire) == EVENT
    request = PushRequest.model_validate_json(
        json.dumps({"terminal_id": "S01-T1", "events": [wire]})
    )
    assert event_from_wire(request.events[0]) == EVENT


@pytest.mark.parametrize(
    ("field", "value"),
    [("seq", "5"), ("seq", True), ("seq", 0), ("kind", "gift"), ("hash", "ABC"), ("extra", 1)],
)
def test_an_event_field_of_the_wrong_type_or_range_is_named(field: str, value: object) -> None:
    problem = wire_problem({**wire_event(EVENT), field: value})
    assert problem is not None and problem[0] == field


def test_a_request_with_an_unknown_field_is_refused() -> None:
    with pytest.raises(ValidationError):
        PushRequest.model_validate({"terminal_id": "S01-T1", "events": [], "extra": 1})


def test_an_answer_with_an_extra_field_from_a_newer_ledger_is_accepted() -> None:
    answer = PushResponse.model_validate(
        {"results": [], "high_water": 0, "last_hash": "0" * 64, "balances": [], "future": True}
    )
    assert answer.stopped_at is None


def test_a_change_of_a_type_this_till_does_not_know_is_left_out_not_a_failed_pull() -> None:
    answer = {
        "changes": [
            {"type": "voucher", "code": "VCH-1"},
            {"type": "revoked_card", "card": "2900000000018", "member_id": "M1",
             "revoked_at": "2026-11-25T10:00:00Z", "change": 4},
            {"code": "no type at all"},
            {"type": ["member"]},
        ],
        "next_cursor": "x.4", "high_water": 0, "last_hash": "0" * 64, "has_more": False,
    }  # fmt: skip
    for page in (
        ChangesResponse.model_validate(answer),
        ChangesResponse.model_validate_json(json.dumps(answer)),  # as the till reads it
    ):
        assert [c.type for c in page.changes] == ["revoked_card"]


def test_a_known_change_that_is_malformed_still_fails_the_page() -> None:
    answer = {
        "changes": [{"type": "revoked_card", "card": "2900000000018"}],
        "next_cursor": "x.4", "high_water": 0, "last_hash": "0" * 64, "has_more": False,
    }  # fmt: skip
    with pytest.raises(ValidationError):
        ChangesResponse.model_validate_json(json.dumps(answer))


def test_an_answer_with_a_wrong_type_is_refused_by_the_till() -> None:
    state = {
        "member_id": "M1",
        "card": "2900000000018",
        "name": "Ada",
        "tier": "basic",
        "balance": "100",
        "status": "active",
        "flagged": False,
        "flag_reasons": [],
        "version": 1,
    }
    with pytest.raises(ValidationError):
        MemberState.model_validate(state)
