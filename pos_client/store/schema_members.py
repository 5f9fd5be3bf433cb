"""Migration of the local store for the manager's member desk.

Registered after :mod:`pos_client.store.schema_staff` (which imports this module at
its end), so it runs after m012.

- ``members.flag_reasons`` (and ``pull_members.flag_reasons``): the ledger's reasons
  for flagging the member (JSON list), shown on the member's status.
"""

from __future__ import annotations

from sqlite_utils import Database

from pos_client.store.schema import migrations


@migrations()
def m013_member_flag_reasons(db: Database) -> None:
    for table in ("members", "pull_members"):
        db.conn.execute(f"ALTER TABLE {table} ADD COLUMN flag_reasons TEXT NOT NULL DEFAULT '[]'")


from pos_client.store import schema_tokens  # noqa: E402, F401
