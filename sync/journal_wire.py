"""``GET /v1/terminal/events``: the ledger's copy of the calling terminal's events.

A till whose database was lost or damaged rebuilds its journal from this
(``pos-client recover``). Each event is returned as the till sent it: its stored
canonical document and its hash, so the till can recompute every hash and check
every link itself rather than trust the ledger's word. Pages are in sequence order;
``after`` is the ``next_after`` of the page before (0 for the first).
"""

from __future__ import annotations

from typing import Final

from pydantic import Field

from sync.wire_base import _Answer

DEFAULT_JOURNAL_LIMIT: Final = 500
MAX_JOURNAL_LIMIT: Final = 1000


class StoredEvent(_Answer):
    """One event of the terminal, exactly as the ledger stores it."""

    document: str
    """The event's content in the canonical encoding (what its hash covers)."""
    hash: str


class TerminalEventsResponse(_Answer):
    """A page of the terminal's events, in sequence order."""

    events: list[StoredEvent] = Field(default_factory=list)
    high_water: int
    """The terminal's last event the ledger holds, in the same snapshot."""
    last_hash: str
    """That event's hash (the genesis hash when it holds none)."""
    next_after: int | None = None
    """Pass as ``after`` for the next page; None: this page ends at ``high_water``."""
