"""Tier qualification: counts per window, levels granted, and the tier they give.

The ledger counts each member's metric (qualifying spend, or status points earned
into a wallet) per window (a calendar year in the programme's time zone). When a
window's count reaches a level's threshold, the level is *granted* for that window:
held to the end of the window (``rest_of_window``) or of the next one
(``rest_and_next``). A refund lowers the count of its sale's window; with
``clawback`` a grant whose threshold that window no longer meets is taken back,
without it a grant stays. The member's tier on a day is the highest level granted
and still held that day, and never below the tier the member was given (the member
import's); the lowest level otherwise. A new tier applies from the member's next
receipt: a basket is evaluated with the tier at its start.

Pure: the ledger stores the counts and grants and applies these rules in its apply
order, the same way when it replays its events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from loyalty.programme.model import TierQualification


def window_of(qualification: TierQualification, day: date) -> str:
    """The window a local day counts in: ``"2026"`` for a calendar year."""
    del qualification  # one window kind so far
    return f"{day.year:04d}"


def held_until(qualification: TierQualification, window: str) -> date:
    """The last day a level granted for ``window`` is held."""
    year = int(window) + (1 if qualification.retention == "rest_and_next" else 0)
    return date(year, 12, 31)


@dataclass
class TierState:
    """One member's counts and grants."""

    counts: dict[str, int] = field(default_factory=dict)
    """The metric counted per window."""
    grants: dict[tuple[str, str], date] = field(default_factory=dict)
    """(level, window) → the last day it is held."""


def count(
    qualification: TierQualification, state: TierState, window: str, amount: int
) -> list[tuple[str, str, bool]]:
    """Add ``amount`` (negative for a refund) to ``window``'s count and grant or take
    back levels as its thresholds say; returns ``(level, window, granted)`` for each
    grant made (True) or taken back (False)."""
    state.counts[window] = state.counts.get(window, 0) + amount
    reached = state.counts[window]
    changes = []
    for level, threshold in qualification.thresholds:
        key = (level, window)
        if reached >= threshold and key not in state.grants:
            state.grants[key] = held_until(qualification, window)
            changes.append((level, window, True))
        elif qualification.clawback and reached < threshold and key in state.grants:
            del state.grants[key]
            changes.append((level, window, False))
    return changes


def tier_on(levels: tuple[str, ...], state: TierState, day: date, floor: str = "") -> str:
    """The member's tier on ``day``: the highest level granted and held then, never
    below ``floor`` (a tier given by the member import); the lowest level else."""
    rank = {level: i for i, level in enumerate(levels)}
    best = rank.get(floor, 0)
    for (level, _), until in state.grants.items():
        if until >= day and level in rank:
            best = max(best, rank[level])
    return levels[best] if levels else floor


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
