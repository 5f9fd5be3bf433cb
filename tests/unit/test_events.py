"""Events are numbered without gaps and hash-chained; any break is named."""

import json
from dataclasses import replace

import pytest

from loyalty.errors import ChainBroken
from loyalty.events import (
    GENESIS_HASH,
    Event,
    EventKind,
    canonical_bytes,
    compute_hash,
    new_event,
    verify_chain,
)

CARD = "2900000012349"


def chain(length: int, terminal: str = "OSLO01-T1") -> list[Event]:
    events: list[Event] = []
    prev = GENESIS_HASH
    for seq in range(1, length + 1):
        event = new_event(
            terminal_id=terminal,
            seq=seq,
            prev_hash=prev,
            kind=EventKind.EARN,
            card=CARD,
            points=seq * 10,
            amount_minor=seq * 1000,
            currency="NOK",
            rule_version=1,
        )
        events.append(event)
        prev = event.hash
    return events


def test_an_intact_chain_verifies():
    assert verify_chain(chain(20)) == 20
    assert verify_chain([]) == 0


def test_each_event_links_to_the_previous_hash():
    events = chain(3)
    assert events[0].prev_hash == GENESIS_HASH
    assert events[1].prev_hash == events[0].hash
    assert events[2].prev_hash == events[1].hash


def test_the_hash_covers_every_field_but_itself_in_canonical_form():
    event = chain(1)[0]
    content = event.content()
    assert "hash" not in content
    assert event.hash == compute_hash(content)
    encoded = canonical_bytes(content).decode()
    assert encoded == json.dumps(content, sort_keys=True, separators=(",", ":"))
    assert " " not in encoded


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
    events[2] = replace(events[2], points=10_000)
    with pytest.raises(ChainBroken, match="altered"):
        verify_chain(events)


def test_an_altered_event_with_a_recomputed_hash_breaks_the_next_link():
    events = chain(4)
    forged = replace(events[1], points=10_000)
    events[1] = replace(forged, hash=compute_hash(forged.content()))
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
        verify_chain([ours[0], replace(theirs[1], seq=2)])


def test_verification_can_resume_from_a_known_tip():
    events = chain(6)
    assert verify_chain(events[3:], start_seq=4, start_hash=events[2].hash) == 3


def test_events_round_trip_through_their_wire_form():
    event = chain(1)[0]
    assert Event.from_dict(json.loads(json.dumps(event.to_dict()))) == event


@pytest.mark.parametrize(
    ("kind", "points"), [(EventKind.EARN, -1), (EventKind.REDEEM, 5), (EventKind.REFUND, 3)]
)
def test_the_sign_of_points_follows_the_kind(kind, points):
    with pytest.raises(ValueError):
        new_event(
            terminal_id="T",
            seq=1,
            prev_hash=GENESIS_HASH,
            kind=kind,
            card=CARD,
            points=points,
            amount_minor=0,
            currency="NOK",
            rule_version=1,
        )
