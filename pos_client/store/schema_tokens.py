"""Migration of the local store for member QR tokens (docs/MEMBER_QR.md).

Registered after :mod:`pos_client.store.schema_members` (which imports this module at
its end), so it runs after m013.

- ``token_uses``: the single-use tokens that identified a member at this till, kept
  until they expire, so a second use is refused (a screenshot shown twice).
"""

from __future__ import annotations

from sqlite_utils import Database

from pos_client.store.schema import migrations


@migrations()
def m014_token_uses(db: Database) -> None:
    db.conn.execute(
        "CREATE TABLE token_uses (replay_id TEXT PRIMARY KEY, member_id TEXT NOT NULL, "
        "expires_at INTEGER NOT NULL, used_at TEXT NOT NULL)"
    )
    db.conn.execute("CREATE INDEX token_uses_expiry ON token_uses (expires_at)")
