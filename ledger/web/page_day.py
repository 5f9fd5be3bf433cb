"""The day section: a business day per store, till and cashier, and its CSV.

``GET /day?date=YYYY-MM-DD&store=S`` shows :func:`ledger.day_report.chain_day` for
the day (today in the programme's time zone when none is given), of one store or of
every store the person may see; ``GET /day.csv`` is the same day as a download, one
row per store, till and cashier (:data:`ledger.day_report.CSV_COLUMNS`). A store
manager sees their own stores only, and is refused another's with words.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from ledger import programmes
from ledger.day_report import ChainDay, chain_day, csv_text, day_bounds, units
from ledger.web.guard import Forbidden, database, now, visitor
from ledger.web.rendering import SECURITY_HEADERS, page
from ledger.web.scope import terminal_store
from ledger.web.sessions import Session
from loyalty.timezones import programme_zone

router = APIRouter()
Visitor = Annotated[Session, Depends(visitor)]
DayQuery = Annotated[str, Query(alias="date")]
BAD_DATE: Final = "A date like 2026-12-04."


def _stores(session: Session, store: str) -> frozenset[str] | None:
    """The stores to count: one asked for, else the person's (None: every store)."""
    person = session.person
    if store:
        if not person.may_see_store(store):
            raise Forbidden(f"Store {store} is not one of yours.")
        return frozenset({store})
    return None if person.head_office else person.stores


def _report(
    request: Request, session: Session, day: date, store: str
) -> tuple[ChainDay, list[str]]:
    """The day's figures, and the stores the person may choose among that day."""
    stores = _stores(session, store)
    with database(request).snapshot() as tx:
        timezone = programmes.programme_in_force(tx, now(request)).timezone
        report = chain_day(tx, day, timezone, stores)
        if not session.person.head_office:
            return report, sorted(session.person.stores)
        start, end = day_bounds(day, timezone)
        tills = tx.query(
            "SELECT DISTINCT terminal_id FROM events WHERE business_at >= ? AND business_at < ?",
            (start, end),
        )
        choices = {terminal_store(tx, str(r[0])) for r in tills} | ({store} if store else set())
    return report, sorted(choices - {""})


def _today(request: Request) -> date:
    with database(request).snapshot() as tx:
        timezone = programmes.programme_in_force(tx, now(request)).timezone
    return now(request).astimezone(programme_zone(timezone)).date()


@router.get("/day", include_in_schema=False)
def day_page(
    request: Request, session: Visitor, day_text: DayQuery = "", store: str = ""
) -> Response:
    text = day_text.strip()
    values = {"date": text, "store": store}
    try:
        day = _parse(text) if text else _today(request)
    except ValueError:
        return page("day.html", session, status=422, values=values, errors={"date": BAD_DATE},
                    report=None, units=units, stores=sorted(session.person.stores))  # fmt: skip
    values["date"] = day.isoformat()
    report, choices = _report(request, session, day, store)
    return page("day.html", session, values=values, errors={}, report=report, units=units,
                stores=choices)  # fmt: skip


def _parse(text: str) -> date:
    return date.fromisoformat(text)


@router.get("/day.csv", include_in_schema=False)
def day_csv(
    request: Request, session: Visitor, day_text: DayQuery = "", store: str = ""
) -> Response:
    text = day_text.strip()
    try:
        day = _parse(text) if text else _today(request)
    except ValueError:
        return Response(f"{BAD_DATE}\n", status_code=422, media_type="text/plain")
    report, _ = _report(request, session, day, store)
    name = f"day-{day.isoformat()}{'-' + store if store else ''}.csv"
    headers = {**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
    return Response(csv_text(report), media_type="text/csv; charset=utf-8", headers=headers)
