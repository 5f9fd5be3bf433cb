"""The member QR token: its bytes, its text, its signature and its replay id.

A token is what a member shows instead of a plastic card: a QR code in the member app
or printed on a card, signed by the ledger with Ed25519, so that a till checks it
offline with a public key (:mod:`loyalty.token_keys`, :mod:`loyalty.token_check`).
docs/MEMBER_QR.md describes it byte by byte; this module is the one place the layout
is written.

The text is :data:`PREFIX` followed by the Base45 of the body and the 64-byte
signature. The body, big-endian, is :data:`FIXED_LAYOUT` (27 bytes) followed by the
tier id and the member id, each as a length byte and ASCII. The signature covers
:data:`SIGNED_DOMAIN` followed by the body, so no other signed message of the
programme (a keyset, say) can pass for a token.

The whole text stays within :data:`MAX_TEXT` characters, the capacity of a QR code of
version 7 at error correction level M in alphanumeric mode: the tier id and the
member id together may take :data:`MAX_NAMES` bytes. :func:`issue` refuses anything
larger with the reason.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from loyalty import base45
from loyalty.cards import card_of_body, validate_card_number
from loyalty.errors import InvalidCardNumber, LoyaltyError

PREFIX: Final = "LTY1:"
"""Token format 1; the scan classifier knows a member QR by it."""
SIGNED_DOMAIN: Final = b"LTY1 member token\x00"
SIGNATURE_SIZE: Final = 64
FIXED_LAYOUT: Final = struct.Struct(">BHHIH5sBiIH")
"""type, issuer, key id, issued at, valid hours, card body, card generation,
balance, balance as of, nonce."""
MAX_TEXT: Final = 178
"""Alphanumeric characters in a QR code of version 7, level M."""
MAX_BYTES: Final = (MAX_TEXT - len(PREFIX)) // 3 * 2 + (
    1 if (MAX_TEXT - len(PREFIX)) % 3 == 2 else 0
)
"""Body and signature together (115)."""
MAX_NAMES: Final = MAX_BYTES - SIGNATURE_SIZE - FIXED_LAYOUT.size - 2
"""Tier id and member id together (22 bytes)."""
MIN_BYTES: Final = FIXED_LAYOUT.size + 2 + 1 + SIGNATURE_SIZE
"""The shortest token: no tier id, a one-character member id."""
SINGLE_USE: Final = 0x80
"""The type byte's flag for a token that may identify a member once."""


class TokenUse(IntEnum):
    """What a token is for (the low bits of its type byte); each has its own keys."""

    CARD = 1
    """Printed on a card or a letter: long validity, used again and again."""
    APP = 2
    """Shown by the member app: valid for days, fetched fresh."""


class TokenFormatError(LoyaltyError):
    """The bytes or text are not a token of this format (damaged, truncated, altered)."""


@dataclass(frozen=True, slots=True)
class MemberToken:
    """A token's fields, as signed."""

    use: TokenUse
    single_use: bool
    issuer: int
    """The programme that issued it (the keyset's ``issuer``): 0 to 65,535."""
    key_id: int
    issued_at: int
    """Unix seconds, UTC."""
    valid_hours: int
    """The token expires this many hours after ``issued_at``."""
    card: str
    """The member's card in use when it was issued (EAN-13)."""
    card_generation: int
    """1 + the number of the member's cards taken out of use (replaced, reported lost)
    when it was issued; a till refuses it once it knows of a later one."""
    balance: int
    """The certified balance: the main wallet's confirmed points at ``balance_as_of``."""
    balance_as_of: int
    nonce: int
    """Tells apart tokens issued to the same member in the same second."""
    tier: str
    member_id: str

    @property
    def expires_at(self) -> int:
        return self.issued_at + self.valid_hours * 3600

    @property
    def replay_id(self) -> str:
        """The token's identity for replay checks, made of its fields (never of its
        signature: an Ed25519 signature can be altered into another valid one)."""
        return (
            f"{self.type_byte}.{self.issuer}.{self.key_id}.{self.card_generation}."
            f"{self.issued_at}.{self.nonce}.{self.member_id}"
        )

    @property
    def type_byte(self) -> int:
        return int(self.use) | (SINGLE_USE if self.single_use else 0)

    def body(self) -> bytes:
        """The signed bytes; :class:`TokenFormatError` for a field out of range."""
        tier, member = _ascii("tier id", self.tier, 0), _ascii("member id", self.member_id, 1)
        if len(tier) + len(member) > MAX_NAMES:
            raise TokenFormatError(
                f"Tier id and member id take {len(tier) + len(member)} bytes; a token "
                f"that fits a version 7 QR code holds {MAX_NAMES}."
            )
        try:
            card = validate_card_number(self.card)
        except InvalidCardNumber as exc:
            raise TokenFormatError(f"The card {self.card!r} is not a member card: {exc}") from None
        try:
            fixed = FIXED_LAYOUT.pack(
                self.type_byte,
                self.issuer,
                self.key_id,
                self.issued_at,
                self.valid_hours,
                int(card[:12]).to_bytes(5, "big"),
                self.card_generation,
                self.balance,
                self.balance_as_of,
                self.nonce,
            )
        except struct.error as exc:
            raise TokenFormatError(f"A token field is out of range: {exc}.") from None
        if self.card_generation < 1 or self.valid_hours < 1:
            raise TokenFormatError("Card generation and validity start at 1.")
        return fixed + bytes([len(tier)]) + tier + bytes([len(member)]) + member


def signed_message(body: bytes) -> bytes:
    """What the signature covers: the domain, then the body."""
    return SIGNED_DOMAIN + body


def issue(token: MemberToken, key: Ed25519PrivateKey) -> str:
    """The QR text of ``token`` signed with ``key`` (Ed25519 signs deterministically:
    the same token and key always give the same text)."""
    body = token.body()
    return PREFIX + base45.encode(body + key.sign(signed_message(body)))


@dataclass(frozen=True, slots=True)
class ReadToken:
    """A token read from its text, its signature not yet checked."""

    token: MemberToken
    body: bytes
    signature: bytes


def read(text: str) -> ReadToken:
    """The fields of a token's QR text; :class:`TokenFormatError` says why it is not
    one (wrong prefix, not canonical Base45, too short or long, a length that does
    not add up, a field out of range)."""
    if not text.startswith(PREFIX):
        raise TokenFormatError(f"A member token begins with {PREFIX}.")
    try:
        raw = base45.decode(text[len(PREFIX) :])
    except base45.Base45Error as exc:
        raise TokenFormatError(f"Not a token's characters: {exc}") from None
    if not MIN_BYTES <= len(raw) <= MAX_BYTES:
        raise TokenFormatError(
            f"A token holds {MIN_BYTES} to {MAX_BYTES} bytes; this one {len(raw)} (truncated?)."
        )
    body, signature = raw[:-SIGNATURE_SIZE], raw[-SIGNATURE_SIZE:]
    fields = FIXED_LAYOUT.unpack_from(body)
    at = FIXED_LAYOUT.size
    tier, at = _length_prefixed(body, at, "tier id")
    member, at = _length_prefixed(body, at, "member id")
    if at != len(body):
        raise TokenFormatError("The token's lengths do not add up (truncated or altered).")
    type_byte, issuer, key_id, issued_at, hours, card_body, generation, *rest = fields
    balance, as_of, nonce = rest
    try:
        use = TokenUse(type_byte & ~SINGLE_USE)
    except ValueError:
        raise TokenFormatError(f"Unknown token type {type_byte}.") from None
    if not member or generation < 1 or hours < 1:
        raise TokenFormatError("A token field is out of range (altered?).")
    try:
        card = card_of_body(int.from_bytes(card_body, "big"))
    except ValueError:
        raise TokenFormatError("The token's card number is not a member card (altered?).") from None
    token = MemberToken(
        use=use,
        single_use=bool(type_byte & SINGLE_USE),
        issuer=issuer,
        key_id=key_id,
        issued_at=issued_at,
        valid_hours=hours,
        card=card,
        card_generation=generation,
        balance=balance,
        balance_as_of=as_of,
        nonce=nonce,
        tier=tier,
        member_id=member,
    )
    return ReadToken(token, body, signature)


def _ascii(name: str, value: str, minimum: int) -> bytes:
    if not minimum <= len(value) <= 255 or not all(0x21 <= ord(c) <= 0x7E for c in value):
        raise TokenFormatError(f"The {name} {value!r} is not printable ASCII a token can hold.")
    return value.encode("ascii")


def _length_prefixed(body: bytes, at: int, name: str) -> tuple[str, int]:
    if at >= len(body):
        raise TokenFormatError(f"The token ends before its {name} (truncated).")
    size = body[at]
    value = body[at + 1 : at + 1 + size]
    if len(value) != size:
        raise TokenFormatError(f"The token ends inside its {name} (truncated).")
    try:
        text = value.decode("ascii")
    except UnicodeDecodeError:
        raise TokenFormatError(f"The token's {name} is not ASCII (altered?).") from None
    if not all(0x21 <= ord(c) <= 0x7E for c in text):
        raise TokenFormatError(f"The token's {name} is not printable (altered?).")
    return text, at + 1 + size
