"""The closed vocabulary of conditions a rule may carry (``when`` in a document).

There is no expression language: a condition is a set of facts that must all hold,
each from a fixed list, so every till and the ledger read a rule the same way and a
document can be checked completely when it is loaded.

*Line conditions* pick the lines a rule applies to: ``tags`` (the line has at least
one of them), ``not_tags`` (it has none of them), ``skus``, ``flags`` (the line has at
least one of them, e.g. ``own_cup``). *Basket conditions* decide whether the rule
applies to this basket at all: ``tiers`` (the member's tier at basket start),
``segments``, ``weekdays``, ``time`` and ``dates`` (local time in the programme's
time zone), ``stores`` and ``store_groups``, ``min_basket_minor``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Final

WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Facts = tuple[str, frozenset[str], frozenset[str]]
"""What line conditions look at: a line's sku, tags and flags."""


@dataclass(frozen=True)
class TimeWindow:
    """Local wall-clock times; ``until`` is exclusive. A window may cross midnight
    (``from = "22:00", until = "02:00"``)."""

    start: time
    until: time

    def contains(self, moment: time) -> bool:
        if self.start <= self.until:
            return self.start <= moment < self.until
        return moment >= self.start or moment < self.until


@dataclass(frozen=True)
class DateWindow:
    """Local calendar dates, both inclusive."""

    start: date
    until: date

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.until


@dataclass(frozen=True)
class Conditions:
    """Everything a rule's ``when`` table can say; an empty one always holds."""

    tags: frozenset[str] = frozenset()
    """Line: the line has at least one of these tags."""
    not_tags: frozenset[str] = frozenset()
    """Line: the line has none of these tags."""
    skus: frozenset[str] = frozenset()
    """Line: the line's sku is one of these."""
    flags: frozenset[str] = frozenset()
    """Line: the line carries at least one of these flags (``own_cup``)."""
    tiers: frozenset[str] = frozenset()
    """Basket: the member's tier at basket start is one of these."""
    segments: frozenset[str] = frozenset()
    """Basket: the member belongs to at least one of these segments."""
    weekdays: frozenset[int] = frozenset()
    """Basket: the local weekday (0 = Monday) is one of these."""
    time: TimeWindow | None = None
    """Basket: the local time of day falls in this window."""
    dates: DateWindow | None = None
    """Basket: the local date falls in this window."""
    stores: frozenset[str] = frozenset()
    """Basket: the sale is in one of these stores."""
    store_groups: frozenset[str] = frozenset()
    """Basket: the sale is in a store of one of these groups (``[store_groups]``)."""
    min_basket_minor: int | None = None
    """Basket: the basket's earning amount (the rule's lines) is at least this."""

    @property
    def selects_lines(self) -> bool:
        return bool(self.tags or self.not_tags or self.skus or self.flags)

    def line_matches(self, sku: str, tags: frozenset[str], flags: frozenset[str]) -> bool:
        """Whether a line with these facts is one this rule applies to."""
        if self.tags and not (self.tags & tags):
            return False
        if self.not_tags and self.not_tags & tags:
            return False
        if self.skus and sku not in self.skus:
            return False
        return not (self.flags and not (self.flags & flags))

    def basket_matches(
        self,
        local: datetime,
        store: str,
        store_groups: frozenset[str],
        tier: str,
        segments: frozenset[str],
    ) -> bool:
        """Whether the basket-wide conditions hold (``min_basket_minor`` aside).

        ``local`` is the business time in the programme's time zone; ``store_groups``
        the groups the store belongs to.
        """
        if self.tiers and tier not in self.tiers:
            return False
        if self.segments and not (self.segments & segments):
            return False
        if not self.time_matches(local):
            return False
        if self.stores and store not in self.stores:
            return False
        return not (self.store_groups and not (self.store_groups & store_groups))

    @property
    def looks_at_time(self) -> bool:
        """Whether any of these conditions is on the local weekday, time or date."""
        return bool(self.weekdays) or self.time is not None or self.dates is not None

    def time_matches(self, local: datetime) -> bool:
        """Whether the conditions on the local weekday, time of day and date hold at
        ``local`` (the business time in the programme's time zone)."""
        if self.weekdays and local.weekday() not in self.weekdays:
            return False
        if self.time is not None and not self.time.contains(local.time()):
            return False
        return not (self.dates is not None and not self.dates.contains(local.date()))


ALWAYS = Conditions()
