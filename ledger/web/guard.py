"""What every web page checks before it does anything: who is signed in, what their
role lets them see, and that a form came from one of our own pages.

* :func:`visitor` (a FastAPI dependency) is the live :class:`Session` of the
  request's cookie; without one it raises :class:`NeedSignIn`, which answers with a
  redirect to the sign-in page (and back afterwards).
* :func:`posted_form` reads a POSTed form and refuses it with :class:`CsrfRefused`
  (403, nothing done) unless it carries the session's CSRF token, as the hidden
  field ``csrf`` or the ``X-CSRF-Token`` header htmx sends.
* :func:`require_head_office` and :class:`Forbidden` (403) keep store managers to
  what their role allows.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Final
from urllib.parse import quote

from fastapi import Request

from ledger.db import Database
from ledger.web.sessions import COOKIE, Session, current_session

CSRF_FIELD: Final = "csrf"
CSRF_HEADER: Final = "x-csrf-token"
MAX_FIELD = 10_000


class NeedSignIn(Exception):
    """No live session: the visitor is sent to sign in, then back to ``next_path``."""

    def __init__(self, next_path: str, expired: bool) -> None:
        super().__init__(next_path)
        self.next_path, self.expired = next_path, expired

    @property
    def location(self) -> str:
        query = f"?next={quote(self.next_path, safe='/')}"
        return f"/admin/sign-in{query}{'&expired=1' if self.expired else ''}"


class Forbidden(Exception):
    """The signed-in person may not see or do this (403); ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FieldError(Exception):
    """A form's input refused: ``message`` belongs next to ``field`` (``_form``: the
    form as a whole). Nothing was recorded."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


class CsrfRefused(Exception):
    """A state-changing request without this session's CSRF token (403)."""


def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def now(request: Request) -> datetime:
    moment: datetime = request.app.state.clock()
    return moment


def safe_next(path: str | None) -> str:
    """Where to go after signing in: only a path of these pages, never another site."""
    if not path or not path.startswith("/admin/") or path.startswith("//") or "\\" in path:
        return "/admin/"
    return path


def visitor(request: Request) -> Session:
    """The live session of this request (its idle clock restarted); else NeedSignIn."""
    cookie = request.cookies.get(COOKIE, "")
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        target = request.headers.get("referer", "") or "/admin/"
        target = "/admin/" if "://" in target and "/admin/" not in target else target
        target = target[target.find("/admin/") :] if "/admin/" in target else "/admin/"
    if not cookie:
        raise NeedSignIn(safe_next(target), expired=False)
    with database(request).write() as tx:
        session = current_session(tx, cookie, now(request))
    if session is None:
        raise NeedSignIn(safe_next(target), expired=True)
    return session


async def posted_form(request: Request, session: Session) -> dict[str, str]:
    """The fields of a POSTed form (text only, each at most :data:`MAX_FIELD`
    characters), once its CSRF token matched the session's; else CsrfRefused."""
    form = await request.form()
    fields: dict[str, str] = {}
    for key, value in form.multi_items():
        if isinstance(value, str) and key not in fields:
            fields[key] = value[:MAX_FIELD]
    sent = fields.pop(CSRF_FIELD, "") or request.headers.get(CSRF_HEADER, "")
    if not sent or not session.csrf_matches(sent):
        raise CsrfRefused()
    return fields


def require_head_office(session: Session, what: str) -> None:
    if not session.person.head_office:
        raise Forbidden(f"Only head office may {what}.")


def require_store(session: Session, stores: Mapping[str, object] | set[str] | list[str]) -> None:
    """Refuse a store manager none of whose stores is among ``stores``."""
    if not session.person.may_see_any(frozenset(stores)):
        raise Forbidden("This belongs to another store than yours.")
