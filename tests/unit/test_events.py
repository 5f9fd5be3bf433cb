"""Events are numbered without gaps and hash-chained; any break is named. Schema 2
leaves absent fields out of the hash; release 0.1.0's events still verify."""

import json

import pytest

from loyalty.canonical import canonical_bytes
from loyalty.errors import ChainBroken
from loyalty.event_fields import FIELDS, event_problem
from loyalty.events import (
    GENESIS_HASH,
    Event,
    EventKind,
    MalformedEvent,
    build_event,
    compute_hash,
    verify_chain,
)

CARD = "2900000012349"


def adjustment(seq: int, prev: str, terminal: str = "OSLO01-T1", **extra: object) -> Event:
    return build_event(
        terminal_id=terminal,
        seq=seq,
        prev_hash=prev,
        kind=EventKind.ADJUST,
        card=CARD,
        member_id="M1",
        business_time="2026-11-25T10:00:00+01:00",
        store="OSLO01",
        currency="NOK",
        postings={"points": seq * 10},
        reason="correction",
        **extra,
    )


def chain(length: int, terminal: str = "OSLO01-T1") -> list[Event]:
    events: list[Event] = []
    prev = GENESIS_HASH
    for seq in range(1, length + 1):
        event = adjustment(seq, prev, terminal)
        events.append(event)
        prev = event.hash
    return events


def altered(event: Event, **changes: object) -> Event:
    return Event({**event.content, **changes}, event.hash)


def test_an_intact_chain_verifies():
    assert verify_chain(chain(20)) == 20
    assert verify_chain([]) == 0


def test_each_event_links_to_the_previous_hash():
    events = chain(3)
    assert events[0].prev_hash == GENESIS_HASH
    assert events[1].prev_hash == events[0].hash
    assert events[2].prev_hash == events[1].hash


def test_the_hash_covers_the_content_in_canonical_form():
    event = chain(1)[0]
    assert "hash" not in event.content
    assert event.content["schema"] == 2
    assert event.hash == compute_hash(event.content)
    encoded = canonical_bytes(event.content).decode()
    assert encoded == json.dumps(event.content, sort_keys=True, separators=(",", ":"))
    assert encoded == event.document()


def test_absent_optional_fields_are_left_out_so_a_later_field_never_changes_a_stored_hash():
    without = adjustment(1, GENESIS_HASH, event_id="e-1", recorded_at="2026-11-25T09:00:00.000Z")
    with_none = adjustment(
        1, GENESIS_HASH, event_id="e-1", recorded_at="2026-11-25T09:00:00.000Z", operator=None
    )
    assert "operator" not in without.content and "note" not in without.content
    assert with_none.hash == without.hash
    named = adjustment(
        1, GENESIS_HASH, event_id="e-1", recorded_at="2026-11-25T09:00:00.000Z", operator="kari"
    )
    assert named.hash != without.hash


def test_a_gap_is_reported():
    events = chain(5)
    with pytest.raises(ChainBroken, match="expected event 3, found 4"):
        verify_chain(events[:2] + events[3:])


def test_a_reordering_is_reported():
    events = chain(4)
    with pytest.raises(ChainBroken, match="gap"):
        verify_chain([events[0], events[2], events[1], events[3]])


def test_an_altered_event_is_reported():
    events = chain(4)
    events[2] = altered(events[2], postings={"points": 10_000})
    with pytest.raises(ChainBroken, match="altered"):
        verify_chain(events)


def test_an_altered_event_with_a_recomputed_hash_breaks_the_next_link():
    events = chain(4)
    forged = altered(events[1], postings={"points": 10_000})
    events[1] = Event(forged.content, compute_hash(forged.content))
    with pytest.raises(ChainBroken, match="event 3 does not follow event 2"):
        verify_chain(events)


def test_a_fork_is_reported():
    events = chain(3)
    other = chain(3)  # same terminal, same numbers, different content
    with pytest.raises(ChainBroken, match="hash chain is broken"):
        verify_chain([events[0], other[1]])


def test_an_event_of_another_terminal_is_reported():
    ours, theirs = chain(2), chain(2, terminal="BERGEN-T2")
    with pytest.raises(ChainBroken, match="belongs to terminal BERGEN-T2"):
        verify_chain([ours[0], altered(theirs[1], seq=2)])


def test_verification_can_resume_from_a_known_tip():
    events = chain(6)
    assert verify_chain(events[3:], start_seq=4, start_hash=events[2].hash) == 3


def test_events_round_trip_through_their_wire_form():
    event = chain(1)[0]
    assert Event.from_dict(json.loads(json.dumps(event.to_dict()))) == event


def test_a_release_0_1_0_event_keeps_its_hash_and_posts_its_points():
    content = {
        "event_id": "0b7c",
        "terminal_id": "S01-T1",
        "seq": 1,
        "kind": "earn",
        "card": CARD,
        "points": 149,
        "amount_minor": 14990,
        "currency": "NOK",
        "rule_version": 1,
        "recorded_at": "2026-11-23T10:31:07.120Z",
        "prev_hash": GENESIS_HASH,
        "refers_to": None,
        "note": "",
    }
    event = Event(content, compute_hash(content))
    assert event.schema == 1
    assert event.postings == {"points": 149}
    assert event_problem(content) is None
    assert verify_chain([event]) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"seq": "5"}, "seq"),
        ({"seq": True}, "seq"),
        ({"postings": {"points": 1.5}}, "postings"),
        ({"postings": {"points": 0}}, "postings"),
        ({"kind": "gift"}, "kind"),
        ({"extra": 1}, "extra"),
        ({"basket": {}}, "basket"),
        ({"schema": 3}, "schema"),
        ({"store": "x" * 41}, "store"),
        ({"note": "nul\x00"}, "note"),
    ],
)
def test_a_field_that_breaks_the_schema_is_named(change, field):
    content = {**chain(1)[0].content, **change}
    problem = event_problem(content)
    assert problem is not None and problem[0] == field


def test_a_required_field_that_is_missing_is_named():
    content = dict(chain(1)[0].content)
    del content["reason"]
    assert event_problem(content) == ("reason", "is required in an adjust event")


def test_building_an_event_that_breaks_the_schema_is_refused():
    with pytest.raises(MalformedEvent, match="reason"):
        build_event(
            terminal_id="T",
            seq=1,
            prev_hash=GENESIS_HASH,
            kind=EventKind.ADJUST,
            card=CARD,
            member_id="M1",
            business_time="2026-11-25T10:00:00+01:00",
            store="S",
            currency="NOK",
            postings={},
        )


def test_every_field_is_documented_once():
    names = [field.name for field in FIELDS]
    assert len(names) == len(set(names))
    assert all(field.doc for field in FIELDS)
