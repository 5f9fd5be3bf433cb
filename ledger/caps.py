"""Per-member caps on actions and campaigns, checked across every till.

A programme may cap how often one member is rewarded for an action (garment
recycling: at most 6 bags in any 6 months) or gets a fixed bonus (a campaign's
limit): ``cap = { count, months }`` (:class:`loyalty.programme.model.Cap`). Tills
cannot see each other's awards, so the ledger counts them: every award is recorded
in ``cap_awards`` with its business time, and an award that, counted with the
awards not reversed in the ``months`` before it (by business time), makes more than
``count`` is reversed by a ledger ``correction`` event (reason ``cap``) that takes
back what it gave, and flagged ``cap_exceeded``.

A refund that takes a capped bonus back (its ``bonuses_returned``) reverses that
award: it no longer counts for awards counted after the refund (an award reversed
earlier stays reversed). If the ledger had already taken that award back over the
cap, the refund took it twice: a ledger ``correction`` (reason ``cap_refund``) gives
it back, so a full return nets the member to zero.

The cap in force is the one of the programme version the event was computed under
(by content hash), else of the version in force at its business time. An award is
over the cap if any window of ``months`` that holds it (ending at it, or at a later
award) holds more than ``count``: so an award that reaches the ledger late, after
awards made later than it, is the one reversed, as the last to arrive.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ledger.db import Tx, not_yet
from loyalty.programme import Programme
from loyalty.programme.model import Cap, FixedBonus


@dataclass(frozen=True)
class Award:
    """One capped award an event made: what it gave, under which cap."""

    cap_id: str
    """``action:<id>`` or ``rule:<id>``."""
    cap: Cap
    postings: Mapping[str, int]
    name: str


def awards_of(programme: Programme, content: Mapping[str, Any]) -> list[Award]:
    """The capped awards of an action or a sale under ``programme``."""
    kind = content["kind"]
    if kind == "action":
        action = programme.action(str(content["action"]))
        if action is None or action.cap is None:
            return []
        return [
            Award(f"action:{action.id}", action.cap, {action.wallet: action.amount}, action.name)
        ]
    if kind != "sale":
        return []
    return _bonus_awards(programme, content.get("bonuses", []))


def returned_awards(programme: Programme, content: Mapping[str, Any]) -> list[Award]:
    """The capped fixed bonuses a refund takes back (its ``bonuses_returned``)."""
    return _bonus_awards(programme, content.get("bonuses_returned") or [])


def _bonus_awards(programme: Programme, bonuses: Iterable[Mapping[str, Any]]) -> list[Award]:
    found = []
    capped = {r.id: r for r in programme.rules if isinstance(r, FixedBonus) and r.cap}
    for bonus in bonuses:
        rule = capped.get(str(bonus["rule"]))
        if rule is not None and rule.cap is not None:
            postings = {str(bonus["wallet"]): int(bonus["amount"])}
            found.append(Award(f"rule:{rule.id}", rule.cap, postings, rule.id))
    return found


def months_before(at: datetime, months: int) -> datetime:
    """``at`` moved back ``months`` calendar months (the last day of a shorter month)."""
    index = at.year * 12 + at.month - 1 - months
    year, month = divmod(index, 12)
    day = min(at.day, calendar.monthrange(year, month + 1)[1])
    return at.replace(year=year, month=month + 1, day=day)


PENDING = "(pending)"
"""An award found over its cap whose correction is not applied yet."""


@dataclass
class _Held:
    event_id: str
    at: datetime
    reversed_by: str | None


@dataclass
class CapKeeper:
    """The capped awards of the members one transaction touches."""

    awards: dict[tuple[str, str], list[_Held]] = field(default_factory=dict)
    """(member, cap) → awards."""
    caps_of: dict[str, set[str]] = field(default_factory=dict)
    """Per member, the caps in ``awards`` (read per member)."""
    loaded: set[str] = field(default_factory=set)
    new: list[tuple[str, str, str, str, str | None]] = field(default_factory=list)
    reversed: dict[tuple[str, str], str] = field(default_factory=dict)
    """(cap, event) → the correction that reversed it, decided in this transaction."""

    def load(self, tx: Tx, member_ids: Iterable[str]) -> None:
        wanted = not_yet(self.loaded, member_ids)
        if not wanted:
            return
        condition, params = tx.in_list("member_id", wanted)
        for member_id, cap, event_id, business_at, reversed_by in tx.query(
            f"SELECT member_id, cap, event_id, business_at, reversed_by FROM cap_awards "
            f"WHERE {condition}",
            params,
        ):
            self.caps_of.setdefault(str(member_id), set()).add(str(cap))
            self.awards.setdefault((str(member_id), str(cap)), []).append(
                _Held(
                    str(event_id),
                    datetime.fromisoformat(str(business_at)),
                    None if reversed_by is None else str(reversed_by),
                )
            )

    def count(self, member_id: str, award: Award, event_id: str, at: datetime) -> bool:
        """Record the award ``event_id`` made at ``at``; whether it is over the cap."""
        held = self.awards.setdefault((member_id, award.cap_id), [])
        self.caps_of.setdefault(member_id, set()).add(award.cap_id)
        if all(h.event_id != event_id for h in held):
            held.append(_Held(event_id, at, None))
            self.new.append((member_id, award.cap_id, event_id, at.isoformat(), None))
        live = [h.at for h in held if h.reversed_by is None]
        months = award.cap.months
        for end in sorted({at} | {t for t in live if t > at}):
            since = months_before(end, months)
            if since >= at:
                break  # windows ending later do not hold this award
            if sum(1 for t in live if since < t <= end) > award.cap.count:
                return True
        return False

    def mark_over(self, member_id: str, cap_id: str, event_id: str) -> None:
        """The award ``event_id`` is over its cap: it no longer counts, and awaits the
        correction that reverses it (:meth:`confirm`)."""
        for held in self.awards.get((member_id, cap_id), []):
            if held.event_id == event_id:
                held.reversed_by = PENDING

    def confirm(self, member_id: str, event_id: str, correction_id: str) -> None:
        """The correction ``correction_id`` reversed the awards of ``event_id`` that
        were over their caps."""
        for cap_id in sorted(self.caps_of.get(member_id, ())):
            for award in self.awards[(member_id, cap_id)]:
                if award.event_id == event_id and award.reversed_by == PENDING:
                    award.reversed_by = correction_id
                    self.reversed[(cap_id, event_id)] = correction_id

    def release(self, member_id: str, award: Award, sale_id: str, refund_id: str) -> bool:
        """The refund ``refund_id`` took back the award of ``sale_id``: it stops counting
        towards the cap from here on. Whether the ledger had already taken it back
        over the cap (so the refund took it twice, and the ledger gives it back)."""
        for held in self.awards.get((member_id, award.cap_id), []):
            if held.event_id == sale_id:
                if held.reversed_by is not None:
                    return True
                held.reversed_by = refund_id
                self.reversed[(award.cap_id, sale_id)] = refund_id
        return False

    def pending(self) -> list[tuple[str, str, str]]:
        """(member, cap, event) of awards found over a cap that no correction reversed."""
        return [
            (member, cap_id, h.event_id)
            for (member, cap_id), held in sorted(self.awards.items())
            for h in held
            if h.reversed_by == PENDING
        ]

    def write(self, tx: Tx) -> None:
        tx.executemany(
            "INSERT INTO cap_awards (member_id, cap, event_id, business_at, reversed_by) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (cap, event_id) DO NOTHING",
            self.new,
        )
        tx.executemany(
            "UPDATE cap_awards SET reversed_by = ? WHERE cap = ? AND event_id = ?",
            [(by, cap, event) for (cap, event), by in sorted(self.reversed.items())],
        )
        self.new.clear()
        self.reversed.clear()


def cap_note(award: Award) -> str:
    months = award.cap.months
    return f"{award.name}: at most {award.cap.count} in {months} month{'' if months == 1 else 's'}"


def reversal_postings(awards: Sequence[Award]) -> dict[str, int]:
    """What reversing these awards takes back, per wallet."""
    total: dict[str, int] = {}
    for award in awards:
        for wallet, amount in award.postings.items():
            total[wallet] = total.get(wallet, 0) - amount
    return {k: v for k, v in sorted(total.items()) if v}
