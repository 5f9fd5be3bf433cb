"""Write tests/vectors/member_tokens.json, the member QR token test vectors.

Run from the repository root (``python tests/vectors/make_member_tokens.py``); a path
given as the only argument is written instead. Everything is fixed, so every run
writes the same bytes: the private keys are the byte sequences 00..1f, 20..3f, ...
(test keys, printed in the file, never used anywhere else), the validation clock is
2026-03-02T12:00:00Z, the nonces are chosen, and Ed25519 signs deterministically.

Each vector's expected outcome is what :func:`loyalty.token_check.check_token`
returns, and this script also asserts the outcome the vector is meant to show, so a
change to the checks cannot quietly rewrite a vector.
tests/unit/test_member_token_vectors.py fails if the committed file is not what this
script writes. docs/MEMBER_QR.md (section "Test vectors") describes the vectors.
"""

from __future__ import annotations

import json
import struct
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from loyalty import base45
from loyalty.cards import make_card_number
from loyalty.member_token import (
    PREFIX,
    MemberToken,
    TokenFormatError,
    TokenUse,
    issue,
    read,
    signed_message,
)
from loyalty.token_check import Refusal, TokenRefused, check_token
from loyalty.token_keys import Keyset, TokenKey, public_hex, sign_keyset

OUT = Path(__file__).resolve().parent / "member_tokens.json"
HOUR, DAY = 3600, 86_400
CLOCK = 1_772_452_800
"""The validation clock: 2026-03-02T12:00:00Z."""
ISSUER, OTHER_ISSUER = 4711, 4712
BALANCE_OFFSET = struct.calcsize(">BHHIH5sB")
"""Where the balance starts in the body (17)."""
ISSUED_AT_LOW_BYTE = struct.calcsize(">BHHI") - 1
"""The last (lowest) byte of issued_at (8)."""


def seed(first: int) -> bytes:
    """A test-only private key seed: the 32 bytes ``first``, ``first + 1``, ..."""
    return bytes(range(first, first + 32))


@dataclass(frozen=True, slots=True)
class VectorKey:
    key_id: int
    use: TokenUse
    seed: bytes
    not_before: int
    not_after: int
    in_keyset: bool = True

    @property
    def private(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.seed)


ROOT = Ed25519PrivateKey.from_private_bytes(seed(0x00))
APP, CARD, REVOKED_APP, RETIRED_APP, NEWER_APP = 1, 2, 3, 4, 9
KEYS = {
    APP: VectorKey(APP, TokenUse.APP, seed(0x20), CLOCK - 180 * DAY, CLOCK + 180 * DAY),
    CARD: VectorKey(CARD, TokenUse.CARD, seed(0x40), CLOCK - 730 * DAY, CLOCK + 730 * DAY),
    REVOKED_APP: VectorKey(
        REVOKED_APP, TokenUse.APP, seed(0x60), CLOCK - 180 * DAY, CLOCK + 180 * DAY
    ),
    RETIRED_APP: VectorKey(
        RETIRED_APP, TokenUse.APP, seed(0x80), CLOCK - 400 * DAY, CLOCK - 10 * DAY
    ),
    NEWER_APP: VectorKey(
        NEWER_APP, TokenUse.APP, seed(0xA0), CLOCK - 2 * DAY, CLOCK + 365 * DAY, in_keyset=False
    ),
}
ROGUE = Ed25519PrivateKey.from_private_bytes(seed(0xC0))
"""A key in no keyset, which signs a token under key id 1 (the bad signature)."""

SIGNED_KEYSET = sign_keyset(
    Keyset(
        issuer=ISSUER,
        number=7,
        issued_at=CLOCK - DAY,
        keys=tuple(
            TokenKey(k.key_id, k.use, public_hex(k.private), k.not_before, k.not_after)
            for k in KEYS.values()
            if k.in_keyset
        ),
        revoked=frozenset({REVOKED_APP}),
    ),
    ROOT,
)
KEYSET = SIGNED_KEYSET.keyset

APP_TOKEN = MemberToken(
    use=TokenUse.APP,
    single_use=True,
    issuer=ISSUER,
    key_id=APP,
    issued_at=CLOCK - HOUR,
    valid_hours=48,
    card=make_card_number(4242),
    card_generation=1,
    balance=1250,
    balance_as_of=CLOCK - HOUR - 600,
    nonce=1,
    tier="gold",
    member_id="M004242",
)
"""A fresh app token, single use: the base of most vectors."""
LARGEST_TOKEN = MemberToken(
    use=TokenUse.CARD,
    single_use=False,
    issuer=ISSUER,
    key_id=CARD,
    issued_at=CLOCK - 30 * DAY,
    valid_hours=365 * 24,
    card=make_card_number(987_654),
    card_generation=3,
    balance=98_765,
    balance_as_of=CLOCK - 30 * DAY - 3600,
    nonce=7,
    tier="platinum",
    member_id="MBR-0000987654",
)
"""A printed card's token with the longest tier id and member id a token holds (22
bytes together): 178 characters, a QR code of version 7 at level M."""


def issued(token: MemberToken) -> str:
    return issue(token, KEYS[token.key_id].private)


def altered(text: str, change: int, value: bytes) -> str:
    """``text`` with the decoded bytes at ``change`` replaced by ``value``, re-encoded."""
    raw = bytearray(base45.decode(text[len(PREFIX) :]))
    raw[change : change + len(value)] = value
    return PREFIX + base45.encode(bytes(raw))


def flip_bit(text: str, byte: int, bit: int) -> str:
    raw = base45.decode(text[len(PREFIX) :])
    return altered(text, byte, bytes([raw[byte] ^ (1 << bit)]))


def overflowing_group(text: str) -> tuple[str, int]:
    """``text`` with its first group of three characters whose value v can take
    65,536 more written as the three characters of v + 65,536: a decoder that keeps
    the low 16 bits reads the same bytes; this one refuses it. Also the group's index."""
    data = text[len(PREFIX) :]
    for start in range(0, len(data) - 2, 3):
        c, d, e = (base45.ALPHABET.index(char) for char in data[start : start + 3])
        value = c + 45 * d + 2025 * e
        if value + 65_536 < 45**3:
            value += 65_536
            c, rest = value % 45, value // 45
            group = base45.ALPHABET[c] + base45.ALPHABET[rest % 45] + base45.ALPHABET[rest // 45]
            return PREFIX + data[:start] + group + data[start + 3 :], start
    raise AssertionError("no group can overflow")


def lowercased(text: str) -> tuple[str, int]:
    """``text`` with its first upper-case letter after the prefix in lower case."""
    at = next(i for i, char in enumerate(text) if i >= len(PREFIX) and char.isupper())
    return text[:at] + text[at].lower() + text[at + 1 :], at


def token_json(token: MemberToken) -> dict[str, Any]:
    return {
        "use": token.use.name.lower(),
        "single_use": token.single_use,
        "issuer": token.issuer,
        "key_id": token.key_id,
        "issued_at": token.issued_at,
        "valid_hours": token.valid_hours,
        "card": token.card,
        "card_generation": token.card_generation,
        "balance": token.balance,
        "balance_as_of": token.balance_as_of,
        "nonce": token.nonce,
        "tier": token.tier,
        "member_id": token.member_id,
    }


def vector(
    name: str,
    description: str,
    text: str,
    expect: Refusal | str,
    *,
    min_generation: int = 1,
    seen: Sequence[str] = (),
) -> dict[str, Any]:
    """One vector: what the text carries and what every step says of it at the clock."""
    try:
        raw_hex: str | None = base45.decode(text[len(PREFIX) :]).hex()
    except base45.Base45Error:
        raw_hex = None
    try:
        token: MemberToken | None = read(text).token
    except TokenFormatError:
        token = None
    is_issued = (
        token is not None
        and token.key_id in KEYS
        and issue(token, KEYS[token.key_id].private) == text
    )
    try:
        accepted = check_token(
            text, KEYSET, CLOCK, min_generation=min_generation, seen=frozenset(seen)
        )
        steps, result = accepted.steps, "valid"
    except TokenRefused as refused:
        steps, result = refused.steps, refused.refusal.value
    if result != str(expect):
        raise AssertionError(f"vector {name}: the checks say {result}, it is meant to be {expect}")
    return {
        "name": name,
        "description": description,
        "token": None if token is None else token_json(token),
        "replay_id": None if token is None else token.replay_id,
        "issued": is_issued,
        "qr_text": text,
        "raw_hex": raw_hex,
        "clock": CLOCK,
        "min_generation": min_generation,
        "seen": list(seen),
        "steps": steps,
        "result": result,
    }


def vectors() -> list[dict[str, Any]]:
    app = issued(APP_TOKEN)
    largest = issued(LARGEST_TOKEN)
    overflow, overflow_at = overflowing_group(app)
    lower, lower_at = lowercased(app)
    rogue_signed = PREFIX + base45.encode(
        APP_TOKEN.body() + ROGUE.sign(signed_message(APP_TOKEN.body()))
    )
    expired_at_tolerance = replace(APP_TOKEN, issued_at=CLOCK - 48 * HOUR - 300)
    future_at_tolerance = replace(APP_TOKEN, issued_at=CLOCK + 300)
    assert len(base45.decode(app[len(PREFIX) :])) % 2 == 0
    return [
        vector(
            "valid",
            "A fresh single-use app token (key 1), issued an hour before the clock, valid "
            "48 hours: every step passes.",
            app,
            "valid",
        ),
        vector(
            "valid_largest",
            "A printed card's multi-use token (key 2) with the longest tier id and member "
            "id a token holds (8 + 14 = 22 bytes): 115 bytes, 178 characters, a QR code of "
            "version 7 at level M. Card generation 3, the member's minimum 3.",
            largest,
            "valid",
            min_generation=3,
        ),
        vector(
            "expired",
            "Issued 48 hours and 301 seconds before the clock, valid 48 hours: it expired "
            "301 seconds ago, one second beyond the 300-second clock tolerance.",
            issued(replace(APP_TOKEN, issued_at=CLOCK - 48 * HOUR - 301)),
            Refusal.EXPIRED,
        ),
        vector(
            "expired_within_tolerance",
            "Expired exactly 300 seconds before the clock: still within the tolerance.",
            issued(expired_at_tolerance),
            "valid",
        ),
        vector(
            "not_yet_valid",
            "Issued 301 seconds after the clock: one second beyond the tolerance.",
            issued(replace(APP_TOKEN, issued_at=CLOCK + 301)),
            Refusal.NOT_YET_VALID,
        ),
        vector(
            "not_yet_valid_within_tolerance",
            "Issued exactly 300 seconds after the clock: still within the tolerance.",
            issued(future_at_tolerance),
            "valid",
        ),
        vector(
            "bad_signature",
            "The body of the valid token, signed by a key in no keyset (private seed "
            "c0..df, rogue_private_seed_hex) under key id 1.",
            rogue_signed,
            Refusal.BAD_SIGNATURE,
        ),
        vector(
            "flipped_bit",
            f"The valid token with bit 0 of body byte {ISSUED_AT_LOW_BYTE} (the lowest bit of "
            "issued_at) flipped and the bytes encoded again: it still reads, the signature "
            "no longer matches.",
            flip_bit(app, ISSUED_AT_LOW_BYTE, 0),
            Refusal.BAD_SIGNATURE,
        ),
        vector(
            "unknown_key_id",
            "Signed by key 9 (private seed a0..bf), a newer key this keyset does not list "
            "yet: the till has not synced since it was added.",
            issued(replace(APP_TOKEN, key_id=NEWER_APP)),
            Refusal.UNKNOWN_KEY,
        ),
        vector(
            "revoked_key_id",
            "Signed by key 3, which the keyset lists and revokes.",
            issued(replace(APP_TOKEN, key_id=REVOKED_APP)),
            Refusal.REVOKED,
        ),
        vector(
            "wrong_use",
            "A card token (use card) signed by key 1, an app key: a key signs only its use.",
            issued(replace(APP_TOKEN, use=TokenUse.CARD)),
            Refusal.BAD_SIGNATURE,
        ),
        vector(
            "key_period",
            "Signed by key 4, a retired app key still listed, whose period ended ten days "
            "before the clock, and claiming to be issued an hour ago: a token cannot be "
            "issued after its key's not_after.",
            issued(replace(APP_TOKEN, key_id=RETIRED_APP)),
            Refusal.EXPIRED,
        ),
        vector(
            "old_card_generation",
            "The valid token (card generation 1) at a till that knows one of the member's "
            "cards out of use (minimum generation 2).",
            app,
            Refusal.OLD_CARD,
            min_generation=2,
        ),
        vector(
            "tampered_balance",
            f"The valid token with its balance (body bytes {BALANCE_OFFSET}-"
            f"{BALANCE_OFFSET + 3}) raised from 1250 to 999999 and the original signature.",
            altered(app, BALANCE_OFFSET, struct.pack(">i", 999_999)),
            Refusal.BAD_SIGNATURE,
        ),
        vector(
            "truncated",
            "The valid token without its last three characters (two bytes): the text "
            "decodes, but the member id's length runs past the body.",
            app[:-3],
            Refusal.DAMAGED,
        ),
        vector(
            "truncated_mid_group",
            "The valid token without its last two characters: a Base45 text cannot be "
            "1 modulo 3 characters long.",
            app[:-2],
            Refusal.DAMAGED,
        ),
        vector(
            "non_canonical_base45_overflow",
            f"The valid token with the three characters at offset {overflow_at} after the "
            "prefix written for their value + 65,536: a decoder keeping the low 16 bits "
            "would read the valid token's bytes; a group above 65,535 is refused.",
            overflow,
            Refusal.DAMAGED,
        ),
        vector(
            "non_canonical_base45_lowercase",
            f"The valid token with character {lower_at} in lower case: a case-insensitive "
            "decoder would read the valid token's bytes; lower case is not Base45.",
            lower,
            Refusal.DAMAGED,
        ),
        vector(
            "wrong_prefix",
            "The valid token's Base45 after LTY2: (a format this till does not know).",
            "LTY2:" + app[len(PREFIX) :],
            Refusal.DAMAGED,
        ),
        vector(
            "other_programme",
            f"Issuer {OTHER_ISSUER}, signed by a key with id 1 (here key 1 itself): the "
            f"keyset is issuer {ISSUER}'s.",
            issued(replace(APP_TOKEN, issuer=OTHER_ISSUER)),
            Refusal.OTHER_PROGRAMME,
        ),
        vector(
            "replayed",
            "The valid single-use token at a till that remembers its replay id.",
            app,
            Refusal.REPLAYED,
            seen=[APP_TOKEN.replay_id],
        ),
        vector(
            "multi_use_seen",
            "The largest token, multi-use (a printed card), at a till that has seen its "
            "replay id: a multi-use token is accepted again.",
            largest,
            "valid",
            min_generation=3,
            seen=[LARGEST_TOKEN.replay_id],
        ),
    ]


def document() -> dict[str, Any]:
    return {
        "about": (
            "Member QR token test vectors (docs/MEMBER_QR.md, section 'Test vectors'). "
            "TEST KEYS ONLY: the private seeds are the byte sequences 00..1f (root), "
            "20..3f, 40..5f, ... and are published here. Written by "
            "tests/vectors/make_member_tokens.py; do not edit by hand. Each vector is "
            "checked against the keyset at its clock with its min_generation and seen "
            "replay ids; steps holds what every step run said (ok or the refusal), "
            "result is valid or the refusal. token is what the text carries (null when "
            "it does not read); issued is true when qr_text is exactly what issuing "
            "token with the signing key of its key_id gives."
        ),
        "root_private_seed_hex": seed(0x00).hex(),
        "root_public_key": public_hex(ROOT),
        "signing_keys": [
            {
                "key_id": key.key_id,
                "use": key.use.name.lower(),
                "private_seed_hex": key.seed.hex(),
                "public_key": public_hex(key.private),
            }
            for key in KEYS.values()
        ],
        "rogue_private_seed_hex": seed(0xC0).hex(),
        "rogue_public_key": public_hex(ROGUE),
        "keyset": SIGNED_KEYSET.to_json(),
        "clock": CLOCK,
        "vectors": vectors(),
    }


def render() -> str:
    return json.dumps(document(), indent=2, ensure_ascii=True) + "\n"


def main(argv: Sequence[str]) -> int:
    out = Path(argv[0]) if argv else OUT
    out.write_text(render(), encoding="ascii", newline="\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
