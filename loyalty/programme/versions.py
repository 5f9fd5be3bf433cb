"""Programme versions in time: which one is in force, and which use is stale.

A version is immutable content (a :class:`Programme`) plus the number and start the
ledger gave it when it was published. Starts are local times in the programme's
time zone; a till holding several versions uses the one in force at the sale's
business time, so a campaign that starts at midnight starts on an offline till too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from loyalty.programme.model import Programme
from loyalty.programme.reader import ProgrammeError
from loyalty.timezones import programme_zone


@dataclass(frozen=True)
class ProgrammeVersion:
    """A published version: its number, its start and its content."""

    version: int
    effective_from: datetime
    """When it takes effect, aware, in the programme's time zone."""
    programme: Programme

    @property
    def content_hash(self) -> str:
        return self.programme.content_hash

    @property
    def effective_from_local(self) -> str:
        """The start as written when publishing: local wall time, no offset."""
        return self.effective_from.replace(tzinfo=None).isoformat(timespec="minutes")


def local_start(text: str, timezone: str) -> datetime:
    """A local wall time (``2026-12-01T00:00``) in ``timezone``, as an aware time.

    Refuses a time with an offset (starts are local by definition), a time that does
    not exist locally (inside the hour skipped when clocks go forward) and one that
    exists twice (inside the hour repeated when clocks go back).
    """
    try:
        naive = datetime.fromisoformat(text)
    except ValueError:
        raise ProgrammeError(f"{text!r} is not a local time like 2026-12-01T00:00.") from None
    if naive.tzinfo is not None:
        raise ProgrammeError(f"{text!r}: give the local time without an offset.")
    zone = programme_zone(timezone)
    aware = naive.replace(tzinfo=zone)
    back = aware.astimezone(UTC).astimezone(zone)
    if back.replace(tzinfo=None) != naive:
        raise ProgrammeError(
            f"{text} does not exist in {timezone} (the clocks skip it); choose another time."
        )
    if naive.replace(tzinfo=zone, fold=1).utcoffset() != aware.utcoffset():
        raise ProgrammeError(
            f"{text} happens twice in {timezone} (the clocks go back); choose a time "
            "outside the repeated hour."
        )
    return aware


def start_at(utc: str, timezone: str) -> datetime:
    """A version's start from its stored UTC instant, in the programme's time zone
    (the instant is what counts; the local text is for people)."""
    return datetime.fromisoformat(utc).astimezone(programme_zone(timezone))


def version_in_force(versions: Sequence[ProgrammeVersion], at: datetime) -> ProgrammeVersion | None:
    """The version with the latest start at or before ``at`` (None before the first);
    of two with the same start, the later published. Instants are compared in UTC, so
    an hour that a DST change repeats is never read twice."""
    moment = at.astimezone(UTC)
    best: ProgrammeVersion | None = None
    best_key: tuple[datetime, int] | None = None
    for candidate in versions:
        key = (candidate.effective_from.astimezone(UTC), candidate.version)
        if key[0] <= moment and (best_key is None or key > best_key):
            best, best_key = candidate, key
    return best


def stale_use(
    versions: Sequence[ProgrammeVersion], used: int, used_hash: str, at: datetime
) -> str | None:
    """Why using version ``used`` (content ``used_hash``) at business time ``at`` is a
    stale version, or None.

    Not stale: the version in force at ``at`` (or any with the same content), or the
    one it replaced while the new one is younger than its ``[offline]
    accept_previous_hours``. Version 0 is a till's own configured programme: stale
    when a published version with other content is in force.
    """
    in_force = version_in_force(versions, at)
    if in_force is None or in_force.version == used or in_force.content_hash == used_hash:
        return None
    grace = timedelta(hours=in_force.programme.offline.accept_previous_hours)
    start = in_force.effective_from.astimezone(UTC)  # grace counts real hours, not clock hours
    previous = version_in_force(versions, start - timedelta(microseconds=1))
    if previous is not None and previous.version == used and at.astimezone(UTC) < start + grace:
        return None
    what = "the till's own configured programme" if used == 0 else f"version {used}"
    return (
        f"the sale at {at.isoformat()} used {what}, but version {in_force.version} "
        f"was in force from {in_force.effective_from.isoformat()}"
    )
