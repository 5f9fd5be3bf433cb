"""Migration 9: member QR tokens at the ledger (issue 11, docs/MEMBER_QR.md).

Tables it adds:

``qr_settings``     one row (``id`` 1) once ``pos-ledger qr-keys init`` ran: the
                    programme's token ``issuer`` (0-65,535), the hex of the root key's
                    public half (the root's private seed is never stored here, only in
                    the operator's file, so this database alone cannot sign a keyset),
                    and ``keyset_number``, the number of the newest keyset published.
``qr_keys``         token signing keys: ``key_id`` (0-65,535, never reused), ``use``
                    (``card`` or ``app``), the Ed25519 ``private_seed`` and
                    ``public_key`` (hex), ``not_before`` and ``not_after`` (Unix
                    seconds: the key signs tokens issued within them), ``revoked_at``
                    (ISO 8601, NULL unless revoked) and ``created_at``.
``qr_keysets``      every keyset published: ``number``, the canonical JSON
                    ``document`` and the root key's ``signature`` (hex) over it, and
                    ``change_no``, its place in the changes feed.
``member_app_credentials``  the SHA-256 of each member-app credential, the member it
                    belongs to, when it was issued and revoked.
``token_uses``      the first use of each single-use token the tills reported
                    (``replay_id`` primary key): by which terminal, in which event, for
                    which member (:mod:`ledger.token_uses`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ledger.schema import Statement

V9: Sequence[Statement] = (
    """CREATE TABLE qr_settings (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        issuer INTEGER NOT NULL,
        root_public_key TEXT NOT NULL,
        keyset_number BIGINT NOT NULL,
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE qr_keys (
        key_id INTEGER PRIMARY KEY,
        use TEXT NOT NULL,
        private_seed TEXT NOT NULL,
        public_key TEXT NOT NULL,
        not_before BIGINT NOT NULL,
        not_after BIGINT NOT NULL,
        revoked_at TEXT,
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE qr_keysets (
        number BIGINT PRIMARY KEY,
        document TEXT NOT NULL,
        signature TEXT NOT NULL,
        change_no BIGINT NOT NULL,
        published_at TEXT NOT NULL
    )""",
    "CREATE INDEX qr_keysets_change_no ON qr_keysets (change_no)",
    """CREATE TABLE member_app_credentials (
        credential_sha256 TEXT PRIMARY KEY,
        member_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        revoked_at TEXT
    )""",
    "CREATE INDEX member_app_credentials_member ON member_app_credentials (member_id)",
    """CREATE TABLE token_uses (
        replay_id TEXT PRIMARY KEY,
        terminal_id TEXT NOT NULL,
        event_id TEXT NOT NULL,
        member_id TEXT NOT NULL,
        recorded_at TEXT NOT NULL
    )""",
)
"""Migration 9 (see the module doc)."""
