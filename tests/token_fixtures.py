"""Member QR tokens for tests: fixed test keys (never used anywhere else), a keyset
signed by the test root key, and tokens issued with them at a given time."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from loyalty.member_token import MemberToken, TokenUse, issue
from loyalty.token_keys import Keyset, SignedKeyset, TokenKey, public_hex, sign_keyset

ISSUER = 4711
ROOT = Ed25519PrivateKey.from_private_bytes(b"test root key; tests only!!!!!!!")
ROOT_PUBLIC = public_hex(ROOT)
APP_KEY_ID, CARD_KEY_ID, NEXT_APP_KEY_ID = 1, 2, 3
KEYS = {
    APP_KEY_ID: Ed25519PrivateKey.from_private_bytes(b"test app key 1; tests only!!!!!!"),
    CARD_KEY_ID: Ed25519PrivateKey.from_private_bytes(b"test card key 2; tests only!!!!!"),
    NEXT_APP_KEY_ID: Ed25519PrivateKey.from_private_bytes(b"test app key 3; tests only!!!!!!"),
}
USES = {APP_KEY_ID: TokenUse.APP, CARD_KEY_ID: TokenUse.CARD, NEXT_APP_KEY_ID: TokenUse.APP}
VALID_FROM, VALID_TO = 1_700_000_000, 2_000_000_000


def keyset(
    number: int = 1,
    keys: tuple[int, ...] = (APP_KEY_ID, CARD_KEY_ID),
    revoked: tuple[int, ...] = (),
) -> SignedKeyset:
    """A keyset of the test keys, signed by the test root key."""
    return sign_keyset(
        Keyset(
            issuer=ISSUER,
            number=number,
            issued_at=VALID_FROM,
            keys=tuple(
                TokenKey(k, USES[k], public_hex(KEYS[k]), VALID_FROM, VALID_TO) for k in keys
            ),
            revoked=frozenset(revoked),
        ),
        ROOT,
    )


def token(
    at: datetime,
    card: str,
    member_id: str,
    *,
    balance: int = 0,
    key_id: int = APP_KEY_ID,
    single_use: bool = True,
    generation: int = 1,
    tier: str = "",
    nonce: int = 1,
    **changes: object,
) -> str:
    """The QR text of a token issued at ``at`` for this member (the nonce raised until
    the text does not end in a space, as the ledger's issuer does)."""
    issued = int(at.timestamp())
    fields = MemberToken(
        use=USES[key_id],
        single_use=single_use,
        issuer=ISSUER,
        key_id=key_id,
        issued_at=issued,
        valid_hours=48,
        card=card,
        card_generation=generation,
        balance=balance,
        balance_as_of=issued,
        nonce=nonce,
        tier=tier,
        member_id=member_id,
    )
    fields = replace(fields, **changes)  # type: ignore[arg-type]
    text = issue(fields, KEYS[key_id])
    while text.endswith(" "):  # as the ledger does: scanners trim a trailing space
        fields = replace(fields, nonce=fields.nonce + 1)
        text = issue(fields, KEYS[key_id])
    return text
