"""Tier windows: which window a day counts in, what a window's count is, how long a
level reached in it is held.

A window is named by a label, and the label's form says its kind, so the ledger,
``pos-ledger verify`` and the till read any stored label the same way:

``"2026"``                   a calendar year (``calendar_year``; also a membership
                             year of a member whose join date is not known);
``"2026-03"``                a month (``rolling_12_months``): counts are kept per
                             month, and the window ``"2026-03"`` is the 12 calendar
                             months ending with March 2026 (April 2025 to March 2026);
``"2026-04-15/2027-04-14"``  a membership year, first and last day included: from an
                             anniversary of the join date to the day before the next.
                             A member who joined on 29 February has the anniversary on
                             28 February in years without one.

Pure: days are local days in the programme's time zone, chosen by the caller.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from loyalty.programme.model import TierQualification, TierRetention

ROLLING_MONTHS = 12
"""The months a rolling window spans, and how long a level reached in it is held
(twice that with ``rest_and_next``)."""


def window_of(qualification: TierQualification, day: date, joined: date | None = None) -> str:
    """The label of the window ``day`` counts in (for ``rolling_12_months``: its
    month, which is also the label of the rolling window ending that month).
    ``joined`` is the member's join date; a membership year without one is the
    calendar year."""
    if qualification.window == "rolling_12_months":
        return _month(day.year, day.month)
    if qualification.window == "membership_year" and joined is not None:
        first, last = membership_year(day, joined)
        return f"{first.isoformat()}/{last.isoformat()}"
    return f"{day.year:04d}"


def membership_year(day: date, joined: date) -> tuple[date, date]:
    """The first and last day of the membership year ``day`` falls in."""
    start = anniversary(joined, day.year)
    if start > day:
        start = anniversary(joined, day.year - 1)
    return start, anniversary(joined, start.year + 1) - timedelta(days=1)


def anniversary(joined: date, year: int) -> date:
    """The anniversary of ``joined`` in ``year`` (29 February: the 28th when ``year``
    has no 29 February)."""
    days = calendar.monthrange(year, joined.month)[1]
    return date(year, joined.month, min(joined.day, days))


def span(label: str) -> tuple[date, date]:
    """The first and last day whose counts make up window ``label``'s count."""
    if "/" in label:
        first, last = label.split("/")
        return date.fromisoformat(first), date.fromisoformat(last)
    if len(label) == 7:
        year, month = _parse_month(label)
        start_year, start_month = _shift(year, month, 1 - ROLLING_MONTHS)
        return date(start_year, start_month, 1), _month_end(year, month)
    year = int(label)
    return date(year, 1, 1), date(year, 12, 31)


def count_in(counts: Mapping[str, int], label: str) -> int:
    """Window ``label``'s count from the counts kept per window (per month for a
    rolling window: the sum of its 12 months)."""
    if len(label) != 7:
        return counts.get(label, 0)
    year, month = _parse_month(label)
    return sum(counts.get(_month(*_shift(year, month, -back)), 0) for back in range(ROLLING_MONTHS))


def windows_touched(counted: Iterable[str], label: str) -> list[str]:
    """The windows whose count a change to ``label``'s count changes, among the
    windows ``counted`` (those with a count) and ``label`` itself, in order: the
    window itself, and for a month the rolling windows of the 11 months after it."""
    if len(label) != 7:
        return [label]
    last = _month(*_shift(*_parse_month(label), ROLLING_MONTHS - 1))
    return sorted({label} | {w for w in counted if len(w) == 7 and label < w <= last})


def held_until(label: str, retention: TierRetention, joined: date | None = None) -> date:
    """The last day a level reached in window ``label`` is held.

    A calendar year: to 31 December of that year (``rest_of_window``) or of the
    next (``rest_and_next``). A month of a rolling window: to the end of the 12th
    month after it (reached in March 2026: to 31 March 2027), or the 24th. A
    membership year: to its last day, or the last day of the next one."""
    if "/" in label:
        last = span(label)[1]
        if retention == "rest_of_window":
            return last
        following = last + timedelta(days=1)
        return membership_year(following, joined or following)[1]
    if len(label) == 7:
        months = ROLLING_MONTHS * (2 if retention == "rest_and_next" else 1)
        return _month_end(*_shift(*_parse_month(label), months))
    year = int(label) + (1 if retention == "rest_and_next" else 0)
    return date(year, 12, 31)


def is_current(label: str, today: date) -> bool:
    """Whether window ``label`` is the window ``today`` counts in: the same year, the
    same month (a rolling window ending another month has another count), or the
    membership year holding today."""
    if "/" in label:
        first, last = span(label)
        return first <= today <= last
    if len(label) == 7:
        return label == _month(today.year, today.month)
    return label == f"{today.year:04d}"


def _month(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def _parse_month(label: str) -> tuple[int, int]:
    return int(label[:4]), int(label[5:7])


def _shift(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + months
    return index // 12, index % 12 + 1


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])
