"""The keyset: which public keys sign member tokens, signed by the programme's root key.

The ledger signs tokens with Ed25519 keys that come and go: a key for printed cards
(long validity) and one for the app (days), each with an id and a validity period; two
keys of a use may be valid at once during a rollover, and a key id can be revoked.
The list of them, the **keyset**, reaches tills in the changes feed. A till trusts it
only when the **root key**, whose public half is pinned in the till's configuration,
signed it, and only when its ``number`` is above the one it holds (an old keyset
replayed cannot bring back a revoked key).

The signed message is :data:`SIGNED_DOMAIN` followed by the canonical JSON of the
document (:mod:`loyalty.canonical`); keys are written as lower-case hex.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from loyalty.canonical import canonical_bytes
from loyalty.errors import LoyaltyError
from loyalty.member_token import TokenUse

SIGNED_DOMAIN: Final = b"LTY1 keyset\x00"
KEY_HEX: Final = 64
"""An Ed25519 public key (32 bytes) in hex."""


class KeysetError(LoyaltyError):
    """A keyset that cannot be trusted or read: not signed by the pinned root key,
    malformed, or older than the one held."""


@dataclass(frozen=True, slots=True)
class TokenKey:
    """One signing key's public half and what it may sign."""

    key_id: int
    use: TokenUse
    public_key: str
    """32 bytes, hex."""
    not_before: int
    """Unix seconds: the key signs tokens issued from then..."""
    not_after: int
    """...until then; a token issued outside the period is refused."""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.key_id,
            "use": self.use.name.lower(),
            "public_key": self.public_key,
            "not_before": self.not_before,
            "not_after": self.not_after,
        }

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> TokenKey:
        use = str(data["use"]).upper()
        if use not in TokenUse.__members__:
            raise KeysetError(f"Unknown key use {data['use']!r}.")
        key = cls(
            key_id=_whole(data["id"], 0xFFFF, "key id"),
            use=TokenUse[use],
            public_key=str(data["public_key"]),
            not_before=_whole(data["not_before"], 2**32 - 1, "not_before"),
            not_after=_whole(data["not_after"], 2**32 - 1, "not_after"),
        )
        public_key_of(key.public_key)  # refuses a malformed key here, not at a scan
        return key


@dataclass(frozen=True, slots=True)
class Keyset:
    """The keys a programme's tokens may be signed with, and the ids revoked."""

    issuer: int
    number: int
    """Raised by every change; a till never goes back to a lower one."""
    issued_at: int
    keys: tuple[TokenKey, ...]
    revoked: frozenset[int] = field(default_factory=frozenset)

    def key(self, key_id: int) -> TokenKey | None:
        return next((k for k in self.keys if k.key_id == key_id), None)

    def document(self) -> dict[str, Any]:
        """The JSON document the root key signs."""
        return {
            "issuer": self.issuer,
            "number": self.number,
            "issued_at": self.issued_at,
            "keys": [k.to_json() for k in sorted(self.keys, key=lambda k: k.key_id)],
            "revoked": sorted(self.revoked),
        }

    @classmethod
    def of(cls, document: Mapping[str, Any]) -> Keyset:
        """The keyset a document describes; :class:`KeysetError` if malformed."""
        try:
            keys = tuple(TokenKey.of(k) for k in document["keys"])
            return cls(
                issuer=_whole(document["issuer"], 0xFFFF, "issuer"),
                number=_whole(document["number"], 2**62, "number"),
                issued_at=_whole(document["issued_at"], 2**32 - 1, "issued_at"),
                keys=keys,
                revoked=frozenset(_whole(r, 0xFFFF, "revoked id") for r in document["revoked"]),
            )
        except (KeyError, TypeError) as exc:
            raise KeysetError(f"A keyset document lacks or misstates {exc}.") from None


@dataclass(frozen=True, slots=True)
class SignedKeyset:
    """A keyset with the root key's signature, as the changes feed carries it."""

    keyset: Keyset
    signature: str
    """64 bytes, hex."""

    def to_json(self) -> dict[str, Any]:
        return {"document": self.keyset.document(), "signature": self.signature}


def sign_keyset(keyset: Keyset, root: Ed25519PrivateKey) -> SignedKeyset:
    """``keyset`` signed with the root key."""
    return SignedKeyset(keyset, root.sign(_message(keyset.document())).hex())


def verified_keyset(document: Mapping[str, Any], signature: str, root_public_key: str) -> Keyset:
    """The keyset ``document`` describes, once ``signature`` is the pinned root key's
    over it; :class:`KeysetError` otherwise (the till then keeps the keyset it has)."""
    try:
        public_key_of(root_public_key).verify(bytes.fromhex(signature), _message(document))
    except (InvalidSignature, ValueError):
        raise KeysetError("The keyset is not signed by this till's pinned root key.") from None
    return Keyset.of(document)


def public_key_of(hex_key: str) -> Ed25519PublicKey:
    """An Ed25519 public key from its hex; :class:`KeysetError` if it is not one."""
    try:
        raw = bytes.fromhex(hex_key)
        if len(raw) != KEY_HEX // 2:
            raise ValueError
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise KeysetError(f"{hex_key[:16]!r}... is not an Ed25519 public key in hex.") from None


def public_hex(key: Ed25519PrivateKey) -> str:
    """The public half of ``key`` in hex, as keysets and configurations write it."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def _message(document: Mapping[str, Any]) -> bytes:
    return SIGNED_DOMAIN + canonical_bytes(dict(document))


def _whole(value: Any, maximum: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise KeysetError(f"The keyset's {name} must be a whole number from 0 to {maximum}.")
    return value
