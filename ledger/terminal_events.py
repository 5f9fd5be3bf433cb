"""``GET /v1/terminal/events``: a terminal reads back its own events (docs/PROTOCOL.md).

Only the events of the terminal whose token made the request, so one till's token
never reveals another's journal. The answer carries each stored document and hash
as the till sent them, with the terminal's high water and last hash read in the same
snapshot, so a till rebuilding its journal can check that it got all of it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from ledger.auth import TerminalId, database
from ledger.routes import ERROR_RESPONSES
from ledger.terminals import terminal_position
from sync.protocol import (
    DEFAULT_JOURNAL_LIMIT,
    MAX_JOURNAL_LIMIT,
    StoredEvent,
    TerminalEventsResponse,
)

router = APIRouter()


@router.get(
    "/v1/terminal/events",
    response_model=TerminalEventsResponse,
    tags=["sync"],
    responses=ERROR_RESPONSES,
)
def terminal_events(
    request: Request,
    terminal_id: TerminalId,
    after: Annotated[int, Query(ge=0, description="next_after of the page before")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_JOURNAL_LIMIT)] = DEFAULT_JOURNAL_LIMIT,
) -> Response:
    """The calling terminal's stored events with ``seq > after``, in order."""
    with database(request).snapshot() as tx:
        rows = tx.query(
            "SELECT seq, document, hash FROM events WHERE terminal_id = ? AND seq > ? "
            "ORDER BY seq LIMIT ?",
            (terminal_id, after, limit),
        )
        high_water, last_hash = terminal_position(tx, terminal_id)
    events = [StoredEvent(document=str(r[1]), hash=str(r[2])) for r in rows]
    last = int(rows[-1][0]) if rows else after
    page = TerminalEventsResponse(
        events=events,
        high_water=high_water,
        last_hash=last_hash,
        next_after=last if rows and last < high_water else None,
    )
    return Response(content=page.model_dump_json(), media_type="application/json")
