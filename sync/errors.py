"""The sync engine's errors, each saying what a store manager can do about it.

SyncError
├── LedgerUnreachable     no answer: network down, timeout, connection reset
│                         (retried with backoff; the till keeps working offline)
├── LedgerUnavailable     the ledger answered 5xx, 409 or 429 (retried with backoff)
│   └── UnexpectedAnswer  another 4xx that is not the ledger's own verdict (a proxy's
│                         404, say): retried with backoff, never parks an event
├── LedgerRefused         the ledger refused: not retried as it is
│   ├── NotAuthorised     401/403: the terminal's token is missing, wrong or revoked
│   └── LedgerVerdict     the ledger's own error answer (its JSON ``error`` and
│                         ``reason``), e.g. a batch it cannot read (422)
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


class UnexpectedAnswer(LedgerUnavailable):
    """A 4xx that is not the ledger's own verdict: something between the till and the
    ledger (a proxy, a load balancer) answered. A retry may well succeed."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


class LedgerRefused(SyncError):
    """The ledger refused the request for a reason a retry will not fix."""

    retryable = False

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


class NotAuthorised(LedgerRefused):
    """401 or 403: fix the terminal's token in the configuration."""


class LedgerVerdict(LedgerRefused):
    """The ledger itself refused the request, in its own error format: the only 4xx
    (with 413, too large) on which the engine isolates and parks an event."""

    def __init__(self, message: str, status_code: int, code: str) -> None:
        super().__init__(message, status_code)
        self.code = code


class InvalidAnswer(SyncError):
    """The answer failed validation against the protocol and was not used."""
