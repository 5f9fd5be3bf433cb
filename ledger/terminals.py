"""Terminals and their bearer tokens.

A token is shown once, when the terminal is added, and only its SHA-256 is stored:
a copy of the database does not let anyone push as a terminal. Tokens are 256 random
bits, so a plain (unsalted) hash is enough to make them unguessable from the table.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from ledger.card_ranges import allocate_range
from ledger.db import Tx
from ledger.errors import AdminError, Forbidden, Unauthenticated
from loyalty.events import GENESIS_HASH, utc_now_iso

TOKEN_PREFIX = "plt_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class TerminalInfo:
    terminal_id: str
    created_at: str
    revoked_at: str | None
    high_water: int


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


LEDGER_TERMINAL = "LEDGER"
"""The terminal id of the ledger's own events (its settlements); no till may take it."""


def check_terminal_name(name: str) -> str:
    """A terminal id is what its events carry: letters, digits, ``.``, ``_``, ``-``;
    never the ledger's own."""
    if name.upper() == LEDGER_TERMINAL:
        raise AdminError(f"{name!r} is the ledger's own name for its events; choose another.")
    if not _NAME.match(name):
        raise AdminError(
            f"{name!r} is not a usable terminal name: use 1-64 letters, digits, '.', '_' "
            "or '-', starting with a letter or digit."
        )
    return name


def add_terminal(tx: Tx, name: str) -> str:
    """Register a terminal and return its new bearer token (never stored in clear);
    it gets its first block of enrolment card numbers at once
    (:mod:`ledger.card_ranges`)."""
    check_terminal_name(name)
    if tx.one("SELECT 1 FROM terminals WHERE terminal_id = ?", (name,)):
        raise AdminError(f"A terminal named {name!r} already exists (names are never reused).")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    tx.execute(
        "INSERT INTO terminals (terminal_id, token_sha256, created_at) VALUES (?, ?, ?)",
        (name, hash_token(token), utc_now_iso()),
    )
    allocate_range(tx, name)
    return token


def rotate_token(tx: Tx, name: str) -> str:
    """A new token for a terminal: the old one is refused from now on and a revocation
    is cleared (a revoked till is restored this way); its high water, chain and every
    event are kept. The ledger's own chain never gets one: nothing pushes as the ledger."""
    if name == LEDGER_TERMINAL:
        raise AdminError(f"{LEDGER_TERMINAL} is the ledger's own chain; it has no token.")
    row = tx.one("SELECT revoked_at FROM terminals WHERE terminal_id = ?", (name,))
    if row is None:
        raise AdminError(f"No terminal named {name!r}.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    tx.execute(
        "UPDATE terminals SET token_sha256 = ?, revoked_at = NULL WHERE terminal_id = ?",
        (hash_token(token), name),
    )
    return token


def revoke_terminal(tx: Tx, name: str) -> None:
    """Refuse the terminal's token from now on; its recorded events stay."""
    row = tx.one("SELECT revoked_at FROM terminals WHERE terminal_id = ?", (name,))
    if row is None:
        raise AdminError(f"No terminal named {name!r}.")
    if row[0] is None:
        tx.execute(
            "UPDATE terminals SET revoked_at = ? WHERE terminal_id = ?", (utc_now_iso(), name)
        )


def list_terminals(tx: Tx) -> list[TerminalInfo]:
    rows = tx.query(
        "SELECT t.terminal_id, t.created_at, t.revoked_at, COALESCE(s.high_water, 0) "
        "FROM terminals t LEFT JOIN terminal_state s ON s.terminal_id = t.terminal_id "
        "ORDER BY t.terminal_id"
    )
    return [TerminalInfo(str(r[0]), str(r[1]), r[2], int(r[3])) for r in rows]


def authenticate(tx: Tx, authorization: str | None) -> str:
    """Return the terminal id for an ``Authorization`` header value, or raise.

    Missing or malformed header, or an unknown token: :class:`Unauthenticated`
    (401). A revoked terminal: :class:`Forbidden` (403).
    """
    if not authorization:
        raise Unauthenticated("Send the terminal's token as 'Authorization: Bearer <token>'.")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("The Authorization header must be 'Bearer <token>'.")
    row = tx.one(
        "SELECT terminal_id, revoked_at FROM terminals WHERE token_sha256 = ?",
        (hash_token(token),),
    )
    if row is None:
        raise Unauthenticated("This token is not known to the ledger.")
    if row[1] is not None:
        raise Forbidden(f"Terminal {row[0]} was revoked on {row[1]}.")
    return str(row[0])


def terminal_position(tx: Tx, terminal_id: str) -> tuple[int, str]:
    """The terminal's high water and the hash of that event (genesis when none)."""
    row = tx.one(
        "SELECT high_water, last_hash FROM terminal_state WHERE terminal_id = ?", (terminal_id,)
    )
    return (int(row[0]), str(row[1])) if row else (0, GENESIS_HASH)


def record_position(tx: Tx, terminal_id: str, high_water: int, last_hash: str, now: str) -> None:
    """The terminal's new high water and the hash of that event, once applied."""
    tx.execute(
        "INSERT INTO terminal_state (terminal_id, high_water, last_hash, updated_at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (terminal_id) DO UPDATE SET "
        "high_water = excluded.high_water, last_hash = excluded.last_hash, "
        "updated_at = excluded.updated_at",
        (terminal_id, high_water, last_hash, now),
    )
