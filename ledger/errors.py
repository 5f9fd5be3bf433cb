"""The ledger's exceptions, one small tree.

Each error carries a short machine code (sent as ``error`` in an
:class:`sync.protocol.ErrorResponse`), an HTTP status, and a reason a store manager
or an operator can act on.

    LedgerError
    ├── StorageError          the database cannot be opened, migrated or reached
    ├── RequestError          the request cannot be served as sent
    │   ├── Unauthenticated   401: no bearer token, or one the ledger never issued
    │   ├── Forbidden         403: a revoked terminal, or events of another terminal
    │   ├── NotFound          404: no such member or card
    │   ├── TooLarge          413: body or batch over the limits
    │   ├── Invalid           422: the request does not match the protocol
    │   └── Unavailable       503: a service not set up (no member QR key signs now)
    └── AdminError            an admin command's input is wrong (names file and line)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class LedgerError(Exception):
    """Base of the ledger's errors; ``str(error)`` is the reason for people."""

    code = "ledger_error"
    status = 500

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class StorageError(LedgerError):
    """The database could not be opened, migrated or used."""

    code = "storage"
    status = 503


class RequestError(LedgerError):
    """A request the ledger refuses; ``status`` is the HTTP status to answer."""

    code = "bad_request"
    status = 400


class Unauthenticated(RequestError):
    code = "unauthenticated"
    status = 401


class Forbidden(RequestError):
    code = "forbidden"
    status = 403


class NotFound(RequestError):
    code = "not_found"
    status = 404


class TooLarge(RequestError):
    code = "too_large"
    status = 413


class Invalid(RequestError):
    code = "invalid"
    status = 422


class Unavailable(RequestError):
    code = "unavailable"
    status = 503


class AdminError(LedgerError):
    """An admin command cannot do what was asked; the reason says what to fix."""

    code = "admin"


def describe_validation(errors: Sequence[Mapping[str, Any]]) -> str:
    """``events[3].points: Input should be a valid integer`` for the first few errors."""
    parts = []
    for error in errors[:3]:
        where = ""
        for part in error.get("loc", ()):
            if isinstance(part, int):
                where += f"[{part}]"
            elif part not in ("body", "query", "path", "header"):
                where += f".{part}" if where else str(part)
        where = where or "request"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return "; ".join(parts) + more
