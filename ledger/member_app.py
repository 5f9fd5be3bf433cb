"""Member-app credentials: how the member app proves which member it asks a token for.

A credential is issued by the ledger's operator for one member (``pos-ledger
member-app issue MEMBER``), shown once and given to the member's app; it is never a
terminal token, and a terminal token never passes for one (different table, different
prefix). A member holds one credential at a time: issuing a new one (a new phone)
revokes the earlier, and ``revoke`` ends it.

Only the SHA-256 of a credential is stored. A plain hash is the right tool here, not
a slow salted one (scrypt, argon2): those protect secrets people choose, which are
guessable; a credential is 256 random bits, so no guess can find a preimage of its
hash, and a copy of the table lets no one call the endpoint. The lookup by hash on
every request means a revocation holds from the very next request.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Final

from ledger.audit import record_audit
from ledger.db import Tx
from ledger.errors import AdminError, Unauthenticated
from ledger.terminals import TOKEN_PREFIX as TERMINAL_PREFIX
from loyalty.events import utc_now_iso

CREDENTIAL_PREFIX: Final = "lma_"
"""Loyalty member app: tells a credential apart from a terminal's ``plt_`` token."""


def credential_hash(credential: str) -> str:
    return hashlib.sha256(credential.encode("utf-8")).hexdigest()


def find_member(tx: Tx, ref: str) -> tuple[str, str, str | None]:
    """(member id, status, merged into) of the member with id or card ``ref``."""
    select = "SELECT member_id, status, merged_into FROM members WHERE "
    row = tx.one(select + "member_id = ?", (ref,)) or tx.one(select + "card = ?", (ref,))
    if row is None:
        raise AdminError(f"No member has the id or card {ref}.")
    return str(row[0]), str(row[1]), None if row[2] is None else str(row[2])


def issue_credential(tx: Tx, ref: str, actor: str) -> tuple[str, str, int]:
    """A new credential for the member with id or card ``ref``: (the credential, the
    member id, how many earlier credentials it revoked). Refuses a blocked or merged
    member."""
    member_id, status, merged_into = find_member(tx, ref)
    if merged_into is not None:
        raise AdminError(f"Member {member_id} was merged into {merged_into}: issue for them.")
    if status == "blocked":
        raise AdminError(f"Member {member_id} is blocked: unblock them before issuing.")
    revoked = _revoke_all(tx, member_id)
    credential = CREDENTIAL_PREFIX + secrets.token_urlsafe(32)
    tx.execute(
        "INSERT INTO member_app_credentials (credential_sha256, member_id, created_at) "
        "VALUES (?, ?, ?)",
        (credential_hash(credential), member_id, utc_now_iso()),
    )
    record_audit(tx, actor, "member_app.issue", member_id, {"revoked": revoked})
    return credential, member_id, revoked


def revoke_credentials(tx: Tx, ref: str, actor: str) -> tuple[str, int]:
    """End the member's credential: (member id, how many were revoked, 1 at most);
    :class:`AdminError` when they hold none."""
    member_id, _, _ = find_member(tx, ref)
    revoked = _revoke_all(tx, member_id)
    if not revoked:
        raise AdminError(f"Member {member_id} holds no member-app credential.")
    record_audit(tx, actor, "member_app.revoke", member_id, {"revoked": revoked})
    return member_id, revoked


def _revoke_all(tx: Tx, member_id: str) -> int:
    return tx.execute(
        "UPDATE member_app_credentials SET revoked_at = ? "
        "WHERE member_id = ? AND revoked_at IS NULL",
        (utc_now_iso(), member_id),
    )


def authenticated_member(tx: Tx, authorization: str | None) -> str:
    """The member id an ``Authorization: Bearer <credential>`` header names;
    :class:`Unauthenticated` (401) for no header, a terminal's token, or a credential
    unknown or revoked."""
    scheme, _, credential = (authorization or "").partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential:
        raise Unauthenticated(
            "Send the member-app credential as 'Authorization: Bearer <lma_...>'."
        )
    if credential.startswith(TERMINAL_PREFIX):
        raise Unauthenticated("A terminal's token is not a member-app credential.")
    row = tx.one(
        "SELECT member_id, revoked_at FROM member_app_credentials WHERE credential_sha256 = ?",
        (credential_hash(credential),),
    )
    if row is None:
        raise Unauthenticated("This member-app credential is not known to the ledger.")
    if row[1] is not None:
        raise Unauthenticated(f"This member-app credential was revoked on {row[1]}.")
    return str(row[0])
