"""The sync engine's errors, each saying what a store manager can do about it.

SyncError
├── LedgerUnreachable     no answer: network down, timeout, connection reset
│                         (retried with backoff; the till keeps working offline)
├── LedgerUnavailable     the ledger answered 5xx, 409 or 429 (retried with backoff)
├── LedgerRefused         the ledger answered another 4xx: not retried; the reason
│   └── NotAuthorised     401/403: the terminal's token is missing, wrong or revoked
└── InvalidAnswer         the answer is not what the protocol promises (not trusted)
"""

from __future__ import annotations


class SyncError(Exception):
    """Base of sync errors; ``str(error)`` is for people."""

    retryable = True

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class LedgerUnreachable(SyncError):
    """The request got no answer (connect error, timeout, reset, cut body)."""


class LedgerUnavailable(SyncError):
    """The ledger answered but asked us to come back later (5xx, 409, 429)."""


class LedgerRefused(SyncError):
    """The ledger refused the request for a reason a retry will not fix."""

    retryable = False

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


class NotAuthorised(LedgerRefused):
    """401 or 403: fix the terminal's token in the configuration."""


class InvalidAnswer(SyncError):
    """The answer failed validation against the protocol and was not used."""
