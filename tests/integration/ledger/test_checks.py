"""The ledger's per-event checks agree with the domain's hash and rules."""

from __future__ import annotations

import dataclasses

import pytest

from ledger.checks import content_hash, malformed_reason, rule_findings
from loyalty.events import EventKind, compute_hash, new_event
from loyalty.programme import ProgrammeRules
from sync.protocol import EventIn


def _wire(**changes: object) -> EventIn:
    event = new_event(
        terminal_id="S01-T1",
        seq=3,
        prev_hash="a" * 64,
        kind=EventKind.REDEEM,
        card="2900000000018",
        points=-200,
        amount_minor=2_000,
        currency="NOK",
        rule_version=1,
        refers_to="e-1",
        note="n",
    )
    return EventIn.from_event(dataclasses.replace(event, **changes))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "changes",
    [{}, {"note": 'Ærlig talt — 50 % «rabatt» \u2603 "q" \\'}, {"refers_to": None, "note": ""}],
)
def test_the_ledger_hashes_exactly_what_the_till_hashed(changes: dict[str, object]) -> None:
    event = dataclasses.replace(_wire().to_event(), **changes)  # type: ignore[arg-type]
    event = dataclasses.replace(event, hash=compute_hash(event.content()))
    assert content_hash(EventIn.from_event(event)) == event.hash


def test_a_well_formed_event_has_no_problem_and_matches_its_rules() -> None:
    assert malformed_reason(_wire()) is None
    assert rule_findings(_wire(), ProgrammeRules()) is None


def test_a_card_with_a_wrong_check_digit_is_malformed() -> None:
    event = _wire(card="2900000000019")
    repaired = event.model_copy(update={"hash": content_hash(event)})
    assert "check digit" in (malformed_reason(repaired) or "")


def test_a_redemption_worth_more_than_the_rules_give_is_a_finding() -> None:
    event = _wire(amount_minor=5_000)
    assert "rules version 1 give 2000" in (rule_findings(event, ProgrammeRules()) or "")
    assert "unknown" in (rule_findings(event, None) or "")
