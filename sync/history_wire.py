"""A member's history as the ledger answers a till: ``GET /v1/members/{id}/events``.

Part of the wire protocol. The ledger lists the member's events newest first, a page
at a time; ``next_before`` is the ``before`` of the next (older) page, None after the
last one.
"""

from __future__ import annotations

from pydantic import Field

from sync.wire_base import _Answer


class MemberHistoryEvent(_Answer):
    """One event of the member at the ledger, whichever till (or the ledger) recorded it."""

    ledger_seq: int
    """The ledger's own order; pages are cut by it."""
    terminal_id: str
    seq: int
    """The event's number in its terminal's sequence (a receipt number at that till)."""
    kind: str
    business_time: str
    """Local wall time with UTC offset, as the till recorded it."""
    store: str
    operator: str = ""
    postings: dict[str, int] = Field(default_factory=dict)
    flags: list[str] = Field(default_factory=list)
    """What the ledger flagged on this event (``overdraft``, ``large_adjustment``...)."""


class MemberHistoryResponse(_Answer):
    """A page of a member's events, newest first."""

    events: list[MemberHistoryEvent]
    next_before: int | None = None
    """Pass as ``before`` for the next page; None when there is none."""
