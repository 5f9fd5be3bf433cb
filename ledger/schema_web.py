"""Migration 10: the chain's web pages (issue 12, docs/ADMIN_WEB.md).

Tables it adds:

``web_accounts``      people who sign in to the ledger's web pages at ``/admin/``:
                      ``login`` (primary key), ``name``, ``role`` (``head_office`` or
                      ``store_manager``), ``stores`` (JSON list of store ids a store
                      manager is scoped to; empty for head office), ``password_hash``
                      (Argon2id, :mod:`ledger.web.accounts`), ``totp_secret`` (Base32,
                      NULL unless the person uses a second factor),
                      ``failed_sign_ins`` (in a row), ``locked_until`` (ISO 8601, NULL
                      unless locked out), ``active``, ``created_at``, ``updated_at``.
``web_sessions``      one row per signed-in browser: the SHA-256 of the session cookie
                      (the cookie itself is never stored), the ``login``, the session's
                      ``csrf_token`` (every form carries it), ``created_at``,
                      ``last_seen_at`` (idle expiry counts from it) and ``expires_at``
                      (absolute expiry).
``web_form_uses``     each form sent that changes something, by its one-time
                      ``form_id`` (primary key): who sent it, when, and where its answer
                      led (``outcome``), so a form sent twice (a double click, a
                      resend) does its work once and the second answer is the first's.
``terminal_reports``  what each till last said about itself when it synced: the
                      ``store`` it records events for, ``software`` (its release),
                      ``programme_version`` in force there, ``keyset_number`` of the
                      member QR keyset it holds, ``pending`` events not yet confirmed
                      and the ``oldest_pending_at`` of them (the till's clock, UTC), the
                      ``reported_at`` of that report, and ``last_contact_at``, the
                      ledger's clock at the terminal's last authenticated request.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ledger.schema import Statement

V10: Sequence[Statement] = (
    """CREATE TABLE web_accounts (
        login TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        stores TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        totp_secret TEXT,
        failed_sign_ins INTEGER NOT NULL,
        locked_until TEXT,
        active INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE web_sessions (
        session_sha256 TEXT PRIMARY KEY,
        login TEXT NOT NULL,
        csrf_token TEXT NOT NULL,
        created_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
    )""",
    "CREATE INDEX web_sessions_login ON web_sessions (login)",
    """CREATE TABLE web_form_uses (
        form_id TEXT PRIMARY KEY,
        login TEXT NOT NULL,
        used_at TEXT NOT NULL,
        outcome TEXT NOT NULL
    )""",
    """CREATE TABLE terminal_reports (
        terminal_id TEXT PRIMARY KEY,
        store TEXT NOT NULL,
        software TEXT NOT NULL,
        programme_version BIGINT,
        keyset_number BIGINT,
        pending BIGINT,
        oldest_pending_at TEXT,
        reported_at TEXT,
        last_contact_at TEXT NOT NULL
    )""",
)
"""Migration 10 (see the module doc)."""
