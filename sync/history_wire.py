"""``GET /v1/members/{member_id}/events``: a member's history, for a manager at the till.

Newest first, a page at a time: ``before`` is the ``next_before`` of the page
before (the ledger's own order, ``ledger_seq``), so paging is stable while new
events arrive. Events of a member merged into this one are included.
"""

from __future__ import annotations

from typing import Final

from pydantic import Field

from sync.wire_base import _Answer

MAX_HISTORY_LIMIT: Final = 100
DEFAULT_HISTORY_LIMIT: Final = 20


class HistoryEvent(_Answer):
    """One applied event of the member, as a manager reads it."""

    ledger_seq: int
    """The ledger's order of applied events."""
    terminal_id: str
    seq: int
    kind: str
    business_time: str
    """When it happened, the till's local time with its offset (UTC for release
    0.1.0's events, which carry only the till's clock)."""
    store: str
    operator: str = ""
    """The staff number signed in at the till (empty when the event names none)."""
    postings: dict[str, int] = Field(default_factory=dict)
    flags: list[str] = Field(default_factory=list)
    """The anomalies the ledger raised about it (``overdraft``, ``revoked_card``, ...)."""


class MemberHistoryResponse(_Answer):
    """A page of a member's history, newest first."""

    events: list[HistoryEvent] = Field(default_factory=list)
    next_before: int | None = None
    """Pass as ``before`` for the next (older) page; None: this was the oldest."""
