"""What every PostgreSQL connection of the ledger is set to, and why.

One stalled transaction (an operator's ``psql`` left open inside ``BEGIN``, a hung
admin command) must not stop every till. So each connection carries:

* ``statement_timeout``: no statement runs longer; a runaway query is cancelled.
* ``lock_timeout``: no statement waits longer for a lock; a push queued behind a
  stalled holder fails with a storage error (HTTP 503) that the till retries later,
  instead of hanging.
* ``idle_in_transaction_session_timeout``: a session idle inside a transaction
  longer than this is ended by the server, which releases its locks.
* ``synchronous_commit = on``: a commit that writes events returns only once it is
  durable (and on a synchronous standby, if one is configured), whatever the
  server's default; a till never hears "applied" for an event a crash can lose.

The values are milliseconds; 0 disables a timeout (PostgreSQL's meaning).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from ledger.errors import StorageError


@dataclass(frozen=True)
class Timeouts:
    """The session timeouts, in milliseconds (``pos-ledger serve`` may override them)."""

    statement_ms: int = 30_000
    lock_ms: int = 5_000
    idle_in_transaction_ms: int = 60_000

    def __post_init__(self) -> None:
        for name in ("statement_ms", "lock_ms", "idle_in_transaction_ms"):
            if getattr(self, name) < 0:
                raise ValueError(f"The {name.removesuffix('_ms')} timeout cannot be negative.")


DEFAULT_TIMEOUTS = Timeouts()


def session_statements(timeouts: Timeouts) -> list[str]:
    """The ``SET`` statements run once on each new connection (outside a transaction,
    so they hold for the whole session)."""
    return [
        f"SET statement_timeout = {int(timeouts.statement_ms)}",
        f"SET lock_timeout = {int(timeouts.lock_ms)}",
        f"SET idle_in_transaction_session_timeout = {int(timeouts.idle_in_transaction_ms)}",
        "SET synchronous_commit = on",
    ]


_OPTIONS = {
    "statement_ms": ("statement-timeout", "the longest a statement may run"),
    "lock_ms": ("lock-timeout", "the longest a write waits for a lock (then 503)"),
    "idle_in_transaction_ms": ("idle-timeout", "the longest a transaction may sit idle"),
}


def add_timeout_options(parser: argparse.ArgumentParser) -> None:
    """``--statement-timeout``, ``--lock-timeout`` and ``--idle-timeout`` (seconds)."""
    for field, (option, what) in _OPTIONS.items():
        default = getattr(DEFAULT_TIMEOUTS, field) / 1000
        parser.add_argument(
            f"--{option}",
            type=float,
            metavar="SECONDS",
            help=f"PostgreSQL: {what} (default {default:g}; 0: no limit)",
        )


def timeouts_of(args: argparse.Namespace) -> Timeouts:
    """The timeouts given on the command line, the defaults for the rest."""
    given = {}
    for field, (option, _) in _OPTIONS.items():
        seconds = getattr(args, option.replace("-", "_"), None)
        if seconds is not None:
            given[field] = round(seconds * 1000)
    try:
        return Timeouts(**given)
    except ValueError as exc:
        raise StorageError(str(exc)) from exc
