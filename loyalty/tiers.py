"""Tier qualification: counts per window, levels granted, and the tier they give.

The ledger counts each member's metric (:mod:`loyalty.tier_metrics`) per window
(:mod:`loyalty.tier_windows`). When a window's count reaches a level's threshold,
the level is *granted* for that window and held as the retention says
(:func:`loyalty.tier_windows.held_until`). A refund lowers the count of its sale's
window; with ``clawback`` a grant whose threshold its window no longer meets is taken
back, without it a grant stays. A new tier applies from the member's next receipt: a
basket is evaluated with the tier at its start.

The member's tier on a day is never below the tier the member was given (the member
import's), nor below the lowest level; above that:

* ``downgrade = "to_held"``: the highest level granted and still held that day;
* ``downgrade = "one_level"``: the same while grants last, but when the level the
  member is at stops being held and nothing as high is, they fall one level only,
  and that level is held as if reached on the day they fell (``rest_of_window``);
  when it runs out they fall one more, and so on.

Both are functions of the grants and the day alone, so the ledger's push, its
``settle`` run and ``pos-ledger verify`` agree without storing the fall.

Pure: the ledger stores the counts and grants and applies these rules in its apply
order, the same way when it replays its events.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from loyalty.programme.model import TierQualification
from loyalty.tier_windows import count_in, held_until, window_of, windows_touched

DEFAULT_TIER = "basic"
"""The tier of a member nobody gave one (a members import without a tier, a card
first met in an event)."""


@dataclass
class TierState:
    """One member's counts and grants."""

    counts: dict[str, int] = field(default_factory=dict)
    """The metric counted per window label (per month for a rolling window)."""
    grants: dict[tuple[str, str], date] = field(default_factory=dict)
    """(level, window) → the last day it is held."""


def count(
    qualification: TierQualification,
    state: TierState,
    window: str,
    amount: int,
    joined: date | None = None,
) -> list[tuple[str, str, bool]]:
    """Add ``amount`` (negative for a refund) to ``window``'s count and grant or take
    back levels in every window whose count that changes (a month changes the
    rolling windows of the 11 months after it too); returns ``(level, window,
    granted)`` for each grant made (True) or taken back (False)."""
    state.counts[window] = state.counts.get(window, 0) + amount
    changes = []
    for touched in windows_touched(state.counts, window):
        reached = count_in(state.counts, touched)
        for level, threshold in qualification.thresholds:
            key = (level, touched)
            if reached >= threshold and key not in state.grants:
                state.grants[key] = held_until(touched, qualification.retention, joined)
                changes.append((level, touched, True))
            elif qualification.clawback and reached < threshold and key in state.grants:
                del state.grants[key]
                changes.append((level, touched, False))
    return changes


def tier_on(
    levels: tuple[str, ...],
    state: TierState,
    day: date,
    floor: str = "",
    qualification: TierQualification | None = None,
    joined: date | None = None,
) -> str:
    """The member's tier on ``day`` under ``qualification``'s downgrade policy (see
    the module doc; without one, ``to_held``), never below ``floor`` (a tier given
    by the member import); the lowest level else."""
    if not levels:
        return floor
    rank = {level: i for i, level in enumerate(levels)}
    grants = [(rank[level], until) for (level, _), until in state.grants.items() if level in rank]
    if qualification is not None and qualification.downgrade == "one_level":

        def landing(fell_on: date) -> date:
            window = window_of(qualification, fell_on, joined)
            return held_until(window, "rest_of_window", joined)

        reached = _one_level(grants, day, landing)
    else:
        reached = _held(grants, day)
    return levels[max(rank.get(floor, 0), reached, 0)]


def _held(grants: list[tuple[int, date]], day: date) -> int:
    """The highest rank granted and held on ``day``; -1 for none."""
    return max((r for r, until in grants if until >= day), default=-1)


def _one_level(grants: list[tuple[int, date]], day: date, landing: Callable[[date], date]) -> int:
    """The rank on ``day`` when members fall one level at a time.

    Walks the days on which something stops being held (a grant's last day, or a
    fall's), in order, up to ``day``: after each, the member is at the highest rank
    still held, or one below where they were if that is higher (a fall, held to
    ``landing(first day fallen)``). The rank never rises on the walk, so it ends."""
    ordered = sorted(grants, key=lambda grant: grant[1])
    untils = [until for _, until in ordered]
    best_from = [-1] * (len(ordered) + 1)  # the highest rank among grants i.. onwards
    for i in range(len(ordered) - 1, -1, -1):
        best_from[i] = max(ordered[i][0], best_from[i + 1])

    def held(on: date) -> int:
        return best_from[bisect_left(untils, on)]

    current = best_from[0]
    fallen: tuple[int, date] | None = None
    last, index = date.min, 0
    while True:
        while index < len(untils) and untils[index] <= last:
            index += 1
        end = untils[index] if index < len(untils) else date.max
        if fallen is not None and last < fallen[1] < end:
            end = fallen[1]
        if end >= day:
            return current
        last, after = end, end + timedelta(days=1)
        still = max(held(after), fallen[0] if fallen and fallen[1] >= after else -1)
        if still >= current:
            continue
        if current - 1 > still:
            current -= 1
            fallen = (current, landing(after))
        else:
            current = still


def progress(
    qualification: TierQualification, levels: tuple[str, ...], tier: str, counted: int
) -> tuple[str, int] | None:
    """The next level above ``tier`` and what the window still needs for it, given
    ``counted`` so far this window; None at the top."""
    rank = {level: i for i, level in enumerate(levels)}
    for level, threshold in qualification.thresholds:
        if rank[level] > rank.get(tier, 0):
            return level, max(0, threshold - counted)
    return None
