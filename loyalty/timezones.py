"""Programme time zones, read from the pinned ``tzdata`` package only.

The system's zone files differ between machines (and change with OS updates), and a
weekend campaign must start at the same instant on every till and at the ledger. So
zones are loaded from the ``tzdata`` package that the project pins, never from
``/usr/share/zoneinfo``: two machines with the same release agree, across a DST rule
change too.
"""

from __future__ import annotations

import importlib.resources
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo


class UnknownTimeZone(ValueError):
    """The name is not an IANA time zone in the pinned tzdata."""


@lru_cache(maxsize=64)
def programme_zone(name: str) -> ZoneInfo:
    """The zone called ``name`` (``Europe/Oslo``) from the pinned tzdata package."""
    parts = name.split("/")
    if not name or any(not p or p in (".", "..") for p in parts):
        raise UnknownTimeZone(f'{name!r} is not a time zone name like "Europe/Oslo"')
    resource = importlib.resources.files("tzdata.zoneinfo")
    for part in parts:
        resource = resource.joinpath(part)
    try:
        with resource.open("rb") as handle:
            return ZoneInfo.from_file(handle, key=name)
    except (OSError, ValueError) as error:
        raise UnknownTimeZone(
            f'{name!r} is not a known time zone (IANA name like "Europe/Oslo")'
        ) from error


def local_time(at: datetime, name: str) -> datetime:
    """``at`` as wall time in the zone ``name``: what weekday, time and date conditions
    look at. Through UTC: a wall time the clocks skip, given in that zone itself, is
    read as the instant it stands for (astimezone alone would leave it unchanged)."""
    return at.astimezone(UTC).astimezone(programme_zone(name))


def tzdata_version() -> str:
    """The pinned tzdata release in use (for docs and diagnostics)."""
    from importlib.metadata import version

    return version("tzdata")
