"""The anomalies section: the queue of what the ledger flagged for a person to
decide, and the decision.

``GET /anomalies`` lists the open anomalies in scope (store managers: their stores'
terminals and members, :mod:`ledger.web.scope`), oldest first, filtered by kind and
store, optionally with the resolved ones. Opening it first records tills that went
quiet (:mod:`ledger.quiet_tills`, ``serve --quiet-hours``). ``POST
/anomalies/{id}/resolve`` marks one resolved with a reason
(:func:`ledger.anomaly_admin.resolve_anomaly`, which writes the audit entry in the
same transaction), naming the person.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ledger.anomaly_admin import MAX_REASON, AnomalyRow, list_anomalies, resolve_anomaly
from ledger.db import Tx
from ledger.errors import AdminError
from ledger.quiet_tills import DEFAULT_QUIET_HOURS, TILL_LAGGING, TILL_SILENT, flag_quiet_tills
from ledger.web.guard import Forbidden, database, now, posted_form, visitor
from ledger.web.once import claim
from ledger.web.rendering import SECURITY_HEADERS, page
from ledger.web.scope import may_see_anomaly, terminal_store
from ledger.web.sessions import Session

router = APIRouter()
Visitor = Annotated[Session, Depends(visitor)]

TITLES: Final[dict[str, str]] = {
    "overdraft": "Overdraft",
    "computation_mismatch": "Computation mismatch",
    "stale_version": "Stale programme version",
    "voucher_overuse": "Voucher used too often",
    "offer_overuse": "Offer used too often",
    "birthday_overuse": "Birthday reward used too often",
    "cap": "Over a cap",
    "cap_awards": "Over a cap",
    "cap_exceeded": "Over a cap",
    "gap": "Chain gap",
    "fork": "Chain fork",
    "conflict": "Conflicting event",
    "malformed": "Malformed event",
    "large_adjustment": "Large adjustment",
    "unknown_card": "Unknown card",
    "revoked_card": "Revoked card used",
    "duplicate_member": "Possible duplicate member",
    "unverified_approval": "Unverified approval",
    "voided": "Event voided at the till",
    "token_reused": "Member code used at two tills",
    TILL_SILENT: "Till silent",
    TILL_LAGGING: "Till lagging",
}
"""Each kind of anomaly in a person's words (an unknown kind shows as it is)."""

DONE: Final = {"resolved": "The anomaly is resolved; the decision is in the audit log."}


def title(kind: str) -> str:
    return TITLES.get(kind, kind.replace("_", " ").capitalize())


def quiet_hours(request: Request) -> int:
    return int(getattr(request.app.state, "quiet_hours", DEFAULT_QUIET_HOURS))


def _age(created_at: str, moment: datetime) -> str:
    try:
        then = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    except ValueError:
        return ""
    hours = max(0, int((moment - then).total_seconds() // 3600))
    return f"{hours // 24} d {hours % 24} h" if hours >= 24 else f"{hours} h"


def _rows(tx: Tx, session: Session, resolved_too: bool) -> list[tuple[AnomalyRow, str]]:
    """The anomalies this person may see, each with its terminal's store."""
    stores: dict[str, str] = {}
    shown = []
    for anomaly in list_anomalies(tx, resolved_too=resolved_too):
        if not may_see_anomaly(tx, session.person, anomaly):
            continue
        if anomaly.terminal_id not in stores:
            stores[anomaly.terminal_id] = terminal_store(tx, anomaly.terminal_id)
        shown.append((anomaly, stores[anomaly.terminal_id]))
    return shown


def _queue(
    request: Request,
    session: Session,
    *,
    kind: str = "",
    store: str = "",
    resolved: str = "",
    done: str = "",
    errors: dict[str, dict[str, str]] | None = None,
    values: dict[str, dict[str, str]] | None = None,
    status: int = 200,
) -> Response:
    moment = now(request)
    with database(request).write() as tx:
        flag_quiet_tills(tx, moment, quiet_hours(request))
    with database(request).snapshot() as tx:
        rows = _rows(tx, session, resolved_too=bool(resolved))
    kinds = sorted({a.kind for a, _ in rows})
    stores = sorted({s for _, s in rows if s})
    shown = [
        (a, s, title(a.kind), _age(a.created_at, moment))
        for a, s in rows
        if (not kind or a.kind == kind) and (not store or s == store)
    ]
    return page(
        "anomalies.html",
        session,
        status=status,
        rows=shown,
        kinds=[(k, title(k)) for k in kinds],
        stores=stores,
        kind=kind,
        store=store,
        resolved=resolved,
        done=DONE.get(done, ""),
        errors=errors or {},
        values=values or {},
        max_reason=MAX_REASON,
    )


@router.get("/anomalies", include_in_schema=False)
def anomalies(
    request: Request,
    session: Visitor,
    kind: str = "",
    store: str = "",
    resolved: str = "",
    done: str = "",
) -> Response:
    return _queue(request, session, kind=kind, store=store, resolved=resolved, done=done)


@router.post("/anomalies/{anomaly_id}/resolve", include_in_schema=False)
async def resolve(request: Request, anomaly_id: str, session: Visitor) -> Response:
    fields = await posted_form(request, session)
    reason = fields.get("reason", "").strip()
    if not reason or len(reason) > MAX_REASON:
        message = f"Say why, in 1 to {MAX_REASON} characters."
        return await run_in_threadpool(
            lambda: _queue(
                request,
                session,
                errors={anomaly_id: {"reason": message}},
                values={anomaly_id: {"reason": fields.get("reason", "")}},
                status=422,
            )
        )

    def work() -> str | None:
        with database(request).write() as tx:
            if claim(tx, session, fields, now(request)) is not None:
                return None  # sent twice: the first resolved it
            found = [a for a in list_anomalies(tx, resolved_too=True) if a.anomaly_id == anomaly_id]
            if not found:
                return "There is no such anomaly."
            if not may_see_anomaly(tx, session.person, found[0]):
                raise Forbidden("This anomaly belongs to another store than yours.")
            try:
                resolve_anomaly(tx, anomaly_id, reason, session.person.actor)
            except AdminError as error:
                return error.reason
        return None

    problem = await run_in_threadpool(work)
    if problem is not None:
        status = 404 if problem.startswith("There is no") else 409
        return await run_in_threadpool(
            lambda: _queue(
                request,
                session,
                resolved="1",
                errors={"_top": {"_form": f"Anomaly {anomaly_id}: {problem}"}},
                status=status,
            )
        )
    return RedirectResponse("/admin/anomalies?done=resolved", 303, headers=SECURITY_HEADERS)
