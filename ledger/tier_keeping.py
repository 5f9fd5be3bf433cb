"""The ledger's tier qualification: counts and grants kept in step with every event.

:mod:`loyalty.tiers` holds the rules; this module applies them within one write
transaction, for programmes whose ``[tiers.qualify]`` says how (engine 2):

``tier_counts``  the metric counted per member and window;
``tier_grants``  the levels granted per member and window, with the last day held,
                 and whether a settle run has already lowered the tier after it.

Each event's metric posting (qualifying spend, or a wallet's units) counts in the
window of its business day, a refund's in its sale's; the rules in force are those
of the version in force at that day. The member's ``tier`` then becomes the tier on
the event's business day (never below ``base_tier``, the tier the member import
gave), so it reaches the tills in the changes feed and applies from the member's next
receipt. ``progress`` holds the count of the window of the member's latest event (its
business day's window), for the till's "312.00 NOK to Gold". ``pos-ledger settle``
lowers the tier of members whose grants ran out (:func:`lower_expired`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from ledger.db import Tx
from loyalty.programme import ProgrammeVersion, version_in_force
from loyalty.tiers import TierState, count, tier_on, window_of
from loyalty.timezones import local_time


@dataclass
class TierKeeper:
    """The tier states of the members one transaction touches."""

    versions: Sequence[ProgrammeVersion]
    settled: date | None = None
    """The last ``settle --as-of`` date: a late event never evaluates the tier on a day
    before it (a tier a settle run lowered does not come back from an old receipt)."""
    states: dict[str, TierState] = field(default_factory=dict)
    loaded: set[str] = field(default_factory=set)
    changed: set[str] = field(default_factory=set)
    windows: dict[str, dict[str, object]] = field(default_factory=dict)
    """Per member, the window of its latest event and that window's count."""

    def load(self, tx: Tx, member_ids: Iterable[str]) -> None:
        wanted = sorted(set(member_ids) - self.loaded)
        if not wanted:
            return
        self.loaded.update(wanted)
        condition, params = tx.in_list("member_id", wanted)
        for member_id, window, counted in tx.query(
            f"SELECT member_id, period, counted FROM tier_counts WHERE {condition}", params
        ):
            self.state(str(member_id)).counts[str(window)] = int(counted)
        for member_id, level, window, until in tx.query(
            f"SELECT member_id, level, period, held_until FROM tier_grants WHERE {condition}",
            params,
        ):
            self.state(str(member_id)).grants[(str(level), str(window))] = date.fromisoformat(
                str(until)
            )

    def state(self, member_id: str) -> TierState:
        found = self.states.get(member_id)
        if found is None:
            found = self.states[member_id] = TierState()
        return found

    def apply(
        self,
        member_id: str,
        content: Mapping[str, Any],
        postings: Mapping[str, int],
        at: datetime,
        counted_at: datetime,
        base_tier: str,
    ) -> str | None:
        """Count one event (business time ``at``; ``counted_at``: the time whose window
        it counts in, its sale's for a refund); the member's tier on ``at``'s day (or
        the last settle date, if later), or None when the programme in force does not
        qualify tiers."""
        version = version_in_force(self.versions, counted_at)
        if version is None or version.programme.tier_qualification is None:
            return None
        programme = version.programme
        qualification = programme.tier_qualification
        assert qualification is not None
        amount = metric_amount(content, postings, qualification.metric)
        window = window_of(qualification, local_time(counted_at, programme.timezone).date())
        state = self.state(member_id)
        if amount:
            count(qualification, state, window, amount)
            self.changed.add(member_id)
        day = local_time(at, programme.timezone).date()
        current = window_of(qualification, day)
        self.windows[member_id] = {"window": current, "count": state.counts.get(current, 0)}
        if self.settled is not None and self.settled > day:
            day = self.settled
        return tier_on(programme.tiers, state, day, base_tier)

    def write(self, tx: Tx) -> None:
        """Store the counts and grants of every member whose count changed."""
        for member_id in sorted(self.changed):
            state = self.states[member_id]
            tx.execute("DELETE FROM tier_counts WHERE member_id = ?", (member_id,))
            tx.execute("DELETE FROM tier_grants WHERE member_id = ?", (member_id,))
            tx.executemany(
                "INSERT INTO tier_counts (member_id, period, counted) VALUES (?, ?, ?)",
                [(member_id, w, n) for w, n in sorted(state.counts.items())],
            )
            tx.executemany(
                "INSERT INTO tier_grants (member_id, level, period, held_until) "
                "VALUES (?, ?, ?, ?)",
                [(member_id, lv, w, d.isoformat()) for (lv, w), d in sorted(state.grants.items())],
            )
        self.changed.clear()


def metric_amount(content: Mapping[str, Any], postings: Mapping[str, int], metric: str) -> int:
    """What an event adds to a tier metric: what a sale or action earned (spending
    from the same wallet does not lower it), what a refund takes back of that; a
    redemption, a correction or an expiry counts nothing."""
    kind = content["kind"]
    posted = int(postings.get(metric, 0))
    if kind in ("sale", "earn"):
        return posted + int(content.get("spent", {}).get(metric, 0))
    if kind == "refund":
        return posted - int(content.get("spent_returned", {}).get(metric, 0))
    return posted if kind == "action" else 0


def settled_as_of(tx: Tx) -> date | None:
    """The date of the latest ``settle`` run, if any."""
    row = tx.one("SELECT value FROM meta WHERE key = 'settled_as_of'")
    return None if row is None else date.fromisoformat(str(row[0]))


def record_settled(tx: Tx, as_of: date) -> None:
    """Remember ``as_of`` as the latest settle date (never moving it back)."""
    known = settled_as_of(tx)
    if known is not None and known >= as_of:
        return
    tx.execute("DELETE FROM meta WHERE key = 'settled_as_of'")
    tx.execute("INSERT INTO meta (key, value) VALUES ('settled_as_of', ?)", (as_of.isoformat(),))


def lower_expired(
    tx: Tx, versions: Sequence[ProgrammeVersion], as_of: date, after: str
) -> tuple[list[str], str | None]:
    """Lower, to their tier on ``as_of``, up to 500 members (ids after ``after``) whose
    tier came from a grant held no longer; returns the members lowered and the last
    member id looked at (None when there were none left)."""
    rows = tx.query(
        "SELECT DISTINCT m.member_id, m.tier, m.base_tier FROM members m "
        "JOIN tier_grants g ON g.member_id = m.member_id AND g.level = m.tier "
        "WHERE g.held_until < ? AND m.member_id > ? AND NOT EXISTS ("
        "SELECT 1 FROM tier_grants h WHERE h.member_id = m.member_id AND h.level = m.tier "
        "AND h.held_until >= ?) ORDER BY m.member_id LIMIT 500",
        (as_of.isoformat(), after, as_of.isoformat()),
    )
    if not rows:
        return [], None
    version = version_in_force(versions, datetime.combine(as_of, datetime.min.time(), tzinfo=UTC))
    keeper = TierKeeper(versions)
    keeper.load(tx, [str(r[0]) for r in rows])
    lowered = []
    for member_id, tier, base_tier in rows:
        levels = version.programme.tiers if version is not None else ()
        now = tier_on(levels, keeper.state(str(member_id)), as_of, str(base_tier))
        if levels and now != str(tier):
            lowered.append((str(member_id), now))
    if lowered:
        change = tx.allocate("changes", len(lowered))
        tx.executemany(
            "UPDATE members SET tier = ?, change_no = ? WHERE member_id = ?",
            [(tier, change + i, member_id) for i, (member_id, tier) in enumerate(lowered)],
        )
    return [m for m, _ in lowered], str(rows[-1][0])
