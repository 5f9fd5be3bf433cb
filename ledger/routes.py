"""The HTTP routes of protocol version 1 (docs/PROTOCOL.md has examples).

Database work runs in the thread pool (the storage layer is synchronous); answers
are serialized straight from the protocol models. ``POST /v1/events`` parses its
body itself with pydantic's JSON parser: it is the hot path (a till drains its queue
through it) and the manual parse also lets it answer an over-long batch with 413.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from ledger import feed, members, programmes, service
from ledger.auth import TerminalId, database
from ledger.card_ranges import allocate_range, terminal_ranges
from ledger.epochs import (
    current_epoch,
    cursor_owner,
    observed_epoch,
    upgrade_cursor,
)
from ledger.errors import AdminError, Forbidden, Invalid, NotFound, TooLarge, describe_validation
from ledger.history import member_history_page
from ledger.terminal_reports import note_contact, note_push
from ledger.terminals import terminal_position
from ledger.voids import voids_of
from sync.protocol import (
    DEFAULT_CHANGES_LIMIT,
    DEFAULT_HISTORY_LIMIT,
    MAX_CHANGES_LIMIT,
    MAX_EVENTS_PER_BATCH,
    MAX_HISTORY_LIMIT,
    PROTOCOL_VERSION,
    TILL_CONFIRMED_HEADER,
    TILL_EPOCH_HEADER,
    CardRangesResponse,
    ChangesResponse,
    ErrorResponse,
    HealthResponse,
    MemberHistoryResponse,
    MemberResponse,
    PushRequest,
    PushResponse,
    RulesResponse,
    wire_problem,
)

router = APIRouter()
_HASH = re.compile(r"^[0-9a-f]{64}$")

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "No token, or a token the ledger never issued"},
    403: {"model": ErrorResponse, "description": "A revoked terminal"},
    422: {"model": ErrorResponse, "description": "The request does not match the protocol"},
}


def _json(model: BaseModel) -> Response:
    return Response(content=model.model_dump_json(), media_type="application/json")


def _plain_json(answer: Mapping[str, object]) -> Response:
    """An answer built as plain data, with the shape of its response model."""
    body = json.dumps(answer, separators=(",", ":"), ensure_ascii=False)
    return Response(content=body.encode(), media_type="application/json")


@router.get("/health", response_model=HealthResponse, tags=["status"])
def health(request: Request) -> Response:
    """The server is up and its database answers. No authentication."""
    ledger_id = request.app.state.ledger_id
    with database(request).snapshot() as tx:
        epoch = current_epoch(tx, ledger_id)
    return _json(
        HealthResponse(status="ok", protocol=PROTOCOL_VERSION, ledger_id=ledger_id, epoch=epoch)
    )


@router.post(
    "/v1/events",
    response_model=PushResponse,
    tags=["sync"],
    responses={
        **ERROR_RESPONSES,
        403: {"model": ErrorResponse, "description": "Revoked, or events of another terminal"},
        413: {"model": ErrorResponse, "description": "Body or batch too large"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/PushRequest"}}
            },
        }
    },
)
async def push_events(request: Request, terminal_id: TerminalId) -> Response:
    """Push a batch of this terminal's events, in sequence order (exactly once)."""
    body = await request.body()
    db = database(request)

    clock = request.app.state.clock

    def run() -> Response:
        try:
            with request.app.state.push_gate:  # see ledger.app: a few pushes at once
                batch, answer = work()
        except Exception:
            note_contact(db, terminal_id, clock())  # heard from, though refused
            raise
        # After the push's own commit and outside the gate; never fails the push.
        results: Any = answer["results"]
        note_push(db, terminal_id, batch.report, batch.events, results, clock())
        return _plain_json(answer)

    def work() -> tuple[PushRequest, dict[str, object]]:
        batch = _parse_push(body)
        if batch.terminal_id != terminal_id or any(
            e.get("terminal_id") != terminal_id for e in batch.events
        ):
            raise Forbidden(
                f"This token belongs to terminal {terminal_id}; it may push only its own events."
            )
        epoch = _epoch(request, terminal_id)
        voids = [v.model_dump() for v in batch.voids]
        answer = service.push_answer(db, terminal_id, list(batch.events), clock, voids)
        return batch, {**answer, "epoch": epoch, "reports": True}

    return await run_in_threadpool(run)


def _parse_push(body: bytes) -> PushRequest:
    try:
        batch = PushRequest.model_validate_json(body)
    except ValidationError as exc:
        raise Invalid(describe_validation(list(exc.errors()))) from None
    if len(batch.events) > MAX_EVENTS_PER_BATCH:
        raise TooLarge(
            f"A batch holds at most {MAX_EVENTS_PER_BATCH} events; this one has "
            f"{len(batch.events)}. Send them in smaller batches."
        )
    voided = voids_of(batch.events, [v.model_dump() for v in batch.voids])
    for index, event in enumerate(batch.events):
        problem = (
            _voided_problem(event) if str(event.get("event_id")) in voided else wire_problem(event)
        )
        if problem is not None:
            raise Invalid(f"events[{index}].{problem[0]}: {problem[1]}")
    return batch


def _voided_problem(event: Mapping[str, Any]) -> tuple[str, str] | None:
    """A voided event's fields are not checked, but it must still name its place in
    the chain (:mod:`ledger.voids`)."""
    if not isinstance(event.get("hash"), str) or not _HASH.match(event["hash"]):
        return "hash", "must be 64 hex digits"
    if not isinstance(event.get("prev_hash"), str):
        return "prev_hash", "must be the hash of the previous event"
    if not isinstance(event.get("seq"), int) or isinstance(event.get("seq"), bool):
        return "seq", "must be a whole number"
    return None


@router.get("/v1/changes", response_model=ChangesResponse, tags=["sync"], responses=ERROR_RESPONSES)
def changes(
    request: Request,
    terminal_id: TerminalId,
    since: Annotated[
        str | None, Query(max_length=200, description="next_cursor of the last pull")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_CHANGES_LIMIT)] = DEFAULT_CHANGES_LIMIT,
) -> Response:
    """Member upserts, programme versions, products and revoked cards after ``since``,
    in ledger order."""
    ledger_id = request.app.state.ledger_id
    epoch = _epoch(request, terminal_id, since)
    since = upgrade_cursor(ledger_id, epoch, since)
    owner = cursor_owner(ledger_id, epoch)
    with database(request).snapshot() as tx:
        body = feed.changes_json(
            tx, owner, terminal_id, since, limit, {"epoch": epoch, "reports": True}
        )
    note_contact(database(request), terminal_id, request.app.state.clock())
    return Response(content=body, media_type="application/json")


def _epoch(request: Request, terminal_id: str, since: str | None = None) -> str:
    """The epoch to answer with (:mod:`ledger.epochs`: a till showing that the
    ledger's data is older than it has seen begins a new one)."""
    return observed_epoch(
        database(request),
        request.app.state.ledger_id,
        terminal_id,
        request.state.epoch_view,
        request.headers.get(TILL_EPOCH_HEADER),
        request.headers.get(TILL_CONFIRMED_HEADER),
        since,
    )


@router.get(
    "/v1/members/{card}",
    response_model=MemberResponse,
    tags=["members"],
    responses={
        **ERROR_RESPONSES,
        404: {"model": ErrorResponse, "description": "No member has this card"},
    },
)
def member(request: Request, terminal_id: TerminalId, card: str) -> Response:
    """One member by card, with the caller's high water read in the same snapshot."""
    with database(request).snapshot() as tx:
        if members.revoked_card_owner(tx, card) is not None:
            raise NotFound(f"Card {card} was revoked; ask the member for their new card.")
        state = members.member_by_card(tx, card)
        if state is None:
            raise NotFound(f"No member has card {card}.")
        high_water, _ = terminal_position(tx, terminal_id)
    return _json(MemberResponse(member=state, high_water=high_water))


@router.get(
    "/v1/members/{member_id}/events",
    response_model=MemberHistoryResponse,
    tags=["members"],
    responses={**ERROR_RESPONSES, 404: {"model": ErrorResponse, "description": "No such member"}},
)
def member_events(
    request: Request,
    terminal_id: TerminalId,
    member_id: str,
    before: Annotated[
        int | None, Query(ge=1, description="next_before of the page before (newest first)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_HISTORY_LIMIT)] = DEFAULT_HISTORY_LIMIT,
) -> Response:
    """A member's applied events, newest first, a page at a time (for a manager)."""
    with database(request).snapshot() as tx:
        page = member_history_page(tx, member_id, before, limit)
    return _plain_json(page)


@router.post(
    "/v1/card-ranges",
    response_model=CardRangesResponse,
    tags=["members"],
    responses=ERROR_RESPONSES,
)
def card_ranges(request: Request, terminal_id: TerminalId) -> Response:
    """Allocate one more block of enrolment card numbers to this terminal; answers
    every range it holds."""
    with database(request).write() as tx:
        try:
            allocate_range(tx, terminal_id)
        except AdminError as exc:
            raise Invalid(exc.reason) from None
        ranges = terminal_ranges(tx, terminal_id)
    return _plain_json({"ranges": ranges})


@router.get("/v1/rules", response_model=RulesResponse, tags=["rules"], responses=ERROR_RESPONSES)
def current_rules(request: Request, terminal_id: TerminalId) -> Response:
    """The programme version in force now (versions also come in the changes feed)."""
    with database(request).snapshot() as tx:
        state = programmes.in_force_row(tx)
    return _plain_json(state)
