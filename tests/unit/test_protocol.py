"""The wire models: exactly the event's fields, strict on requests, tolerant answers."""

from __future__ import annotations

import dataclasses
import json
import typing

import pytest
from pydantic import ValidationError

from loyalty.events import Event, EventKind, new_event
from sync.protocol import EventIn, EventKindName, MemberState, PushRequest, PushResponse


def _event(**changes: object) -> Event:
    event = new_event(
        terminal_id="S01-T1",
        seq=1,
        prev_hash="0" * 64,
        kind=EventKind.EARN,
        card="2900000000018",
        points=149,
        amount_minor=14_990,
        currency="NOK",
        rule_version=1,
    )
    return dataclasses.replace(event, **changes)  # type: ignore[arg-type]


def test_an_event_on_the_wire_has_exactly_the_fields_of_the_domain_event() -> None:
    assert set(EventIn.model_fields) == {f.name for f in dataclasses.fields(Event)}
    assert set(typing.get_args(EventKindName)) == {str(kind) for kind in EventKind}


def test_an_event_survives_the_round_trip_through_json_unchanged() -> None:
    event = _event(refers_to=None, note="x")
    wire = EventIn.model_validate_json(json.dumps(event.to_dict()))
    assert wire.to_event() == event
    assert EventIn.from_event(event).model_dump() == event.to_dict()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("points", "5"),
        ("seq", True),
        ("seq", 0),
        ("kind", "gift"),
        ("hash", "ABC"),
        ("amount_minor", -1),
    ],
)
def test_a_request_field_of_the_wrong_type_or_range_is_refused(field: str, value: object) -> None:
    data = {**_event().to_dict(), field: value}
    with pytest.raises(ValidationError):
        EventIn.model_validate_json(json.dumps(data))


def test_a_request_with_an_unknown_field_is_refused() -> None:
    with pytest.raises(ValidationError):
        PushRequest.model_validate({"terminal_id": "S01-T1", "events": [], "extra": 1})


def test_an_answer_with_an_extra_field_from_a_newer_ledger_is_accepted() -> None:
    answer = PushResponse.model_validate(
        {"results": [], "high_water": 0, "last_hash": "0" * 64, "balances": [], "future": True}
    )
    assert answer.stopped_at is None


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
