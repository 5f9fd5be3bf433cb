"""The birthday reward (engine 2, ``[birthday]``): a reward once a year, in a window
that starts on the member's birthday and lasts a number of days by tier.

The till works it out offline from the birth date it holds of the member: while the
window is open and the member has not had the year's reward, the member holds one
more reward instance, ``birthday-<year>``, which the cashier applies like any issued
reward. The ledger enforces once a year: a second use of the same year's instance is
recorded and flagged, never refused (what happened at the till happened).

A birthday on 29 February falls on 28 February in other years. The year of a window
is the year of the birthday that opened it (a 30-day window from 20 December runs
into January and is still that December's year).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Final

from loyalty.programme.reader import IDENTIFIER, Table

if TYPE_CHECKING:
    from loyalty.programme.rule_tables import Names

BIRTHDAY_INSTANCE = re.compile(r"^birthday-(\d{4})$")
"""The id of a year's birthday reward instance."""
MAX_WINDOW_DAYS: Final = 366


@dataclass(frozen=True)
class Birthday:
    """``[birthday]``: the reward and how many days its window lasts."""

    reward: str
    """A ``[[rewards]]`` id (usually a free item)."""
    window_days: int = 1
    """Days the window lasts for tiers not in :attr:`by_tier` (1: the day itself)."""
    by_tier: tuple[tuple[str, int], ...] = ()

    def days_for(self, tier: str) -> int:
        return next((days for level, days in self.by_tier if level == tier), self.window_days)


def birthday_instance_id(year: int) -> str:
    return f"birthday-{year:04d}"


def instance_year(instance: str) -> int | None:
    """The year of a birthday instance id, or None if it is not one."""
    found = BIRTHDAY_INSTANCE.match(instance)
    return int(found.group(1)) if found else None


def birthday_in(year: int, birthday: tuple[int, int]) -> date:
    """The member's birthday (month, day) in ``year`` (29 February → 28 in other years)."""
    month, day = birthday
    if (month, day) == (2, 29):
        try:
            return date(year, 2, 29)
        except ValueError:
            return date(year, 2, 28)
    return date(year, month, day)


def open_window(rules: Birthday, tier: str, birthday: tuple[int, int], today: date) -> int | None:
    """The year of the birthday window open on ``today`` for a member of ``tier``, or
    None when none is."""
    days = rules.days_for(tier)
    for year in (today.year, today.year - 1):
        start = birthday_in(year, birthday)
        if start <= today < start + timedelta(days=days):
            return year
    return None


def parse_birthday_text(text: str) -> tuple[int, int] | None:
    """(month, day) of ``MM-DD`` (or of a ``YYYY-MM-DD`` birth date); None if it is not
    a day of the year."""
    parts = text.split("-")[-2:]
    if len(parts) != 2 or not all(p.isdigit() and len(p) == 2 for p in parts):
        return None
    month, day = int(parts[0]), int(parts[1])
    try:
        date(2000, month, day)  # a leap year: 29 February is a day of the year
    except ValueError:
        return None
    return month, day


def birthday(top: Table, names: Names, rewards: list[str]) -> Birthday | None:
    """``[birthday]``, checked key by key."""
    table = top.table("birthday")
    if table is None:
        return None
    reward = table.text("reward", pattern=IDENTIFIER)
    if reward not in rewards:
        raise table.error("reward", f"{reward!r} is not in [[rewards]].")
    window = table.integer("window_days", 1, minimum=1)
    tiers = table.table("by_tier")
    by_tier: list[tuple[str, int]] = []
    if tiers is not None:
        for level in list(tiers.data):
            if level not in names.tiers:
                raise tiers.error(level, "is not a tier of this programme.")
            by_tier.append((level, tiers.integer(level, minimum=1)))
        tiers.done()
    table.done()
    for level, days in [("window_days", window), *by_tier]:
        if days > MAX_WINDOW_DAYS:
            raise table.error(level, f"must be at most {MAX_WINDOW_DAYS} days.")
    return Birthday(reward, window, tuple(by_tier))
