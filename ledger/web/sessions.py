"""Browser sessions of the web pages.

A session is a random 256-bit cookie value; the ledger keeps only its SHA-256, so a
copy of the database does not let anyone sign in. The cookie is ``HttpOnly`` (no
script reads it), ``SameSite=Strict`` (no other site's page sends it) and ``Secure``
when the ledger is reached over HTTPS. Each session has its own CSRF token, which
every form carries and every state-changing request must send back.

A session ends :data:`IDLE_MINUTES` after its last request, :data:`ABSOLUTE_HOURS`
after sign-in whatever happens, at sign-out, and when the account's password is
changed or the account is disabled.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from ledger.db import Tx
from ledger.web.accounts import Person, account, stamp

COOKIE: Final = "ledger_session"
IDLE_MINUTES = 30
ABSOLUTE_HOURS = 12


@dataclass(frozen=True)
class Session:
    person: Person
    csrf_token: str

    def csrf_matches(self, sent: str) -> bool:
        return hmac.compare_digest(self.csrf_token.encode(), sent.encode())


def _hash(cookie: str) -> str:
    return hashlib.sha256(cookie.encode()).hexdigest()


def start_session(tx: Tx, person: Person, now: datetime) -> tuple[str, Session]:
    """A new session for ``person``: (the cookie value to set, the session)."""
    cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    tx.execute(
        "INSERT INTO web_sessions (session_sha256, login, csrf_token, created_at, "
        "last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
        (
            _hash(cookie),
            person.login,
            csrf,
            stamp(now),
            stamp(now),
            stamp(now + timedelta(hours=ABSOLUTE_HOURS)),
        ),
    )
    return cookie, Session(person, csrf)


def current_session(tx: Tx, cookie: str, now: datetime) -> Session | None:
    """The live session of ``cookie`` (its idle time restarted), or None: no such
    session, expired (then removed), or its account disabled."""
    key = _hash(cookie)
    row = tx.one(
        "SELECT login, csrf_token, last_seen_at, expires_at FROM web_sessions "
        "WHERE session_sha256 = ?",
        (key,),
    )
    if row is None:
        return None
    idle_end = stamp(datetime.fromisoformat(str(row[2])) + timedelta(minutes=IDLE_MINUTES))
    found = account(tx, str(row[0]))
    if stamp(now) >= min(idle_end, str(row[3])) or found is None or not found.active:
        tx.execute("DELETE FROM web_sessions WHERE session_sha256 = ?", (key,))
        return None
    tx.execute(
        "UPDATE web_sessions SET last_seen_at = ? WHERE session_sha256 = ?", (stamp(now), key)
    )
    return Session(found.person, str(row[1]))


def end_session(tx: Tx, cookie: str) -> None:
    tx.execute("DELETE FROM web_sessions WHERE session_sha256 = ?", (_hash(cookie),))


def end_expired(tx: Tx, now: datetime) -> int:
    """Remove sessions past their absolute expiry; how many."""
    return tx.execute("DELETE FROM web_sessions WHERE expires_at <= ?", (stamp(now),))
