"""The programme versions section (head office only): every version, one version's
document, and a new version published only after its simulation was shown.

Publishing is two steps, so what is published is exactly what was simulated:

1. ``POST /versions/simulate`` validates the candidate (TOML, as ``pos-ledger rules
   publish FILE`` takes it) and its start, runs :func:`ledger.simulate.simulate`
   against the baskets recorded since the chosen date, and shows the outcome with a
   publish form carrying the candidate and its SHA-256 (``digest``).
2. ``POST /versions/publish`` publishes only when the digest is the candidate's own
   and it still validates; :func:`ledger.programmes.publish_version` stores it and the
   audit entry naming the person is written in the same transaction.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ledger import programmes
from ledger.audit import record_audit
from ledger.errors import AdminError
from ledger.simulate import Simulation, simulate
from ledger.web.guard import database, now, posted_form, require_head_office, visitor
from ledger.web.once import claim, settle
from ledger.web.rendering import SECURITY_HEADERS, page
from ledger.web.sessions import Session
from loyalty.programme import Programme, ProgrammeError
from loyalty.programme.document import programme_from_toml

router = APIRouter()
Visitor = Annotated[Session, Depends(visitor)]
WHAT: Final = "see or publish programme versions"
MAX_DOCUMENT: Final = 9_000
"""The longest candidate the form takes, in characters (the guard keeps 10,000)."""
DONE: Final = {"published": "Published. Tills take it at their next sync."}


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@router.get("/versions", include_in_schema=False)
def version_list(request: Request, session: Visitor) -> Response:
    require_head_office(session, WHAT)
    moment = now(request)
    with database(request).snapshot() as tx:
        found = programmes.versions(tx)
        published = dict(
            (int(r[0]), str(r[1]))
            for r in tx.query("SELECT version, published_at FROM programme_versions")
        )
    in_force = max((v.version for v in found if v.effective_from <= moment), default=None)
    rows = [
        {
            "version": v.version,
            "programme": v.programme,
            "starts": v.effective_from_local,
            "published_at": published.get(v.version, ""),
            "hash": v.content_hash[:12],
            "state": "in force"
            if v.version == in_force
            else ("scheduled" if v.effective_from > moment else "past"),
        }
        for v in reversed(found)
    ]
    return page("versions.html", session, rows=rows)


@router.get("/versions/new", include_in_schema=False)
def new_version(request: Request, session: Visitor) -> Response:
    require_head_office(session, WHAT)
    since = (now(request).date() - timedelta(days=30)).isoformat()
    values = {"document": "", "effective_from": "now", "since": since}
    return page("version_new.html", session, values=values, errors={}, max_document=MAX_DOCUMENT)


def _checked(fields: dict[str, str]) -> tuple[Programme | None, date | None, dict[str, str]]:
    """The candidate, the simulation's start and the errors, field by field."""
    errors: dict[str, str] = {}
    text = fields.get("document", "")
    programme = None
    if not text.strip():
        errors["document"] = "Paste the programme document (TOML)."
    elif len(text) > MAX_DOCUMENT:
        errors["document"] = f"The document is longer than {MAX_DOCUMENT} characters."
    else:
        try:
            programme = programme_from_toml(text, "The document")
        except ProgrammeError as error:
            errors["document"] = error.message
    effective = fields.get("effective_from", "").strip()
    if not effective:
        errors["effective_from"] = "Say when it starts: a local time like 2026-12-01T00:00, or now."
    since = None
    try:
        since = date.fromisoformat(fields.get("since", "").strip())
    except ValueError:
        errors["since"] = "A date like 2026-11-01."
    return programme, since, errors


def _form_again(session: Session, fields: dict[str, str], errors: dict[str, str]) -> Response:
    return page(
        "version_new.html",
        session,
        status=422,
        values=fields,
        errors=errors,
        max_document=MAX_DOCUMENT,
    )


def _start(request: Request, programme: Programme, effective: str) -> tuple[str, str]:
    """(the refusal, the warning) publishing would give for this start; "" for none."""
    try:
        _, _, warning = programmes.version_start(programme, effective, now(request))
    except AdminError as error:
        return _plain(error.reason), ""
    return "", warning or ""


def _plain(reason: str) -> str:
    """The publishing rule's words without the command-line option's name."""
    return reason.removeprefix("--effective-from: ").removeprefix("--effective-from ")


@router.post("/versions/new", include_in_schema=False)
async def edit_candidate(request: Request, session: Visitor) -> Response:
    """Back to the form with the candidate as it was (the simulation's "Change it")."""
    require_head_office(session, WHAT)
    fields = await posted_form(request, session)
    values = {k: fields.get(k, "") for k in ("document", "effective_from", "since")}
    return page("version_new.html", session, values=values, errors={}, max_document=MAX_DOCUMENT)


@router.post("/versions/simulate", include_in_schema=False)
async def simulate_candidate(request: Request, session: Visitor) -> Response:
    require_head_office(session, WHAT)
    fields = await posted_form(request, session)

    def work() -> Response:
        programme, since, errors = _checked(fields)
        warning = ""
        if programme is not None and not errors.get("effective_from"):
            problem, warning = _start(request, programme, fields["effective_from"].strip())
            if problem:
                errors["effective_from"] = problem
        if errors or programme is None or since is None:
            return _form_again(session, fields, errors)
        report = simulate(database(request), programme, since)
        return page(
            "version_simulated.html",
            session,
            programme=programme,
            values=fields,
            digest=_digest(fields["document"]),
            report=report,
            summary=_summary(report),
            largest=_largest(report),
            differing=len(report.differences()),
            warning=warning,
        )

    return await run_in_threadpool(work)


def _summary(report: Simulation) -> list[tuple[str, int, int]]:
    """Per account: what the recorded sales gave and what the candidate would give,
    over every member the simulation evaluated."""
    recorded: dict[str, int] = {}
    candidate: dict[str, int] = {}
    for member in report.members.values():
        for account, amount in member.recorded.items():
            recorded[account] = recorded.get(account, 0) + amount
        for account, amount in member.candidate.items():
            candidate[account] = candidate.get(account, 0) + amount
    accounts = sorted(set(recorded) | set(candidate))
    return [(a, recorded.get(a, 0), candidate.get(a, 0)) for a in accounts]


MAX_SHOWN: Final = 50
"""Members with a difference listed on the page, largest first."""


def _largest(report: Simulation) -> list[tuple[str, list[tuple[str, int, int]]]]:
    rows = [
        (member, [(a, r, c) for a, (r, c) in changes.items()])
        for member, changes in report.differences()
    ]
    rows.sort(key=lambda row: -max(abs(c - r) for _, r, c in row[1]))
    return rows[:MAX_SHOWN]


@router.post("/versions/publish", include_in_schema=False)
async def publish(request: Request, session: Visitor) -> Response:
    require_head_office(session, WHAT)
    fields = await posted_form(request, session)

    def work() -> Response:
        programme, _, errors = _checked(fields)
        if not errors and fields.get("digest", "") != _digest(fields.get("document", "")):
            errors["_form"] = (
                "The document is not the one simulated; simulate it again before publishing."
            )
        if errors or programme is None:
            return _form_again(session, fields, errors)
        effective = fields["effective_from"].strip()
        with database(request).write() as tx:
            earlier = claim(tx, session, fields, now(request))
            if earlier is not None:  # sent twice: the first published it
                return RedirectResponse(earlier or "/admin/versions", 303, headers=SECURITY_HEADERS)
            try:
                published = programmes.publish_version(tx, programme, effective, now=now(request))
            except AdminError as error:
                field = "effective_from" if "effective-from" in error.reason else "_form"
                return _form_again(session, fields, {field: _plain(error.reason)})
            record_audit(
                tx,
                session.person.actor,
                "programme.publish",
                str(published.version),
                {
                    "programme": programme.id,
                    "content_hash": programme.content_hash,
                    "effective_from": published.effective_from.isoformat(),
                    "simulated_since": fields.get("since", ""),
                },
            )
            location = f"/admin/versions/{published.version}?done=published"
            settle(tx, fields, location)
        return RedirectResponse(location, 303, headers=SECURITY_HEADERS)

    return await run_in_threadpool(work)


@router.get("/versions/{number}", include_in_schema=False)
def version_view(request: Request, number: int, session: Visitor, done: str = "") -> Response:
    require_head_office(session, WHAT)
    with database(request).snapshot() as tx:
        found = [v for v in programmes.versions(tx) if v.version == number]
        row = tx.one("SELECT published_at FROM programme_versions WHERE version = ?", (number,))
    if not found:
        return page(
            "message.html",
            session,
            status=404,
            heading="Not found",
            text=f"There is no programme version {number}.",
            back="/admin/versions",
        )
    version = found[0]
    return page(
        "version.html",
        session,
        version=version,
        programme=version.programme,
        published_at="" if row is None else str(row[0]),
        document=json.dumps(version.programme.document, indent=2, ensure_ascii=False),
        done=DONE.get(done, ""),
        now=datetime.now(UTC),
    )
