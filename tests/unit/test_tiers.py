"""Tier qualification rules: grants at thresholds, retention, clawback, the floor."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from loyalty.programme.model import TierQualification
from loyalty.tiers import TierState, count, held_until, progress, tier_on, window_of

LEVELS = ("basic", "silver", "gold")
RULES = TierQualification("qualifying_spend", "calendar_year", (("silver", 1000), ("gold", 5000)))


def test_a_threshold_reached_grants_the_level_for_the_rest_of_this_year_and_the_next():
    state = TierState()
    assert count(RULES, state, "2026", 999) == []
    assert count(RULES, state, "2026", 1) == [("silver", "2026", True)]
    assert state.grants == {("silver", "2026"): date(2027, 12, 31)}
    assert tier_on(LEVELS, state, date(2027, 12, 31)) == "silver"
    assert tier_on(LEVELS, state, date(2028, 1, 1)) == "basic"
    this_year = replace(RULES, retention="rest_of_window")
    assert held_until(this_year, "2026") == date(2026, 12, 31)


def test_a_refund_below_the_threshold_keeps_the_grant_unless_the_programme_claws_back():
    kept, taken = TierState(), TierState()
    clawback = replace(RULES, clawback=True)
    for rules, state in ((RULES, kept), (clawback, taken)):
        count(rules, state, "2026", 1200)
    assert count(RULES, kept, "2026", -500) == []
    assert count(clawback, taken, "2026", -500) == [("silver", "2026", False)]
    assert (tier_on(LEVELS, kept, date(2026, 6, 1)), tier_on(LEVELS, taken, date(2026, 6, 1))) == (
        "silver",
        "basic",
    )


def test_the_tier_never_falls_below_the_one_the_import_gave_and_progress_names_the_next():
    state = TierState()
    count(RULES, state, "2026", 6000)
    assert tier_on(LEVELS, state, date(2026, 3, 1), floor="silver") == "gold"
    assert tier_on(LEVELS, state, date(2030, 1, 1), floor="silver") == "silver"
    assert progress(RULES, LEVELS, "basic", 600) == ("silver", 400)
    assert progress(RULES, LEVELS, "silver", 1200) == ("gold", 3800)
    assert progress(RULES, LEVELS, "gold", 9000) is None
    assert window_of(RULES, date(2026, 12, 31)) == "2026"
