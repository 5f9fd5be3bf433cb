"""Base45 (RFC 9285) as member QR tokens use it: the RFC's examples, and a strict
decoder under which every byte string has exactly one text."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty.base45 import ALPHABET, Base45Error, decode, encode


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"AB", "BB8"),  # RFC 9285, 4.3
        (b"Hello!!", "%69 VD92EX0"),
        (b"base-45", "UJCLQE7W581"),
        (b"ietf!", "QED8WEX0"),  # RFC 9285, 4.4
        (b"", ""),
        (b"\x00", "00"),
        (b"\xff", "U5"),
        (b"\x00\x00", "000"),
        (b"\xff\xff", "FGW"),
    ],
)
def test_the_rfc_examples_and_the_edges_both_ways(data: bytes, text: str) -> None:
    assert encode(data) == text
    assert decode(text) == data


def test_the_alphabet_is_the_qr_alphanumeric_set_in_the_rfc_order() -> None:
    assert ALPHABET == "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
    assert len(set(ALPHABET)) == 45


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("A", "cannot be 1 characters long"),
        ("BB8A", "cannot be 4 characters long"),
        ("bb8", "'b' is not a Base45 character"),
        ("BB8b", "cannot be 4"),  # the length is looked at first
        ("BB_", "'_' is not a Base45 character"),
        ("BB\u00e9", "is not a Base45 character"),
        ("BB8\n", "cannot be 4"),
        ("BB8\n0", "'\\n' is not a Base45 character"),
        ("GGW", "Characters 0-2 do not encode two bytes"),  # 65,536
        ("BB8GGW", "Characters 3-5 do not encode two bytes"),
        ("::::", "cannot be 4"),
        (":::", "Characters 0-2"),  # 91,124, the largest three characters can write
        ("V5", "The last two characters do not encode a byte"),  # 256
        ("ZZ", "The last two characters do not encode a byte"),  # 1,610
        ("BB8::", "The last two characters"),
    ],
)
def test_anything_but_a_canonical_encoding_is_refused(text: str, reason: str) -> None:
    with pytest.raises(Base45Error, match=re.escape(reason)):
        decode(text)


def test_a_base45_error_is_a_value_error() -> None:
    assert issubclass(Base45Error, ValueError)


def test_no_text_ends_in_a_space_because_a_groups_last_character_is_its_highest_digit() -> None:
    # Scanners and input fields trim a trailing space; a Base45 text never has one:
    # the last character of three is value // 2025 <= 32 ("W"), of two value // 45 <= 5.
    assert not any(encode(v.to_bytes(2, "big")).endswith(" ") for v in range(65_536))
    assert not any(encode(bytes([v])).endswith(" ") for v in range(256))
    assert {encode(v.to_bytes(2, "big"))[-1] for v in range(65_536)} == set(ALPHABET[:33])


@given(st.binary(max_size=200))
def test_any_bytes_round_trip_in_three_characters_per_two_bytes(data: bytes) -> None:
    text = encode(data)
    assert decode(text) == data
    assert len(text) == len(data) // 2 * 3 + len(data) % 2 * 2
    assert set(text) <= set(ALPHABET)


@given(st.text(alphabet=ALPHABET, max_size=60))
def test_a_text_that_decodes_is_the_one_encoding_of_its_bytes(text: str) -> None:
    try:
        data = decode(text)
    except Base45Error:
        return
    assert encode(data) == text
