"""POST /v1/events: exactly once, stops on gaps, forks, conflicts and malformed events,
and records (never refuses) what happened at the till."""

from __future__ import annotations

from typing import Any

import httpx

from loyalty.events import Event, compute_hash
from pos_client.recording import programme_ref
from sync.protocol import PushResponse
from tests.integration.ledger.support import (
    EventChain,
    LedgerHandle,
    fresh_card,
    fresh_terminal_name,
)


def _terminal(ledger: LedgerHandle) -> tuple[str, httpx.Client, EventChain]:
    name = fresh_terminal_name()
    client = ledger.client(ledger.add_terminal(name))
    return name, client, EventChain(name)


def _push(client: httpx.Client, terminal: str, events: list[Any]) -> PushResponse:
    answer = client.post("/v1/events", json=LedgerHandle.batch(terminal, events))
    assert answer.status_code == 200, answer.text
    return PushResponse.model_validate_json(answer.content)


def _balance(answer: PushResponse, card: str) -> int:
    return next(m.balance for m in answer.balances if m.card == card)


def _looked_up_balance(client: httpx.Client, card: str) -> int:
    answer = client.get(f"/v1/members/{card}")
    assert answer.status_code == 200, answer.text
    return int(answer.json()["member"]["balance"])


def test_a_batch_is_applied_and_answered_with_high_water_and_balances(ledger: LedgerHandle) -> None:
    name, client, chain = _terminal(ledger)
    card = fresh_card()
    answer = _push(client, name, [chain.earn(card, 10_000), chain.earn(card, 5_050)])
    assert [r.status for r in answer.results] == ["accepted", "accepted"]
    assert answer.high_water == 2
    assert answer.last_hash == chain.last_hash
    assert _balance(answer, card) == 150
    assert answer.stopped_at is None


def test_a_duplicate_is_answered_as_success_and_applied_once(ledger: LedgerHandle) -> None:
    name, client, chain = _terminal(ledger)
    card = fresh_card()
    events = [chain.earn(card, 10_000), chain.earn(card, 20_000)]
    first = _push(client, name, events)
    again = _push(client, name, events)
    assert [r.status for r in again.results] == ["duplicate", "duplicate"]
    assert again.high_water == first.high_water == 2
    assert _balance(again, card) == _balance(first, card) == 300


def test_a_retry_that_overlaps_the_applied_prefix_applies_only_the_new_events(
    ledger: LedgerHandle,
) -> None:
    name, client, chain = _terminal(ledger)
    card = fresh_card()
    events = [chain.earn(card, 10_000) for _ in range(4)]
    _push(client, name, events[:2])
    answer = _push(client, name, events)
    assert [r.status for r in answer.results] == ["duplicate", "duplicate", "accepted", "accepted"]
    assert _balance(answer, card) == 400


def test_the_same_id_with_other_content_is_a_conflict_and_not_applied(ledger: LedgerHandle) -> None:
    name, client, chain = _terminal(ledger)
    card = fresh_card()
    original = chain.earn(card, 10_000)
    _push(client, name, [original])
    content = {**original.content, "postings": {"points": 999}}
    altered = Event(content, compute_hash(content))
    answer = _push(client, name, [altered])
    assert answer.results[0].status == "conflict"
    assert answer.stopped_at is not None and answer.stopped_at.code == "conflict"
    assert answer.high_water == 1
    assert _looked_up_balance(client, card) == 100


def test_a_gap_stops_the_stream_and_nothing_after_it_is_applied(ledger: LedgerHandle) -> None:
    name, client, chain = _terminal(ledger)
    card = fresh_card()
    first, missing, third, fourth = (chain.earn(card, 10_000) for _ in range(4))
    answer = _push(client, name, [first, third, fourth])
    assert [r.status for r in answer.results] == ["accepted", "rejected", "rejected"]
    assert answer.stopped_at is not None
    assert (answer.stopped_at.code, answer.stopped_at.seq) == ("gap", 3)
    assert "expected event 2" in answer.stopped_at.reason.lower()
    assert answer.high_water == 1
    assert _balance(answer, card) == 100

    healed = _push(client, name, [missing, third, fourth])
    assert [r.status for r in healed.results] == ["accepted"] * 3
    assert healed.high_water == 4
    assert _balance(healed, card) == 400


def test_a_broken_hash_link_is_a_fork_and_stops_the_stream(ledger: LedgerHandle) -> None:
    name, client, chain = _terminal(ledger)
    card = fresh_card()
    _push(client, name, [chain.earn(card, 10_000)])
    other_history = EventChain(name)
    other_history.earn(card, 77_700)
    forked = other_history.earn(card, 10_000)  # seq 2, but chained to another event 1
    answer = _push(client, name, [forked])
    assert answer.stopped_at is not None and answer.stopped_at.code == "fork"
    assert answer.results[0].status == "rejected"
    assert answer.high_water == 1


def test_another_event_at_an_applied_position_is_a_fork(ledger: LedgerHandle) -> None:
    name, client, chain = _terminal(ledger)
    card = fresh_card()
    _push(client, name, [chain.earn(card, 10_000)])
    impostor = EventChain(name).earn(card, 50_000)  # a second, different event 1
    answer = _push(client, name, [impostor])
    assert answer.stopped_at is not None
    assert (answer.stopped_at.code, answer.stopped_at.seq) == ("fork", 1)
    assert answer.high_water == 1
    assert answer.balances == []  # nothing was applied


def test_an_event_whose_hash_does_not_match_its_content_is_malformed(ledger: LedgerHandle) -> None:
    name, client, chain = _terminal(ledger)
    card = fresh_card()
    honest = chain.earn(card, 10_000)
    tampered = Event({**honest.content, "postings": {"points": 100_000}}, honest.hash)
    answer = _push(client, name, [tampered])
    assert answer.stopped_at is not None and answer.stopped_at.code == "malformed"
    assert "hash" in answer.stopped_at.reason
    assert answer.high_water == 0


def test_events_of_another_terminal_are_refused_403(ledger: LedgerHandle) -> None:
    name, client, _ = _terminal(ledger)
    victim = fresh_terminal_name()
    ledger.add_terminal(victim)
    card = fresh_card()
    forged = EventChain(victim).earn(card, 10_000)
    as_victim = client.post("/v1/events", json=LedgerHandle.batch(victim, [forged]))
    hidden = client.post("/v1/events", json=LedgerHandle.batch(name, [forged]))
    for answer in (as_victim, hidden):
        assert answer.status_code == 403
        assert answer.json()["error"] == "forbidden"
        assert name in answer.json()["reason"]


def test_an_overdraft_is_recorded_with_a_negative_balance_and_flagged(ledger: LedgerHandle) -> None:
    card = fresh_card()
    store_a, client_a, chain_a = _terminal(ledger)
    store_b, client_b, chain_b = _terminal(ledger)
    _push(client_a, store_a, [chain_a.earn(card, 15_000)])  # 150 points
    _push(client_a, store_a, [chain_a.redeem(card, 100)])
    answer = _push(client_b, store_b, [chain_b.redeem(card, 100)])  # spent offline twice
    assert answer.results[0].status == "accepted"
    member = answer.balances[0]
    assert member.balance == -50
    assert member.flagged and "overdraft" in member.flag_reasons


def test_an_unknown_card_is_recorded_and_its_member_created_flagged(ledger: LedgerHandle) -> None:
    name, client, chain = _terminal(ledger)
    card = fresh_card()
    answer = _push(client, name, [chain.earn(card, 12_000)])
    member = answer.balances[0]
    assert (member.card, member.balance, member.flagged) == (card, 120, True)
    assert member.flag_reasons == ["unknown_card"]


def test_an_unknown_card_of_a_known_member_counts_for_that_member_and_is_flagged(
    ledger: LedgerHandle,
) -> None:
    """A till may know a card the ledger has not heard of yet (a card handed out at
    the till): the event names the member, and the ledger keys the balance by them."""
    name, client, chain = _terminal(ledger)
    known, handed_out = fresh_card(), fresh_card()
    first = _push(client, name, [chain.earn(known, 10_000)])
    member_id = first.balances[0].member_id
    answer = _push(client, name, [chain.earn(handed_out, 5_000, member_id=member_id)])
    (member,) = answer.balances
    assert (member.member_id, member.card, member.balance) == (member_id, known, 150)
    assert "unknown_card" in member.flag_reasons


def test_a_blocked_card_is_recorded_and_flagged(ledger: LedgerHandle) -> None:
    name, client, chain = _terminal(ledger)
    card = fresh_card()
    _push(client, name, [chain.earn(card, 10_000)])
    assert ledger.admin("member", "block", card).returncode == 0
    answer = _push(client, name, [chain.earn(card, 10_000)])
    member = answer.balances[0]
    assert (member.status, member.balance) == ("blocked", 200)
    assert "blocked_card" in member.flag_reasons


def test_points_that_differ_from_what_the_version_gives_are_recorded_and_flagged(
    ledger: LedgerHandle,
) -> None:
    name, client, chain = _terminal(ledger)
    card = fresh_card()
    answer = _push(client, name, [chain.earn(card, 10_000, points=1_000)])  # it gives 100
    assert answer.results[0].status == "accepted"
    assert _balance(answer, card) == 1_000
    assert "computation_mismatch" in answer.balances[0].flag_reasons


def test_a_legacy_event_whose_points_differ_from_its_rules_is_flagged(
    ledger: LedgerHandle,
) -> None:
    name = fresh_terminal_name()
    client = ledger.client(ledger.add_terminal(name))
    chain = EventChain(name, legacy=True)
    card = fresh_card()
    answer = _push(client, name, [chain.earn(card, 10_000, points=1_000)])  # rules give 100
    assert answer.results[0].status == "accepted"
    assert _balance(answer, card) == 1_000
    assert "rule_mismatch" in answer.balances[0].flag_reasons


def test_an_empty_batch_reports_the_terminals_position(ledger: LedgerHandle) -> None:
    name, client, chain = _terminal(ledger)
    _push(client, name, [chain.earn(fresh_card(), 10_000)])
    answer = _push(client, name, [])
    assert (answer.high_water, answer.last_hash, answer.results) == (1, chain.last_hash, [])


def test_an_event_on_a_revoked_card_counts_for_its_member_and_is_flagged(
    ledger: LedgerHandle,
) -> None:
    name, client, chain = _terminal(ledger)
    old, new = fresh_card(), fresh_card()
    _push(client, name, [chain.earn(old, 10_000)])
    assert ledger.admin("card", "replace", old, new).returncode == 0
    answer = _push(client, name, [chain.earn(old, 10_000)])
    member = answer.balances[0]
    assert (member.card, member.balance) == (new, 200)
    assert "revoked_card" in member.flag_reasons


def test_a_correction_naming_a_programme_version_is_applied_as_the_manager_decided(
    ledger: LedgerHandle,
) -> None:
    """An adjust may carry the version in force (the schema allows it); its postings are
    a decision, not a computation, so the ledger applies them with no finding."""
    name, client, chain = _terminal(ledger)
    card = fresh_card()
    adjust = chain.adjust(card, 75, note="lost receipt", programme=programme_ref(chain.version))
    answer = _push(client, name, [adjust])
    assert answer.results[0].status == "accepted"
    assert _balance(answer, card) == 75
    assert "computation_mismatch" not in answer.balances[0].flag_reasons
