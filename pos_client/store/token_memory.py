"""What the till keeps for member QR tokens: the trusted keyset, the single-use tokens
it has accepted, and each member's minimum card generation.

* The keyset arrives in the changes feed. It is stored only when the root key pinned
  in the till's configuration signed it and its number is above the one held; it is
  verified again when read, so a keyset written into the file by other means is never
  trusted (:func:`held_keyset`).
* A single-use token's replay id is remembered until the token expires
  (``token_uses``): a second use at this till is refused. The ledger flags one used
  at two tills.
* The member's minimum card generation is 1 + the number of their cards this till
  knows out of use (replaced or revoked), the same count the ledger's issuer makes of
  its revoked cards; a token of an older generation is from a card taken out of use.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from functools import lru_cache

from loyalty.token_keys import Keyset, KeysetError, verified_keyset
from pos_client.store.member_states import ACTIVE
from pos_client.store.settings import Settings

KEYSET = "member_qr_keyset"
"""Settings key of the keyset held: ``{"document": ..., "signature": ...}``."""

log = logging.getLogger(__name__)


def store_keyset(
    settings: Settings, document: dict[str, object], signature: str, root_key: str | None
) -> str | None:
    """Hold this keyset if it may be trusted; otherwise return why not (the keyset
    held stays). Runs inside the caller's write transaction."""
    if root_key is None:
        return "no [member_qr] root_key is configured, so no keyset is trusted"
    try:
        keyset = verified_keyset(document, signature, root_key)
    except KeysetError as exc:
        return str(exc)
    held = held_keyset(settings, root_key)
    if held is not None and keyset.number <= held.number:
        return f"keyset {keyset.number} is not newer than keyset {held.number} held"
    if held is not None and keyset.issuer != held.issuer:
        return f"keyset {keyset.number} is for issuer {keyset.issuer}, not {held.issuer}"
    settings.set(KEYSET, json.dumps({"document": document, "signature": signature}))
    return None


def held_keyset(settings: Settings, root_key: str | None) -> Keyset | None:
    """The keyset this till trusts now, or None (none received, or no root key)."""
    stored = settings.get(KEYSET)
    if stored is None or root_key is None:
        return None
    return _verified(stored, root_key)


@lru_cache(maxsize=8)
def _verified(stored: str, root_key: str) -> Keyset | None:
    data = json.loads(stored)
    try:
        return verified_keyset(data["document"], data["signature"], root_key)
    except KeysetError as exc:
        log.warning("The keyset held is not trusted: %s", exc)
        return None


def min_generation(conn: sqlite3.Connection, member_id: str) -> int:
    """1 + the member's cards this till knows out of use."""
    (out_of_use,) = conn.execute(
        "SELECT count(*) FROM cards WHERE member_id = ? AND state != ?", (member_id, ACTIVE)
    ).fetchone()
    return 1 + int(out_of_use)


def used_here(conn: sqlite3.Connection, replay_id: str) -> bool:
    """Whether this single-use token identified a member at this till before."""
    row = conn.execute("SELECT 1 FROM token_uses WHERE replay_id = ?", (replay_id,)).fetchone()
    return row is not None


def remember_use(
    conn: sqlite3.Connection, replay_id: str, member_id: str, expires_at: int, now: int, at: str
) -> None:
    """Remember a single-use token accepted at ``now`` (Unix seconds; ``at``: ISO),
    forgetting those that expired (with the clock tolerance, they can no longer pass)."""
    conn.execute("DELETE FROM token_uses WHERE expires_at < ?", (now - 86_400,))
    conn.execute(
        "INSERT INTO token_uses (replay_id, member_id, expires_at, used_at) VALUES (?, ?, ?, ?)",
        (replay_id, member_id, expires_at, at),
    )
