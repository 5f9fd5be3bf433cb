"""The birthday reward at the ledger: once a year, in its window.

A till works the birthday window out offline from the member's birthday it holds
(:mod:`loyalty.programme.birthday`) and records the year's reward as a used reward
instance ``birthday-<year>``. The ledger holds each member's birth date and the year
of the last birthday reward used (``members.birthday_claimed``): a sale using the
reward outside its window (or for a member without a birth date) is flagged
``birthday_not_due``, a second use for the same year ``birthday_overuse``; both
stand (what happened at the till happened). A refund that gives the reward back
(the sale's lines returned) makes the year's reward available again.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from ledger.member_book import WorkingMember
from loyalty.programme import Programme
from loyalty.programme.birthday import instance_year, open_window, parse_birthday_text


def birthday_uses(content: Mapping[str, Any], key: str) -> list[int]:
    """The years of the birthday instances in ``content[key]`` (reward entries, or
    plain ids for ``rewards_revoked``)."""
    years = []
    for entry in content.get(key, []):
        instance = entry if isinstance(entry, str) else entry.get("id")
        year = instance_year(str(instance)) if instance else None
        if year is not None:
            years.append(year)
    return years


def claim(
    member: WorkingMember, content: Mapping[str, Any], programme: Programme | None
) -> list[tuple[str, str]]:
    """A sale's birthday rewards used: claimed for their years, and flagged when not
    due or used twice."""
    flags: list[tuple[str, str]] = []
    day = date.fromisoformat(str(content["business_time"])[:10])
    tier = str(content.get("member_snapshot", {}).get("tier") or "")
    for year in birthday_uses(content, "rewards_used"):
        birthday = parse_birthday_text(member.birth_date) if member.birth_date else None
        rules = programme.birthday if programme is not None else None
        if rules is None or birthday is None:
            flags.append(("birthday_not_due", "no birthday reward is known for this member"))
        elif open_window(rules, programme.tier_of(tier) if programme else tier, birthday, day) != (
            year
        ):
            flags.append(("birthday_not_due", f"the {year} birthday reward is not due on {day}"))
        if member.birthday_claimed == year:
            flags.append(("birthday_overuse", f"the {year} birthday reward was already used"))
        member.birthday_claimed = max(member.birthday_claimed, year)
    return flags


def give_back(member: WorkingMember, content: Mapping[str, Any]) -> None:
    """A refund that gives a birthday reward back makes that year's available again."""
    for year in birthday_uses(content, "rewards_restored"):
        if member.birthday_claimed == year:
            member.birthday_claimed = year - 1
