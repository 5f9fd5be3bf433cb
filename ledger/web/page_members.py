"""The members section: search, a member's page, and what a person may do there.

``GET /members`` searches (card, phone, name or member id; htmx asks for the results
alone as the person types). ``GET /members/{id}`` shows everything about a member
(:mod:`ledger.web.member_view`), their history optionally of one till. Actions, each
one transaction with its audit entry naming the person:

* ``POST /members/{id}/card``: a new card; the old one is revoked
  (:func:`ledger.admin.replace_card_in`);
* ``POST /members/{id}/status``: block or unblock (:func:`ledger.members.set_status`);
* ``POST /members/{id}/adjust``: post units to a wallet with a reason
  (:func:`ledger.member_adjust.adjust_member`).

Who may: head office, anything; a store manager, the same for the members in their
scope (those who shop at their stores), as they may at their tills: an adjustment
above the programme's ``flag_adjust_above`` becomes a ``large_adjustment`` anomaly
whoever made it, so a second person reviews it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ledger import admin, members, programmes
from ledger.audit import record_audit
from ledger.db import Tx
from ledger.errors import AdminError
from ledger.member_adjust import (
    MAX_NOTE,
    AdjustmentRefused,
    adjust_member,
)
from ledger.web.guard import FieldError, Forbidden, database, now, posted_form, visitor
from ledger.web.member_view import (
    MAX_RESULTS,
    consent_text,
    member_view,
    search,
    way_to_next_tier,
)
from ledger.web.once import claim, settle
from ledger.web.rendering import SECURITY_HEADERS, page
from ledger.web.scope import may_see_member
from ledger.web.sessions import Session
from loyalty.timezones import programme_zone

router = APIRouter()
Visitor = Annotated[Session, Depends(visitor)]
NOT_YOURS: Final = (
    "This member has not shopped at your stores, so their details are not shown here. "
    "Ask head office if you need them."
)
DONE: Final = {
    "adjusted": "The adjustment is recorded.",
    "flagged": "The adjustment is recorded, and flagged for review as a large adjustment.",
    "card": "The new card is in use; the old one is refused from now on.",
    "blocked": "The member is blocked.",
    "active": "The member is active again.",
}


@router.get("/members", include_in_schema=False)
def members_page(request: Request, session: Visitor, q: str = "") -> Response:
    with database(request).snapshot() as tx:
        found = search(tx, session.person, q)
    template = "members_results.html" if request.headers.get("hx-request") else "members.html"
    return page(template, session, q=q, found=found, max_results=MAX_RESULTS)


def _member_page(
    request: Request,
    session: Session,
    member_id: str,
    *,
    till: str = "",
    done: str = "",
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    with database(request).snapshot() as tx:
        view = member_view(tx, member_id, till)
        if view is None:
            return page(
                "message.html",
                session,
                status=404,
                heading="Not found",
                text="No member has this id.",
                back="/admin/members",
            )
        if not may_see_member(tx, session.person, member_id):
            raise Forbidden(NOT_YOURS)
        programme = programmes.programme_in_force(tx, now(request))
    today = now(request).astimezone(programme_zone(programme.timezone)).date()
    return page(
        "member.html",
        session,
        status=status,
        view=view,
        member=view.state,
        consent=consent_text(view.facts),
        till=till,
        wallets=[w.id for w in programme.wallets],
        next_tier=way_to_next_tier(programme, view.state, today),
        done=DONE.get(done, ""),
        errors=errors or {},
        values=values or {},
        max_note=MAX_NOTE,
    )


@router.get("/members/{member_id}", include_in_schema=False)
def member_page(
    request: Request, member_id: str, session: Visitor, till: str = "", done: str = ""
) -> Response:
    return _member_page(request, session, member_id, till=till, done=done)


def _in_scope(tx: Tx, session: Session, member_id: str) -> str:
    """The member's card, once the person may act on them; else 404/403."""
    row = tx.one("SELECT card FROM members WHERE member_id = ?", (member_id,))
    if row is None:
        raise AdminError("No member has this id.")
    if not may_see_member(tx, session.person, member_id):
        raise Forbidden(NOT_YOURS)
    return str(row[0])


async def _act(
    request: Request,
    session: Session,
    member_id: str,
    fields: dict[str, str],
    work: Callable[[Tx, str], str],
) -> Response:
    """Run ``work(tx, card)`` (it returns the done key) in one transaction, once per
    form (:mod:`ledger.web.once`); when it refuses (:class:`FieldError`, or the
    ledger's :class:`AdminError`), nothing is recorded and the member's page comes
    back with the message next to the field."""

    def run() -> str | FieldError:
        try:
            with database(request).write() as tx:
                earlier = claim(tx, session, fields, now(request))
                if earlier is not None:  # sent twice: the first did the work
                    return earlier or f"/admin/members/{member_id}"
                done = work(tx, _in_scope(tx, session, member_id))
                location = f"/admin/members/{member_id}?done={done}"
                settle(tx, fields, location)
                return location
        except FieldError as refused:
            return refused
        except AdjustmentRefused as error:
            return FieldError(error.field, error.reason)
        except AdminError as error:
            return FieldError("_form", error.reason)

    outcome = await run_in_threadpool(run)
    if isinstance(outcome, FieldError):
        errors = {outcome.field: outcome.message}
        return await run_in_threadpool(
            lambda: _member_page(
                request, session, member_id, errors=errors, values=fields, status=422
            )
        )
    return RedirectResponse(outcome, 303, headers=SECURITY_HEADERS)


@router.post("/members/{member_id}/adjust", include_in_schema=False)
async def adjust(request: Request, member_id: str, session: Visitor) -> Response:
    fields = await posted_form(request, session)

    def work(tx: Tx, _: str) -> str:
        text = fields.get("units", "").strip().replace(" ", "")
        try:
            units = int(text)
        except ValueError:
            raise FieldError("units", "A whole number, like 250 or -100.") from None
        done = adjust_member(
            tx,
            member_id,
            fields.get("wallet", ""),
            units,
            fields.get("note", ""),
            session.person.actor,
            now(request),
        )
        return "flagged" if done.flagged else "adjusted"

    return await _act(request, session, member_id, fields, work)


@router.post("/members/{member_id}/card", include_in_schema=False)
async def replace_card(request: Request, member_id: str, session: Visitor) -> Response:
    fields = await posted_form(request, session)

    def work(tx: Tx, card: str) -> str:
        new = "".join(fields.get("new_card", "").split())
        if not new:
            raise FieldError("new_card", "Scan or type the new card's number.")
        try:
            admin.replace_card_in(tx, card, new)
        except AdminError as error:
            raise FieldError("new_card", error.reason) from None
        record_audit(
            tx, session.person.actor, "member.replace_card", member_id, {"old": card, "new": new}
        )
        return "card"

    return await _act(request, session, member_id, fields, work)


@router.post("/members/{member_id}/status", include_in_schema=False)
async def set_status(request: Request, member_id: str, session: Visitor) -> Response:
    fields = await posted_form(request, session)

    def work(tx: Tx, card: str) -> str:
        status = fields.get("status", "")
        if status not in ("blocked", "active"):
            raise FieldError("status", "Choose block or unblock.")
        members.set_status(tx, card, status)
        record_audit(
            tx, session.person.actor, f"member.{'block' if status == 'blocked' else 'unblock'}",
            member_id, {"card": card},
        )  # fmt: skip
        return status

    return await _act(request, session, member_id, fields, work)
