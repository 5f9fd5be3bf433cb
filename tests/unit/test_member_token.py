"""The member QR token's bytes and text (loyalty.member_token): the layout byte by
byte, every field's range, the size limit that keeps a token within a QR code of
version 7 at level M, the refusal of bytes that are not a token, and the replay id."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
import segno
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from loyalty import base45
from loyalty.cards import card_of_body, make_card_number
from loyalty.member_token import (
    FIXED_LAYOUT,
    MAX_BYTES,
    MAX_NAMES,
    MAX_TEXT,
    MIN_BYTES,
    PREFIX,
    SIGNATURE_SIZE,
    SIGNED_DOMAIN,
    SINGLE_USE,
    MemberToken,
    TokenFormatError,
    TokenUse,
    issue,
    read,
    signed_message,
)
from loyalty.token_check import Refusal, TokenRefused, check_token
from loyalty.token_keys import Keyset, TokenKey, public_hex

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32, 64)))  # a test key, nothing else
CARD = make_card_number(4242)  # 2900000042421
TOKEN = MemberToken(
    use=TokenUse.APP,
    single_use=True,
    issuer=4711,
    key_id=1,
    issued_at=1_772_449_200,
    valid_hours=48,
    card=CARD,
    card_generation=2,
    balance=1250,
    balance_as_of=1_772_448_600,
    nonce=513,
    tier="gold",
    member_id="M004242",
)
ED25519_ORDER = 2**252 + 27742317777372353535851937790883648493
"""L, the order of the Ed25519 base point: S and S + L verify alike unless the
verifier insists on S < L."""

printable = st.characters(min_codepoint=0x21, max_codepoint=0x7E)
tokens = st.builds(
    MemberToken,
    use=st.sampled_from(TokenUse),
    single_use=st.booleans(),
    issuer=st.integers(0, 0xFFFF),
    key_id=st.integers(0, 0xFFFF),
    issued_at=st.integers(0, 2**32 - 1),
    valid_hours=st.integers(1, 0xFFFF),
    card=st.integers(2 * 10**11, 3 * 10**11 - 1).map(card_of_body),
    card_generation=st.integers(1, 255),
    balance=st.integers(-(2**31), 2**31 - 1),
    balance_as_of=st.integers(0, 2**32 - 1),
    nonce=st.integers(0, 0xFFFF),
    tier=st.text(printable, max_size=MAX_NAMES // 2),
    member_id=st.text(printable, min_size=1, max_size=MAX_NAMES // 2),
)


def text_of(body: bytes, signature: bytes = bytes(SIGNATURE_SIZE)) -> str:
    return PREFIX + base45.encode(body + signature)


def test_the_sizes_follow_from_version_7_at_level_m() -> None:
    assert (PREFIX, SIGNED_DOMAIN, SINGLE_USE) == ("LTY1:", b"LTY1 member token\x00", 0x80)
    assert FIXED_LAYOUT.size == 27
    assert (MAX_TEXT, MAX_BYTES, MAX_NAMES, MIN_BYTES) == (178, 115, 22, 94)
    assert len(PREFIX) + len(base45.encode(bytes(MAX_BYTES))) == MAX_TEXT
    assert len(PREFIX) + len(base45.encode(bytes(MAX_BYTES + 1))) > MAX_TEXT


def test_the_body_byte_by_byte() -> None:
    expected = (
        bytes([0x82])  # type: app (2) | single use (0x80)
        + (4711).to_bytes(2, "big")  # issuer
        + (1).to_bytes(2, "big")  # key id
        + (1_772_449_200).to_bytes(4, "big")  # issued at
        + (48).to_bytes(2, "big")  # valid hours
        + (290000004242).to_bytes(5, "big")  # the card's twelve digits, no check digit
        + bytes([2])  # card generation
        + (1250).to_bytes(4, "big", signed=True)  # balance
        + (1_772_448_600).to_bytes(4, "big")  # balance as of
        + (513).to_bytes(2, "big")  # nonce
        + b"\x04gold"
        + b"\x07M004242"
    )
    assert TOKEN.body() == expected
    assert len(expected) == 27 + 5 + 8
    text = issue(TOKEN, KEY)
    raw = base45.decode(text.removeprefix(PREFIX))
    assert raw[:-SIGNATURE_SIZE] == expected
    KEY.public_key().verify(raw[-SIGNATURE_SIZE:], SIGNED_DOMAIN + expected)
    assert signed_message(expected) == SIGNED_DOMAIN + expected


def test_a_negative_balance_and_a_multi_use_card_token() -> None:
    token = replace(TOKEN, use=TokenUse.CARD, single_use=False, balance=-5)
    body = token.body()
    assert body[0] == 0x01
    assert body[17:21] == b"\xff\xff\xff\xfb"
    assert read(issue(token, KEY)).token == token


@given(tokens)
def test_every_token_reads_back_as_issued(token: MemberToken) -> None:
    text = issue(token, KEY)
    assert text.startswith(PREFIX) and len(text) <= MAX_TEXT
    assert issue(token, KEY) == text  # Ed25519 signs deterministically
    read_token = read(text)
    assert read_token.token == token
    assert read_token.body == token.body()
    KEY.public_key().verify(read_token.signature, signed_message(read_token.body))
    assert read_token.token.expires_at == token.issued_at + token.valid_hours * 3600


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("issuer", -1, "out of range"),
        ("issuer", 0x10000, "out of range"),
        ("key_id", 0x10000, "out of range"),
        ("issued_at", -1, "out of range"),
        ("issued_at", 2**32, "out of range"),
        ("valid_hours", 0, "start at 1"),
        ("valid_hours", 0x10000, "out of range"),
        ("card_generation", 0, "start at 1"),
        ("card_generation", 256, "out of range"),
        ("balance", 2**31, "out of range"),
        ("balance", -(2**31) - 1, "out of range"),
        ("balance_as_of", -1, "out of range"),
        ("balance_as_of", 2**32, "out of range"),
        ("nonce", -1, "out of range"),
        ("nonce", 0x10000, "out of range"),
        ("card", "2900000042420", "The card '2900000042420' is not a member card"),
        ("card", "4006381333931", "is not a member card"),
        ("card", "29000000424", "is not a member card"),
        ("tier", "gold card", "The tier id 'gold card' is not printable ASCII"),
        ("tier", "gold\n", "tier id"),
        ("member_id", "", "The member id '' is not printable ASCII"),
        ("member_id", "M\u00f64242", "member id"),
        ("member_id", "M 4242", "member id"),
    ],
)
def test_a_field_out_of_range_is_refused_at_issue(field: str, value: object, reason: str) -> None:
    token = replace(TOKEN, **{field: value})  # type: ignore[arg-type]
    with pytest.raises(TokenFormatError, match=re.escape(reason)):
        issue(token, KEY)


def test_tier_and_member_id_together_take_at_most_22_bytes() -> None:
    fits = replace(TOKEN, tier="platinum", member_id="MBR-0000987654")
    assert read(issue(fits, KEY)).token == fits
    for tier, member in (("platinum", "MBR-00009876543"), ("", "M" * 23), ("t" * 22, "M")):
        with pytest.raises(TokenFormatError, match="take 23 bytes; a token that fits a version"):
            issue(replace(TOKEN, tier=tier, member_id=member), KEY)


def largest() -> MemberToken:
    return MemberToken(
        use=TokenUse.CARD,
        single_use=True,
        issuer=0xFFFF,
        key_id=0xFFFF,
        issued_at=2**32 - 1,
        valid_hours=0xFFFF,
        card=card_of_body(299_999_999_999),
        card_generation=255,
        balance=2**31 - 1,
        balance_as_of=2**32 - 1,
        nonce=0xFFFF,
        tier="~" * 11,
        member_id="~" * 11,
    )


def test_the_largest_token_is_178_characters_and_a_version_7_qr_code_at_level_m() -> None:
    text = issue(largest(), KEY)
    assert len(text) == MAX_TEXT == 178
    assert len(base45.decode(text.removeprefix(PREFIX))) == MAX_BYTES
    qr = segno.make_qr(text, error="m", boost_error=False)
    assert isinstance(qr.version, int) and qr.version <= 7 and qr.error == "M"
    assert qr.mode == "alphanumeric"
    one_byte_more = text_of(largest().body() + b"~")
    assert len(one_byte_more) == 179
    assert segno.make_qr(one_byte_more, error="m", boost_error=False).version == 8


def test_the_smallest_token_is_94_bytes() -> None:
    smallest = replace(TOKEN, tier="", member_id="M")
    assert len(base45.decode(issue(smallest, KEY).removeprefix(PREFIX))) == MIN_BYTES


def with_names(tier: bytes, member: bytes) -> bytes:
    return TOKEN.body()[: FIXED_LAYOUT.size] + tier + member


def with_fixed(offset: int, value: bytes) -> bytes:
    body = bytearray(TOKEN.body())
    body[offset : offset + len(value)] = value
    return bytes(body)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("LTY2:" + issue(TOKEN, KEY).removeprefix(PREFIX), "begins with LTY1:"),
        ("lty1:" + issue(TOKEN, KEY).removeprefix(PREFIX), "begins with LTY1:"),
        (issue(TOKEN, KEY) + "0", "Not a token's characters"),
        (issue(TOKEN, KEY).lower().replace("lty1:", PREFIX), "Not a token's characters"),
        (text_of(bytes(MIN_BYTES - 1 - SIGNATURE_SIZE)), "holds 94 to 115 bytes; this one 93"),
        (text_of(bytes(MAX_BYTES + 1 - SIGNATURE_SIZE)), "this one 116"),
        (text_of(TOKEN.body() + b"\x00"), "lengths do not add up"),
        (text_of(with_names(b"\x04gold", b"\x06M004242")), "lengths do not add up"),
        (text_of(with_names(b"\x04gold", b"\x08M004242")), "ends inside its member id"),
        (text_of(with_names(b"\x0cgold", b"\x07M004242")), "tier id is not printable"),
        (text_of(with_names(b"\x40gold", b"\x07M004242")), "ends inside its tier id"),
        (text_of(with_names(b"\x04gold", b"\x07M\xe904242")), "member id is not ASCII"),
        (text_of(with_names(b"\x04g\xf6ld", b"\x07M004242")), "tier id is not ASCII"),
        (text_of(with_names(b"\x04go d", b"\x07M004242")), "tier id is not printable"),
        (text_of(with_names(b"\x04gold", b"\x07M\x0004242")), "member id is not printable"),
        (text_of(with_names(b"\x04gold", b"\x00") + b"\x00" * 7), "lengths do not add up"),
        (text_of(with_names(b"\x04gold", b"\x00")), "out of range"),
        (text_of(with_fixed(0, b"\x00")), "Unknown token type 0"),
        (text_of(with_fixed(0, b"\x03")), "Unknown token type 3"),
        (text_of(with_fixed(0, b"\x83")), "Unknown token type 131"),
        (text_of(with_fixed(0, b"\x42")), "Unknown token type 66"),
        (text_of(with_fixed(9, b"\x00\x00")), "out of range"),
        (text_of(with_fixed(16, b"\x00")), "out of range"),
        (text_of(with_fixed(11, (190000004242).to_bytes(5, "big"))), "not a member card"),
        (text_of(with_fixed(11, b"\xff" * 5)), "not a member card"),
    ],
)
def test_bytes_that_are_not_a_token_are_refused_as_a_format_error(text: str, reason: str) -> None:
    with pytest.raises(TokenFormatError, match=re.escape(reason)):
        read(text)


def test_the_replay_id_is_made_of_the_fields() -> None:
    assert TOKEN.type_byte == 0x82 == 130
    assert TOKEN.replay_id == "130.4711.1.2.1772449200.513.M004242"
    assert replace(TOKEN, single_use=False, use=TokenUse.CARD).replay_id.startswith("1.4711.")
    for field, value in (
        ("issuer", 4712),
        ("key_id", 2),
        ("card_generation", 3),
        ("issued_at", 1_772_449_201),
        ("nonce", 514),
        ("member_id", "M004243"),
        ("single_use", False),
    ):
        assert replace(TOKEN, **{field: value}).replay_id != TOKEN.replay_id, field  # type: ignore[arg-type]
    # the balance and the card do not make a token another: the same issue is the same token
    assert replace(TOKEN, balance=0, card=make_card_number(1)).replay_id == TOKEN.replay_id


def test_a_signature_altered_into_another_encoding_keeps_the_replay_id_and_is_refused() -> None:
    text = issue(TOKEN, KEY)
    original = read(text)
    r, s = original.signature[:32], int.from_bytes(original.signature[32:], "little")
    malleated = text_of(original.body, r + (s + ED25519_ORDER).to_bytes(32, "little"))
    assert malleated != text
    assert read(malleated).token.replay_id == original.token.replay_id
    keyset = Keyset(
        issuer=4711,
        number=1,
        issued_at=0,
        keys=(TokenKey(1, TokenUse.APP, public_hex(KEY), 0, 2**32 - 1),),
    )
    assert check_token(text, keyset, TOKEN.issued_at).token == TOKEN
    with pytest.raises(TokenRefused) as refused:
        check_token(malleated, keyset, TOKEN.issued_at)
    assert refused.value.refusal is Refusal.BAD_SIGNATURE
