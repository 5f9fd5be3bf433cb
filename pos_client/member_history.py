"""A member's history as rows for the manager: from the ledger, or from this till alone.

Pure functions: the Till reads the events (the ledger's answer, or its own journal
when the ledger cannot be reached) and these turn each into a
:class:`~pos_client.member_desk_views.HistoryRow` in the till's local time, with the
kind in :mod:`pos_client.wording`'s words and the points per wallet.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo

from loyalty.events import Event
from loyalty.programme.model import QUALIFYING_SPEND, STAMPS_PREFIX
from pos_client import wording
from pos_client.member_desk_views import HistoryRow, RowState
from pos_client.store.receipt_shift import NO_SHIFT, ReceiptNumbering
from pos_client.views import receipt_number
from sync.history_wire import HistoryEvent


def local_when(text: str, zone: tzinfo | None) -> str:
    """``YYYY-MM-DD HH:MM`` of an ISO 8601 time in the till's zone (as given when
    it cannot be read)."""
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if at.tzinfo is not None and zone is not None:
        at = at.astimezone(zone)
    return at.strftime("%Y-%m-%d %H:%M")


def wallet_points(postings: Mapping[str, int]) -> dict[str, int]:
    """The postings a member collects as points or bonus (stamps and qualifying
    spend left out)."""
    return {
        account: amount
        for account, amount in sorted(postings.items())
        if account != QUALIFYING_SPEND and not account.startswith(STAMPS_PREFIX)
    }


def row_of_event(
    event: Event,
    confirmed_seq: int,
    zone: tzinfo | None,
    numbering: ReceiptNumbering = NO_SHIFT,
) -> HistoryRow:
    """One of this till's journal events as a row (``confirmed`` up to the mark)."""
    when = str(event.get("business_time") or event.recorded_at)
    return HistoryRow(
        when=local_when(when, zone),
        what=wording.kind_title(str(event.kind)),
        where=f"{event.get('store', '')} / {event.terminal_id}".strip(" /"),
        receipt_no=receipt_number(event.terminal_id, numbering.number_of(event.seq)),
        points=wallet_points(event.postings),
        operator=str(event.get("operator") or ""),
        state="confirmed" if event.seq <= confirmed_seq else "pending",
    )


def row_of_ledger_event(
    event: HistoryEvent,
    terminal_id: str,
    zone: tzinfo | None,
    numbering: ReceiptNumbering = NO_SHIFT,
) -> HistoryRow:
    """One event of the ledger's history as a row: this till's show their receipt
    number (and are confirmed: the ledger holds them), others are ``ledger``."""
    ours = event.terminal_id == terminal_id
    state: RowState = "confirmed" if ours else "ledger"
    return HistoryRow(
        when=local_when(event.business_time, zone),
        what=wording.kind_title(event.kind),
        where=f"{event.store} / {event.terminal_id}".strip(" /"),
        receipt_no=receipt_number(event.terminal_id, numbering.number_of(event.seq))
        if ours
        else "",
        points=wallet_points(event.postings),
        operator=event.operator,
        state=state,
        flags=tuple(event.flags),
    )
