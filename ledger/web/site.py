"""The ledger's web pages at ``/admin/``: sign-in and sign-out, the home page, the
static files, and the answers for a visitor who is not signed in, not allowed, or
sent a form without its CSRF token. The sections are routers of their own
(:data:`SECTION_ROUTERS`); :func:`install` adds everything to the ledger's app, so
one process and one set of models serve tills and people.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated, Final

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from ledger.anomaly_admin import list_anomalies
from ledger.audit import record_audit
from ledger.web import page_anomalies, page_day, page_members, page_terminals, page_versions
from ledger.web.accounts import SignInRefused, account, sign_in
from ledger.web.guard import (
    CsrfRefused,
    Forbidden,
    NeedSignIn,
    database,
    now,
    posted_form,
    safe_next,
    visitor,
)
from ledger.web.rendering import SECURITY_HEADERS, page
from ledger.web.scope import may_see_anomaly
from ledger.web.sessions import (
    ABSOLUTE_HOURS,
    COOKIE,
    Session,
    current_session,
    end_expired,
    end_session,
    start_session,
)

SIGN_IN_COOKIE: Final = "ledger_sign_in"
STATIC: Final = Path(__file__).parent / "static"
SECTION_ROUTERS: Final = (
    page_members.router,
    page_anomalies.router,
    page_terminals.router,
    page_day.router,
    page_versions.router,
)

router = APIRouter(prefix="/admin")
Visitor = Annotated[Session, Depends(visitor)]


def _secure(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "")
    return request.url.scheme == "https" or forwarded == "https"


@router.get("/", include_in_schema=False)
def home(session: Visitor, request: Request) -> Response:
    with database(request).snapshot() as tx:
        open_anomalies = [a for a in list_anomalies(tx) if may_see_anomaly(tx, session.person, a)]
    return page("home.html", session, counts={"Anomalies": len(open_anomalies)})


@router.get("/sign-in", include_in_schema=False)
def sign_in_page(request: Request, next: str = "/admin/", expired: str = "") -> Response:
    return _sign_in_form(request, safe_next(next), {}, {}, expired=bool(expired))


def _sign_in_form(
    request: Request,
    next_path: str,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    expired: bool = False,
    status: int = 200,
) -> Response:
    token = secrets.token_urlsafe(24)
    response = page(
        "sign_in.html",
        None,
        status=status,
        next=next_path,
        values=values,
        errors=errors,
        expired=expired,
        sign_in_csrf=token,
    )
    response.set_cookie(
        SIGN_IN_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/admin/sign-in",
    )
    return response


@router.post("/sign-in", include_in_schema=False)
async def sign_in_post(request: Request) -> Response:
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    next_path = safe_next(fields.get("next"))
    login = fields.get("login", "").strip().lower()[:100]
    values = {"login": login}
    expected = request.cookies.get(SIGN_IN_COOKIE, "")
    if not expected or not secrets.compare_digest(expected, fields.get("csrf", "")):
        errors = {"_form": "This sign-in form has expired. Try again."}
        return _sign_in_form(request, next_path, values, errors, status=403)
    errors = {}
    if not login:
        errors["login"] = "Give your login."
    if not fields.get("password"):
        errors["password"] = "Give your password."
    if errors:
        return _sign_in_form(request, next_path, values, errors, status=422)

    def work() -> tuple[str, Session] | str:
        with database(request).write() as tx:
            try:
                person = sign_in(
                    tx, login, fields["password"], fields.get("code", ""), now(request)
                )
            except SignInRefused as refused:
                if account(tx, login) is not None:
                    record_audit(tx, f"web:{login}", "web.sign_in_refused", login, {})
                return refused.reason
            record_audit(tx, person.actor, "web.sign_in", login, {})
            end_expired(tx, now(request))  # abandoned sessions go as people come
            return start_session(tx, person, now(request))

    outcome = await run_in_threadpool(work)
    if isinstance(outcome, str):
        return _sign_in_form(request, next_path, values, {"_form": outcome}, status=401)
    cookie, _ = outcome
    response = RedirectResponse(next_path, status_code=303, headers=SECURITY_HEADERS)
    response.set_cookie(
        COOKIE,
        cookie,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/admin",
        max_age=ABSOLUTE_HOURS * 3600,
    )
    response.delete_cookie(SIGN_IN_COOKIE, path="/admin/sign-in")
    return response


@router.post("/sign-out", include_in_schema=False)
async def sign_out(request: Request, session: Visitor) -> Response:
    await posted_form(request, session)

    def work() -> None:
        with database(request).write() as tx:
            end_session(tx, request.cookies.get(COOKIE, ""))
            record_audit(tx, session.person.actor, "web.sign_out", session.person.login, {})

    await run_in_threadpool(work)
    response = RedirectResponse("/admin/sign-in", status_code=303, headers=SECURITY_HEADERS)
    response.delete_cookie(COOKIE, path="/admin")
    return response


def install(app: FastAPI) -> None:
    """Add the pages, their static files and their error answers to the ledger's app."""
    app.include_router(router)
    for section in SECTION_ROUTERS:
        app.include_router(section, prefix="/admin")
    app.mount("/admin/static", StaticFiles(directory=STATIC), name="admin-static")

    @app.exception_handler(NeedSignIn)
    async def need_sign_in(request: Request, exc: NeedSignIn) -> Response:
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": exc.location})
        return RedirectResponse(exc.location, status_code=303, headers=SECURITY_HEADERS)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        return error_page(request, 403, "Not yours to see", exc.reason)

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, _: CsrfRefused) -> Response:
        text = (
            "This form has expired or did not come from these pages, so nothing was done. "
            "Reload the page and try again."
        )
        return error_page(request, 403, "Nothing was done", text)


def error_page(request: Request, status: int, heading: str, text: str) -> Response:
    """An error as a page, for a person (the till's routes answer JSON)."""
    cookie = request.cookies.get(COOKIE, "")
    session = None
    if cookie:
        with database(request).write() as tx:
            session = current_session(tx, cookie, now(request))
    return page("message.html", session, status=status, heading=heading, text=text, back="/admin/")
