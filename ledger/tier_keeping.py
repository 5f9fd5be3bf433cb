"""The ledger's tier qualification: counts and grants kept in step with every event.

:mod:`loyalty.tiers` holds the rules; this module applies them within one write
transaction, for programmes whose ``[tiers.qualify]`` says how (engine 2):

``tier_counts``  the metric counted per member and window label (per month for a
                 rolling window; :mod:`loyalty.tier_windows`);
``tier_grants``  the levels granted per member and window, with the last day held.

Each event's metric (:func:`loyalty.tier_metrics.metric_amount`, read from the
stored event and, for a refund, its sale) counts in the window of its business day,
a refund's in its sale's; the rules in force are those of the version in force at
that day. A membership year starts on the anniversary of ``members.joined_on``, as
the ledger holds it when the event is counted (none: the calendar year). The
member's ``tier`` then becomes the tier on the event's business day under the
programme's downgrade policy (never below ``base_tier``, the tier the member import
gave), so it reaches the tills in the changes feed and applies from the member's next
receipt. ``progress`` holds the label and count of the window of the member's latest
event (its business day's window), for the till's "312.00 NOK to gold".
``pos-ledger settle`` lowers the tier of members whose grants ran out
(:func:`lower_expired`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from ledger.db import Tx, not_yet
from loyalty.programme import ProgrammeVersion, version_in_force
from loyalty.tier_metrics import RefundedSale, metric_amount
from loyalty.tier_windows import count_in, window_of
from loyalty.tiers import TierState, count, tier_on
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
    joined: dict[str, date] = field(default_factory=dict)
    """Per member, the join date (``members.joined_on``) where one is known."""

    def load(self, tx: Tx, member_ids: Iterable[str]) -> None:
        """Read the counts, grants and join dates of these members (once each)."""
        wanted = not_yet(self.loaded, member_ids)
        if not wanted:
            return
        self.load_join_dates(tx, wanted)
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

    def load_join_dates(self, tx: Tx, member_ids: Iterable[str] | None = None) -> None:
        """Read the join dates of these members, or of all (None); those without one
        have none."""
        condition, params = "1 = 1", list[Any]()
        if member_ids is not None:
            wanted = sorted(set(member_ids))
            if not wanted:
                return
            condition, params = tx.in_list("member_id", wanted)
        for member_id, joined in tx.query(
            f"SELECT member_id, joined_on FROM members WHERE {condition} AND joined_on <> ''",
            params,
        ):
            self.joined[str(member_id)] = date.fromisoformat(str(joined))

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
        sale: RefundedSale | None = None,
    ) -> str | None:
        """Count one event (business time ``at``; ``counted_at``: the time whose window
        it counts in, its sale's for a refund, whose state before this refund is
        ``sale``); the member's tier on ``at``'s day (or the last settle date, if
        later), or None when the programme in force does not qualify tiers."""
        version = version_in_force(self.versions, counted_at)
        if version is None or version.programme.tier_qualification is None:
            return None
        programme = version.programme
        qualification = programme.tier_qualification
        assert qualification is not None
        joined = self.joined.get(member_id)
        amount = metric_amount(qualification, content, postings, sale)
        counted_on = local_time(counted_at, programme.timezone).date()
        state = self.state(member_id)
        if amount:
            count(
                qualification, state, window_of(qualification, counted_on, joined), amount, joined
            )
            self.changed.add(member_id)
        day = local_time(at, programme.timezone).date()
        current = window_of(qualification, day, joined)
        self.windows[member_id] = {"window": current, "count": count_in(state.counts, current)}
        if self.settled is not None and self.settled > day:
            day = self.settled
        return tier_on(programme.tiers, state, day, base_tier, qualification, joined)

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
    """Lower, to their tier on ``as_of``, up to 500 members (ids after ``after``)
    whose tier may have run out; returns the members lowered and the last member id
    looked at (None when there were none left).

    A member may have run out when a grant of theirs ended before ``as_of``, no grant
    of their tier's level holds on ``as_of`` (under ``one_level`` their tier may be a
    fall, which has no grant), and their tier is above the lowest level and not the
    one the import gave (never lowered)."""
    version = version_in_force(versions, datetime.combine(as_of, datetime.min.time(), tzinfo=UTC))
    if version is None or not version.programme.tiers:
        return [], None
    programme = version.programme
    rows = tx.query(
        "SELECT m.member_id, m.tier, m.base_tier FROM members m "
        "WHERE m.member_id > ? AND m.tier <> ? AND m.tier <> m.base_tier AND EXISTS ("
        "SELECT 1 FROM tier_grants g WHERE g.member_id = m.member_id AND g.held_until < ?) "
        "AND NOT EXISTS (SELECT 1 FROM tier_grants h WHERE h.member_id = m.member_id "
        "AND h.level = m.tier AND h.held_until >= ?) ORDER BY m.member_id LIMIT 500",
        (after, programme.tiers[0], as_of.isoformat(), as_of.isoformat()),
    )
    if not rows:
        return [], None
    keeper = TierKeeper(versions)
    keeper.load(tx, [str(r[0]) for r in rows])
    lowered = []
    for member_id, tier, base_tier in rows:
        state, joined = keeper.state(str(member_id)), keeper.joined.get(str(member_id))
        qualification = programme.tier_qualification
        now = tier_on(programme.tiers, state, as_of, str(base_tier), qualification, joined)
        if now != str(tier):
            lowered.append((str(member_id), now))
    if lowered:
        change = tx.allocate("changes", len(lowered))
        tx.executemany(
            "UPDATE members SET tier = ?, change_no = ? WHERE member_id = ?",
            [(tier, change + i, member_id) for i, (member_id, tier) in enumerate(lowered)],
        )
    return [m for m, _ in lowered], str(rows[-1][0])
