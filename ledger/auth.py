"""Bearer-token authentication of terminals on every ``/v1`` route.

The token is looked up by its SHA-256 on every request (no cache), so revoking a
terminal takes effect on its very next request. Missing or unknown token: 401;
revoked terminal: 403; both answered as :class:`sync.protocol.ErrorResponse`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ledger.db import Database
from ledger.epochs import epoch_view
from ledger.terminals import authenticate

# Declares the scheme in the OpenAPI document; the check itself is ours, so that
# every failure gets our JSON error shape and the right status.
bearer_scheme = HTTPBearer(auto_error=False, description="The terminal's token from the admin CLI.")


def database(request: Request) -> Database:
    """The app's database (set by :func:`ledger.app.create_app`)."""
    db: Database = request.app.state.db
    return db


def authenticated_terminal(
    request: Request,
    _declared: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> str:
    """The id of the terminal making the request, or raise 401/403. The same snapshot
    reads what deciding its epoch needs (:mod:`ledger.epochs`), kept in
    ``request.state.epoch_view``, so a push or pull reads the database once for both."""
    with database(request).snapshot() as tx:
        terminal_id = authenticate(tx, request.headers.get("authorization"))
        request.state.epoch_view = epoch_view(tx, request.app.state.ledger_id, terminal_id)
        return terminal_id


TerminalId = Annotated[str, Depends(authenticated_terminal)]
