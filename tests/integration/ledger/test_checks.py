"""The ledger's per-event checks: malformed events, and release 0.1.0's rule checks."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.checks import malformed_reason, rule_findings
from loyalty.events import compute_hash
from loyalty.legacy_rules import ProgrammeRules
from tests.integration.ledger.support import EventChain, fresh_card


def _legacy_redeem(**changes: Any) -> dict[str, Any]:
    content = dict(EventChain("S01-T1", legacy=True).redeem("2900000000018", 200).content)
    content.update(changes)
    return content


def _sale(**changes: Any) -> dict[str, Any]:
    content = dict(EventChain("S01-T1").earn(fresh_card(), 10_000).content)
    content.update(changes)
    return content


@pytest.mark.parametrize("note", ["n", 'Ærlig talt — 50 % «rabatt» \u2603 "q" \\', ""])
def test_the_ledger_hashes_exactly_what_the_till_hashed(note: str) -> None:
    event = EventChain("S01-T1").adjust(fresh_card(), 10, note=note or "x")
    assert compute_hash(dict(event.content)) == event.hash


def test_a_well_formed_event_has_no_problem_and_a_legacy_one_matches_its_rules() -> None:
    assert malformed_reason(_sale()) is None
    assert malformed_reason(_legacy_redeem()) is None
    assert rule_findings(_legacy_redeem(), ProgrammeRules()) is None


def test_a_card_with_a_wrong_check_digit_is_malformed() -> None:
    assert "check digit" in (malformed_reason(_sale(card="2900000000019")) or "")


def test_a_business_time_without_its_offset_is_malformed() -> None:
    assert "offset" in (malformed_reason(_sale(business_time="2026-11-25T12:00:00")) or "")


def test_a_basket_the_engine_cannot_read_is_malformed() -> None:
    content = _sale()
    broken = {**content["basket"], "lines": [{"line": 1, "sku": "x", "qty": 1}]}
    assert "basket.lines[0].name is missing" in (malformed_reason(_sale(basket=broken)) or "")


def test_a_legacy_event_with_points_of_the_wrong_sign_is_malformed() -> None:
    assert "cannot have 200 points" in (malformed_reason(_legacy_redeem(points=200)) or "")


def test_a_legacy_redemption_worth_more_than_its_rules_give_is_a_finding() -> None:
    event = _legacy_redeem(amount_minor=5_000)
    assert "rules version 1 give 2000" in (rule_findings(event, ProgrammeRules()) or "")
    assert "unknown" in (rule_findings(event, None) or "")
