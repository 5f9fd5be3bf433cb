"""The terminals section of the web pages: every till, how long since it was heard
from, what it still has to send, and what it runs; head office revokes a terminal or
gives it a new token here.

What is guaranteed:

* A store manager sees only the terminals of their stores
  (:func:`ledger.web.scope.may_see_terminal`); another store's terminal is answered
  404 like one that does not exist, and every action is head office's only (403).
* Revoking and rotating each write their audit row naming the person in the same
  transaction as the change (:mod:`ledger.terminals` does not audit itself), and
  each needs its confirm box ticked, checked here on the server.
* A new token is shown once, in the answer to the POST that made it (never in an
  address, never cached: ``Cache-Control: no-store``); the ledger keeps only its
  hash.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Final
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ledger import programmes, qr_keys
from ledger.audit import record_audit
from ledger.db import Tx
from ledger.errors import AdminError
from ledger.terminal_reports import (
    SORTS,
    TerminalOverview,
    keyset_published,
    sorted_overview,
    terminal_overview,
)
from ledger.terminals import LEDGER_TERMINAL, revoke_terminal, rotate_token
from ledger.web.guard import database, now, posted_form, require_head_office, visitor
from ledger.web.once import claim
from ledger.web.rendering import SECURITY_HEADERS, page
from ledger.web.scope import may_see_terminal, terminal_store
from ledger.web.sessions import Session

router = APIRouter()
Visitor = Annotated[Session, Depends(visitor)]

DONE: Final = {
    "revoked": "The terminal is revoked: the ledger refuses its token from now on.",
}
"""The fixed messages a ``?done=`` may show (nothing from the address is echoed)."""
CONFIRM: Final = "confirm"
"""The checkbox every action's form must have ticked."""
CONFIRMED: Final = "yes"


@dataclass(frozen=True)
class Chain:
    """What every terminal is compared with: the programme version in force at the
    ledger and the newest member QR keyset (None: none yet)."""

    version_in_force: int | None
    newest_keyset: int | None
    newest_keyset_at: str | None


def _chain(tx: Tx, moment: datetime) -> Chain:
    try:
        version: int | None = int(programmes.in_force_row(tx, moment)["version"])
    except AdminError:
        version = None
    newest = qr_keys.newest_keyset(tx)
    number = None if newest is None else newest.keyset.number
    published = None if number is None else keyset_published(tx).get(number)
    return Chain(version, number, published)


def age_words(seconds: float | None) -> str:
    """A duration as people say it: ``just now``, ``5 min``, ``3 h 10 min``, ``2 days``."""
    if seconds is None:
        return "—"
    minutes = int(seconds // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours // 24} days"


def _visible(tx: Tx, session: Session, moment: datetime) -> list[TerminalOverview]:
    """Every terminal the person may see, with its store (reported, else the store of
    its latest event: :func:`ledger.web.scope.terminal_store`)."""
    rows = terminal_overview(tx, moment, lambda terminal_id: terminal_store(tx, terminal_id))
    person = session.person
    return [r for r in rows if person.head_office or may_see_terminal(tx, person, r.terminal_id)]


def _one(tx: Tx, session: Session, moment: datetime, terminal_id: str) -> TerminalOverview | None:
    """The terminal if it exists and the person may see it; else None (a 404)."""
    if not may_see_terminal(tx, session.person, terminal_id):
        return None
    rows = terminal_overview(tx, moment, lambda found: terminal_store(tx, found))
    return next((r for r in rows if r.terminal_id == terminal_id), None)


@router.get("/terminals", include_in_schema=False)
def terminals_page(
    session: Visitor, request: Request, sort: str = "quiet", done: str = ""
) -> Response:
    """The table of terminals, the quietest (or the most behind) first."""
    sort = sort if sort in SORTS else "quiet"
    moment = now(request)
    with database(request).snapshot() as tx:
        rows = sorted_overview(_visible(tx, session, moment), sort)
        chain = _chain(tx, moment)
    return page(
        "terminals.html",
        session,
        rows=rows,
        chain=chain,
        sort=sort,
        sorts=SORTS,
        done=DONE.get(done, ""),
        age=age_words,
    )


def _not_found(session: Session) -> Response:
    """404 alike for a terminal that does not exist and one of another store."""
    return page(
        "message.html",
        session,
        status=404,
        heading="No such terminal",
        text="There is no such terminal, or it is not one of your stores'.",
        back="/admin/terminals",
    )


def _detail(
    request: Request,
    session: Session,
    terminal_id: str,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    done: str = "",
) -> Response:
    moment = now(request)
    with database(request).snapshot() as tx:
        row = _one(tx, session, moment, terminal_id)
        chain = _chain(tx, moment)
    if row is None:
        return _not_found(session)
    return page(
        "terminal.html",
        session,
        status=status,
        row=row,
        chain=chain,
        errors=errors or {},
        values={},
        done=done,
        age=age_words,
        path=_path(terminal_id),
    )


def _path(terminal_id: str) -> str:
    return f"/admin/terminals/{quote(terminal_id, safe='')}"


@router.get("/terminals/{terminal_id}", include_in_schema=False)
def terminal_page(session: Visitor, request: Request, terminal_id: str, done: str = "") -> Response:
    """One terminal: its report, and head office's actions."""
    return _detail(request, session, terminal_id, done=DONE.get(done, ""))


async def _action(
    request: Request, session: Session, terminal_id: str, action: str, what: str
) -> tuple[Response | None, dict[str, str]]:
    """The checks every action makes, in this order: the form's CSRF token, head
    office, the terminal exists, the confirm box. (A refusal as a response, the
    confirm box's error keyed by ``action``, the form it belongs to; else None, and
    the form's fields.)"""
    fields = await posted_form(request, session)
    require_head_office(session, what)
    exists = await run_in_threadpool(_exists, request, terminal_id)
    if not exists:
        return _not_found(session), fields
    if fields.get(CONFIRM) != CONFIRMED:
        errors = {action: f"Tick the box to confirm that you mean to {what}."}
        answer = await run_in_threadpool(
            lambda: _detail(request, session, terminal_id, status=422, errors=errors)
        )
        return answer, fields
    return None, fields


def _exists(request: Request, terminal_id: str) -> bool:
    """A till of the ledger (the ledger's own chain is none: it never gets a token)."""
    if terminal_id == LEDGER_TERMINAL:
        return False
    with database(request).snapshot() as tx:
        return tx.one("SELECT 1 FROM terminals WHERE terminal_id = ?", (terminal_id,)) is not None


@router.post("/terminals/{terminal_id}/revoke", include_in_schema=False)
async def revoke(session: Visitor, request: Request, terminal_id: str) -> Response:
    """Refuse the terminal's token from now on (its events stay); audited."""
    refused, _ = await _action(request, session, terminal_id, "revoke", "revoke a terminal")
    if refused is not None:
        return refused

    def work() -> str | None:
        with database(request).write() as tx:
            row = tx.one("SELECT revoked_at FROM terminals WHERE terminal_id = ?", (terminal_id,))
            if row is not None and row[0] is not None:
                return str(row[0])
            revoke_terminal(tx, terminal_id)
            record_audit(tx, session.person.actor, "terminal.revoke", terminal_id, {})
        return None

    already = await run_in_threadpool(work)
    if already is not None:
        errors = {"_form": f"Terminal {terminal_id} was revoked already, on {already}."}
        return await run_in_threadpool(
            lambda: _detail(request, session, terminal_id, status=409, errors=errors)
        )
    return RedirectResponse(
        f"{_path(terminal_id)}?done=revoked", status_code=303, headers=SECURITY_HEADERS
    )


@router.post("/terminals/{terminal_id}/rotate", include_in_schema=False)
async def rotate(session: Visitor, request: Request, terminal_id: str) -> Response:
    """A new token for the terminal, shown once in this answer; the old one is
    refused from now on and a revocation is lifted. Audited."""
    what = "give a terminal a new token"
    refused, fields = await _action(request, session, terminal_id, "rotate", what)
    if refused is not None:
        return refused

    def work() -> tuple[str, bool]:
        with database(request).write() as tx:
            if claim(tx, session, fields, now(request)) is not None:
                return "", False  # sent twice: the first answer showed the token
            row = tx.one("SELECT revoked_at FROM terminals WHERE terminal_id = ?", (terminal_id,))
            was_revoked = row is not None and row[0] is not None
            token = rotate_token(tx, terminal_id)
            detail: dict[str, Any] = {"was_revoked": was_revoked}
            record_audit(tx, session.person.actor, "terminal.rotate", terminal_id, detail)
        return token, was_revoked

    token, was_revoked = await run_in_threadpool(work)
    return page(
        "terminal_token.html",
        session,
        terminal_id=terminal_id,
        token=token,
        was_revoked=was_revoked,
        path=_path(terminal_id),
    )
