"""Tier qualification rules: grants at thresholds per window kind, retention,
clawback, the floor, and how members fall when grants run out."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty.programme.model import TierQualification
from loyalty.tier_windows import held_until, is_current, span, window_of
from loyalty.tiers import TierState, count, progress, tier_on

LEVELS = ("basic", "silver", "gold")
RULES = TierQualification("qualifying_spend", "calendar_year", (("silver", 1000), ("gold", 5000)))
ROLLING = replace(RULES, window="rolling_12_months", retention="rest_of_window")
MEMBERSHIP = replace(RULES, window="membership_year")
JOINED = date(2024, 4, 15)


def counted(rules: TierQualification, state: TierState, day: date, amount: int, joined=None):
    return count(rules, state, window_of(rules, day, joined), amount, joined)


# --------------------------------------------------------------------------- calendar year


def test_a_threshold_reached_grants_the_level_for_the_rest_of_this_year_and_the_next():
    state = TierState()
    assert count(RULES, state, "2026", 999) == []
    assert count(RULES, state, "2026", 1) == [("silver", "2026", True)]
    assert state.grants == {("silver", "2026"): date(2027, 12, 31)}
    assert tier_on(LEVELS, state, date(2027, 12, 31)) == "silver"
    assert tier_on(LEVELS, state, date(2028, 1, 1)) == "basic"
    assert held_until("2026", "rest_of_window") == date(2026, 12, 31)


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
    assert span("2026") == (date(2026, 1, 1), date(2026, 12, 31))


# --------------------------------------------------------------------------- rolling 12 months


def test_a_rolling_window_counts_the_12_months_ending_with_the_days_month():
    state = TierState()
    assert window_of(ROLLING, date(2026, 3, 14)) == "2026-03"
    assert span("2026-03") == (date(2025, 4, 1), date(2026, 3, 31))
    counted(ROLLING, state, date(2025, 3, 31), 600)  # drops out before March 2026
    counted(ROLLING, state, date(2025, 4, 1), 300)
    assert counted(ROLLING, state, date(2026, 3, 14), 700) == [("silver", "2026-03", True)]
    assert state.counts == {"2025-03": 600, "2025-04": 300, "2026-03": 700}
    assert state.grants == {("silver", "2026-03"): date(2027, 3, 31)}  # 12 months after March


def test_a_level_reached_in_a_rolling_window_is_held_12_months_after_its_month_or_24():
    state = TierState()
    counted(ROLLING, state, date(2026, 1, 20), 1000)
    assert tier_on(LEVELS, state, date(2027, 1, 31)) == "silver"
    assert tier_on(LEVELS, state, date(2027, 2, 1)) == "basic"
    assert held_until("2026-01", "rest_and_next") == date(2028, 1, 31)
    assert held_until("2026-11", "rest_of_window") == date(2027, 11, 30)


def test_each_month_that_still_meets_a_threshold_holds_the_level_12_months_more():
    state = TierState()
    counted(ROLLING, state, date(2026, 1, 20), 1000)
    counted(ROLLING, state, date(2026, 6, 2), 10)  # the window of June still holds 1010
    assert state.grants[("silver", "2026-06")] == date(2027, 6, 30)
    assert tier_on(LEVELS, state, date(2027, 3, 1)) == "silver"


def test_a_late_receipt_counts_in_its_month_and_in_the_later_rolling_windows_it_belongs_to():
    state = TierState()
    counted(ROLLING, state, date(2026, 3, 10), 600)
    counted(ROLLING, state, date(2026, 4, 10), 300)
    changes = counted(ROLLING, state, date(2026, 3, 28), 200)  # a March receipt, pushed late
    assert changes == [("silver", "2026-04", True)]  # April's window holds 1100, March's 800
    assert state.grants == {("silver", "2026-04"): date(2027, 4, 30)}


def test_with_clawback_a_refund_takes_back_the_rolling_windows_it_brings_below_a_threshold():
    rules = replace(ROLLING, clawback=True)
    state = TierState()
    counted(rules, state, date(2026, 3, 10), 1000)
    counted(rules, state, date(2026, 5, 10), 100)
    assert set(state.grants) == {("silver", "2026-03"), ("silver", "2026-05")}
    assert counted(rules, state, date(2026, 3, 10), -500) == [
        ("silver", "2026-03", False),
        ("silver", "2026-05", False),
    ]


def test_the_till_knows_a_rolling_count_only_for_the_month_it_was_taken():
    assert is_current("2026-03", date(2026, 3, 31))
    assert not is_current("2026-03", date(2026, 4, 1))
    assert is_current("2026", date(2026, 4, 1))
    assert not is_current("2026", date(2027, 1, 1))


# --------------------------------------------------------------------------- membership year


def test_a_membership_year_runs_from_an_anniversary_of_the_join_date():
    assert window_of(MEMBERSHIP, date(2026, 4, 15), JOINED) == "2026-04-15/2027-04-14"
    assert window_of(MEMBERSHIP, date(2026, 4, 14), JOINED) == "2025-04-15/2026-04-14"
    assert window_of(MEMBERSHIP, date(2026, 4, 14)) == "2026"  # no join date: the year
    leap = date(2024, 2, 29)
    assert window_of(MEMBERSHIP, date(2026, 2, 28), leap) == "2026-02-28/2027-02-27"
    assert window_of(MEMBERSHIP, date(2028, 2, 28), leap) == "2027-02-28/2028-02-28"
    assert window_of(MEMBERSHIP, date(2028, 2, 29), leap) == "2028-02-29/2029-02-27"
    assert is_current("2026-04-15/2027-04-14", date(2027, 4, 14))
    assert not is_current("2026-04-15/2027-04-14", date(2027, 4, 15))


def test_a_level_reached_in_a_membership_year_is_held_to_its_end_or_the_next_ones():
    state = TierState()
    counted(MEMBERSHIP, state, date(2026, 5, 1), 1000, JOINED)
    assert state.grants == {("silver", "2026-04-15/2027-04-14"): date(2028, 4, 14)}
    assert tier_on(LEVELS, state, date(2028, 4, 14)) == "silver"
    assert tier_on(LEVELS, state, date(2028, 4, 15)) == "basic"
    assert held_until("2026-04-15/2027-04-14", "rest_of_window", JOINED) == date(2027, 4, 14)


# --------------------------------------------------------------------------- downgrade


def test_falling_one_level_at_a_time_holds_each_lower_level_for_one_more_window():
    one_level = replace(MEMBERSHIP, downgrade="one_level")
    state = TierState()
    counted(one_level, state, date(2026, 5, 1), 6000, JOINED)  # silver and gold to 2028-04-14
    levels = ("basic", "silver", "gold")

    def tier(day: date) -> str:
        return tier_on(levels, state, day, "", one_level, JOINED)

    assert tier(date(2028, 4, 14)) == "gold"
    assert tier(date(2028, 4, 15)) == "silver"  # a soft landing, for that membership year
    assert tier(date(2029, 4, 14)) == "silver"
    assert tier(date(2029, 4, 15)) == "basic"
    assert tier_on(levels, state, date(2028, 4, 15), "", MEMBERSHIP, JOINED) == "basic"


def test_falling_one_level_stops_at_a_level_still_held_and_never_goes_below_the_floor():
    one_level = replace(RULES, downgrade="one_level")
    levels = ("basic", "silver", "gold", "platinum")
    rules = replace(one_level, thresholds=(("silver", 10), ("gold", 25), ("platinum", 50)))
    state = TierState()
    count(rules, state, "2026", 60)  # silver, gold, platinum to 31 Dec 2027
    count(rules, state, "2027", 30)  # silver and gold to 31 Dec 2028
    assert tier_on(levels, state, date(2028, 1, 1), "", rules) == "gold"  # still held
    assert tier_on(levels, state, date(2029, 1, 1), "", rules) == "silver"  # fell from gold
    assert tier_on(levels, state, date(2030, 1, 1), "", rules) == "basic"
    assert tier_on(levels, state, date(2030, 1, 1), "silver", rules) == "silver"


def test_falling_one_level_from_the_top_goes_down_one_window_at_a_time():
    rules = replace(
        RULES,
        downgrade="one_level",
        retention="rest_of_window",
        thresholds=(("silver", 10), ("gold", 25), ("platinum", 50)),
    )
    levels = ("basic", "silver", "gold", "platinum")
    state = TierState()
    count(rules, state, "2026", 60)
    on = {year: tier_on(levels, state, date(year, 6, 1), "", rules) for year in range(2026, 2031)}
    assert on == {2026: "platinum", 2027: "gold", 2028: "silver", 2029: "basic", 2030: "basic"}


def walked_day_by_day(
    levels: tuple[str, ...], state: TierState, day: date, rules: TierQualification
) -> str:
    """The one_level rule as a walk over every day from the first grant's end."""
    rank = {level: i for i, level in enumerate(levels)}
    grants = [(rank[level], until) for (level, _), until in state.grants.items()]
    current = max((r for r, _ in grants), default=-1)
    fallen: tuple[int, date] | None = None
    on = min((until for _, until in grants), default=day) + timedelta(days=1)
    while on <= day:
        still = max(
            max((r for r, until in grants if until >= on), default=-1),
            fallen[0] if fallen and fallen[1] >= on else -1,
        )
        if still < current:
            if current - 1 > still:
                current -= 1
                fallen = (current, held_until(window_of(rules, on), "rest_of_window"))
            else:
                current = still
        on += timedelta(days=1)
    return levels[max(current, 0)]


@settings(max_examples=60, deadline=None)
@given(
    years=st.lists(st.tuples(st.integers(2026, 2029), st.integers(0, 60)), min_size=1, max_size=5),
    retention=st.sampled_from(["rest_of_window", "rest_and_next"]),
    window=st.sampled_from(["calendar_year", "rolling_12_months"]),
    offset=st.integers(0, 8 * 365),
)
def test_falling_one_level_at_a_time_is_the_walk_over_every_day(
    years: list[tuple[int, int]], retention: str, window: str, offset: int
):
    rules = TierQualification(
        "units",
        window,  # type: ignore[arg-type]
        (("silver", 10), ("gold", 25), ("platinum", 50)),
        retention,  # type: ignore[arg-type]
        tag="night",
        downgrade="one_level",
    )
    levels = ("member", "silver", "gold", "platinum")
    state = TierState()
    for year, nights in years:
        count(rules, state, window_of(rules, date(year, 6, 1)), nights)
    day = date(2026, 1, 1) + timedelta(days=offset)
    assert tier_on(levels, state, day, "", rules) == walked_day_by_day(levels, state, day, rules)
