"""HTML pages from Jinja2 templates (``ledger/web/templates``), with autoescaping on,
so text from members, tills or forms is always shown as text, never as markup.

Every page gets ``person`` (the signed-in :class:`~ledger.web.accounts.Person`, or
None on the sign-in page), ``csrf`` (the token its forms carry) and ``nav`` (the
sections this person may open). Answers are never cached, never framed by another
site, and may load scripts and styles only from this ledger.
"""

from __future__ import annotations

import secrets
from typing import Any, Final

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse

from ledger.web.sessions import Session

ENVIRONMENT: Final = Environment(
    loader=PackageLoader("ledger.web", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

ENVIRONMENT.globals["new_form_id"] = lambda: secrets.token_urlsafe(18)

SECURITY_HEADERS: Final = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}

SECTIONS: Final = (
    ("/admin/members", "Members", False),
    ("/admin/anomalies", "Anomalies", False),
    ("/admin/terminals", "Terminals", False),
    ("/admin/day", "The day", False),
    ("/admin/versions", "Programme versions", True),
)
"""(address, title, head office only) of every section, in the order of the menu."""


def render_text(template: str, session: Session | None, **context: Any) -> str:
    person = None if session is None else session.person
    nav = [
        (href, title)
        for href, title, head_office_only in SECTIONS
        if person is not None and (person.head_office or not head_office_only)
    ]
    return ENVIRONMENT.get_template(template).render(
        person=person,
        csrf="" if session is None else session.csrf_token,
        nav=nav,
        **context,
    )


def page(
    template: str, session: Session | None, *, status: int = 200, **context: Any
) -> HTMLResponse:
    """The rendered page with the security headers."""
    return HTMLResponse(
        render_text(template, session, **context), status_code=status, headers=SECURITY_HEADERS
    )
