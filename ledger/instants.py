"""When an event happened, as the ledger reads it for lots and tiers.

A schema 2 event's ``business_time`` was checked at the door (local time with its
UTC offset). Release 0.1.0's events have only ``recorded_at``, checked as text: one
without an offset is read as UTC, and one that is not a time at all as
:data:`LONG_AGO` (before any programme version, so it earns into a lot that never
expires and counts for no tier), rather than failing the whole push.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def instant(text: str) -> datetime:
    """``text`` as an aware instant (see the module doc)."""
    try:
        found = datetime.fromisoformat(text)
    except ValueError:
        return LONG_AGO
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


def business_time(content: Mapping[str, Any]) -> datetime:
    """When an event happened: its ``business_time`` (release 0.1.0's: recorded_at)."""
    return instant(str(content.get("business_time") or content.get("recorded_at") or ""))
