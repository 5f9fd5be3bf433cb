"""Base45 (RFC 9285): bytes as text in the QR code alphanumeric set.

A QR code stores the 45 alphanumeric characters (digits, upper-case letters, space and
``$%*+-./:``) in 5.5 bits each, against 8 bits for a byte. Base45 writes two bytes as
three such characters and a last odd byte as two, so a token's bytes fit a smaller code
than they would as bytes or Base64 (the EU digital COVID certificate does the same).

:func:`decode` is strict: it refuses a length of 1 modulo 3, a character outside the
set, and a group whose value does not fit its bytes (``GGW`` is 65,535 + 1). Every
byte string has exactly one encoding, so a token that decodes is the token issued,
character for character (a test vector holds a non-canonical one).
"""

from __future__ import annotations

from typing import Final

ALPHABET: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_VALUE: Final = {char: value for value, char in enumerate(ALPHABET)}


class Base45Error(ValueError):
    """The text is not the Base45 encoding of any bytes."""


def encode(data: bytes) -> str:
    """``data`` as Base45 text (three characters per two bytes, two for a last byte)."""
    out: list[str] = []
    for start in range(0, len(data) - 1, 2):
        value = data[start] * 256 + data[start + 1]
        value, c = divmod(value, 45)
        e, d = divmod(value, 45)
        out += (ALPHABET[c], ALPHABET[d], ALPHABET[e])
    if len(data) % 2:
        d, c = divmod(data[-1], 45)
        out += (ALPHABET[c], ALPHABET[d])
    return "".join(out)


def decode(text: str) -> bytes:
    """The bytes ``text`` encodes; :class:`Base45Error` for anything but a canonical
    encoding."""
    if len(text) % 3 == 1:
        raise Base45Error(f"A Base45 text cannot be {len(text)} characters long.")
    try:
        values = [_VALUE[char] for char in text]
    except KeyError as exc:
        raise Base45Error(f"{exc.args[0]!r} is not a Base45 character.") from None
    out = bytearray()
    for start in range(0, len(values) - 2, 3):
        c, d, e = values[start : start + 3]
        value = c + d * 45 + e * 45 * 45
        if value > 0xFFFF:
            raise Base45Error(f"Characters {start}-{start + 2} do not encode two bytes.")
        out += value.to_bytes(2, "big")
    if len(values) % 3 == 2:
        c, d = values[-2:]
        value = c + d * 45
        if value > 0xFF:
            raise Base45Error("The last two characters do not encode a byte.")
        out.append(value)
    return bytes(out)
