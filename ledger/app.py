"""The ledger's ASGI application.

FastAPI is used because it validates requests and writes the OpenAPI document from
the very pydantic models (:mod:`sync.protocol`) that the till uses to validate every
answer: the published contract and the code that enforces it cannot drift apart.

What the app guarantees beyond the routes (:mod:`ledger.routes`):

* every error is JSON :class:`sync.protocol.ErrorResponse` ``{error, reason}``,
  including unknown routes (404), bad methods (405), validation failures (422) and
  unexpected faults (500), so the till can always show a reason;
* a request body over :data:`sync.protocol.MAX_BODY_BYTES` is refused with 413
  before any of it reaches a route;
* a request whose body, query or path holds a control character (U+0000-U+001F,
  U+007F) is refused with 422 naming the field, before any of it reaches a route
  (:mod:`ledger.text_checks`);
* a database that times out, deadlocks or goes away answers 503 ``storage``
  (:class:`ledger.errors.StorageError`), which a till retries;
* at most ``push_concurrency`` pushes are worked on at once in one process (the
  others wait their turn, in the order the threads wake). Python threads share one
  interpreter lock: with dozens of pushes decoding and deciding beside it, a push
  that holds the ledger's counters (from its numbered writes to its commit:
  :mod:`ledger.db`) waits for the interpreter after every statement, and every other
  push waits for it. A few at once keep the processor busy while one waits for the
  database, and keep that wait short. More processes (``pos-ledger serve
  --workers``) add processors.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledger.db import Database
from ledger.errors import LedgerError, describe_validation
from ledger.member_app_route import router as member_app_router
from ledger.quiet_tills import DEFAULT_QUIET_HOURS
from ledger.routes import router
from ledger.service import Clock, utc_now
from ledger.serving import DEFAULT_PUSH_CONCURRENCY
from ledger.terminal_events import router as terminal_events_router
from ledger.text_checks import body_problem, params_problem
from ledger.web import site as web_site
from sync.protocol import MAX_BODY_BYTES, PROTOCOL_VERSION, PushRequest

log = logging.getLogger("ledger")


def error_response(status: int, error: str, reason: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": error, "reason": reason})


class BodyLimit:
    """Refuse bodies over ``limit`` bytes with 413, whatever the transfer encoding,
    and text with control characters with 422 (:mod:`ledger.text_checks`)."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._refuse(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        problem = params_problem(scope.get("path", ""), scope.get("query_string", b""))
        problem = problem or body_problem(body)
        if problem is not None:
            await error_response(422, "invalid", problem)(scope, receive, send)
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413, "too_large", f"The request body is larger than {self.limit} bytes."
        )
        await response(scope, receive, send)


def create_app(
    db: Database,
    ledger_id: str,
    clock: Clock = utc_now,
    push_concurrency: int = DEFAULT_PUSH_CONCURRENCY,
    quiet_hours: int = DEFAULT_QUIET_HOURS,
) -> FastAPI:
    """The ledger app over an opened, migrated database. ``clock`` tells when the
    ledger's own events happen (tests and scripts may give their own; the server
    runs on the real one). ``quiet_hours``: a till silent or lagging this long is an
    anomaly (:mod:`ledger.quiet_tills`)."""
    if push_concurrency < 1:
        raise ValueError("push_concurrency must be at least 1")
    app = FastAPI(
        title="Loyalty till central ledger",
        version=str(PROTOCOL_VERSION),
        description="The reference central ledger. See docs/PROTOCOL.md.",
    )
    app.state.db = db
    app.state.ledger_id = ledger_id
    app.state.clock = clock
    app.state.push_gate = threading.BoundedSemaphore(push_concurrency)
    app.state.quiet_hours = quiet_hours
    app.include_router(router)
    app.include_router(terminal_events_router)
    app.include_router(member_app_router)
    _install_error_handlers(app)
    web_site.install(app)
    _install_openapi(app)
    app.add_middleware(BodyLimit)
    return app


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LedgerError)
    async def ledger_error(_: Request, exc: LedgerError) -> JSONResponse:
        if exc.status >= 500:
            log.error("%s", exc.reason)
        return error_response(exc.status, exc.code, exc.reason)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "invalid", describe_validation(list(exc.errors())))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/admin/") and exc.status_code in (404, 405):
            return web_site.error_page(
                request, exc.status_code, "Not found", "There is no such page here."
            )
        codes = {404: "not_found", 405: "method_not_allowed"}
        return error_response(exc.status_code, codes.get(exc.status_code, "http"), exc.detail)

    @app.exception_handler(Exception)
    async def internal(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected fault", exc_info=exc)
        return error_response(500, "internal", "The ledger failed unexpectedly; try again.")


def _install_openapi(app: FastAPI) -> None:
    """Add the push request's schema, which the route reads itself for speed."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = original()
        schema = PushRequest.model_json_schema(ref_template="#/components/schemas/{model}")
        components = document.setdefault("components", {}).setdefault("schemas", {})
        components.update(schema.pop("$defs", {}))
        components["PushRequest"] = schema
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
