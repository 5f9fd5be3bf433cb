"""Receipts as exact ESC/POS bytes, for Epson-compatible thermal printers.

:func:`build_receipt` turns a neutral :class:`ReceiptLines` (what to print, with no
printer knowledge) into the byte string sent to the printer. The bytes are fully
determined by the input, so tests compare them exactly.

Characters: the printer is switched to code page PC865 (Nordic) with ``ESC t 5``,
and text is encoded as CP865, which holds æ ø å Æ Ø Å and the other Nordic letters.
A character CP865 lacks (``€``, emoji, ...) is printed as ``?``: write ``EUR`` or
``kr`` rather than a currency symbol. Control characters in the text are printed as
``?`` too, so text can never smuggle a printer command into a receipt.

Layout: the header is centred and bold, its first line double size; body lines are
left-aligned as given (pad them with :func:`two_columns`); each barcode is Code 128
(code set B, ``GS k``), centred, with its text printed under it; the footer is
centred; then the paper is fed and cut (``GS V 66 0``, partial cut).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from devices.errors import ReceiptError

ESC: Final = b"\x1b"
GS: Final = b"\x1d"

INITIALISE: Final = ESC + b"@"
CODE_PAGE_PC865: Final = ESC + b"t\x05"
ALIGN_LEFT: Final = ESC + b"a\x00"
ALIGN_CENTRE: Final = ESC + b"a\x01"
BOLD_ON: Final = ESC + b"E\x01"
BOLD_OFF: Final = ESC + b"E\x00"
DOUBLE_SIZE: Final = GS + b"!\x11"
NORMAL_SIZE: Final = GS + b"!\x00"
BARCODE_HEIGHT: Final = GS + b"h\x50"
BARCODE_MODULE_WIDTH: Final = GS + b"w\x02"
BARCODE_TEXT_BELOW: Final = GS + b"H\x02"
CODE128: Final = GS + b"k\x49"
FEED_AND_CUT: Final = ESC + b"d\x03" + GS + b"V\x42\x00"
NEWLINE: Final = b"\n"

ENCODING: Final = "cp865"
DEFAULT_WIDTH: Final = 42
_CODE128_MAX_DATA: Final = 253


@dataclass(frozen=True, slots=True)
class ReceiptLines:
    """What a receipt says, independent of any printer."""

    header: Sequence[str] = ()
    """Store name and address: centred, bold; the first line double size."""
    lines: Sequence[str] = ()
    """The body, one printed line each, left-aligned as given."""
    barcodes: Sequence[str] = field(default_factory=tuple)
    """Code 128 payloads (a voucher code, the receipt number): printable ASCII."""
    footer: Sequence[str] = ()
    """Closing words, centred."""
    cut: bool = True
    """Feed the paper past the cutter and cut it."""


def two_columns(left: str, right: str, width: int = DEFAULT_WIDTH) -> str:
    """``left`` and ``right`` on one line of ``width`` columns; ``left`` is shortened to fit."""
    left = left[: max(width - len(right) - 1, 0)]
    return left + " " * max(width - len(left) - len(right), 1) + right


def encode_text(text: str) -> bytes:
    """Text as CP865 bytes; characters it lacks and control characters become ``?``."""
    safe = "".join("?" if (ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0) else c for c in text)
    return safe.encode(ENCODING, errors="replace")


def code128(data: str) -> bytes:
    """The ``GS k`` command printing ``data`` as Code 128, code set B, text below."""
    if not data or not all(0x20 <= ord(c) <= 0x7E for c in data):
        raise ReceiptError(
            f"The barcode {data!r} cannot be printed: use letters, digits and punctuation only."
        )
    payload = b"{B" + data.replace("{", "{{").encode("ascii")
    if len(payload) > _CODE128_MAX_DATA + 2:
        raise ReceiptError(f"The barcode {data[:20]!r}... is too long for the printer.")
    return (
        BARCODE_HEIGHT
        + BARCODE_MODULE_WIDTH
        + BARCODE_TEXT_BELOW
        + CODE128
        + bytes([len(payload)])
        + payload
        + NEWLINE
    )


def build_receipt(receipt: ReceiptLines) -> bytes:
    """The exact bytes that print ``receipt``; raises :class:`ReceiptError` for a bad barcode."""
    out = bytearray(INITIALISE + CODE_PAGE_PC865)
    if receipt.header:
        out += ALIGN_CENTRE + BOLD_ON
        for index, line in enumerate(receipt.header):
            if index == 0:
                out += DOUBLE_SIZE + encode_text(line) + NEWLINE + NORMAL_SIZE
            else:
                out += encode_text(line) + NEWLINE
        out += BOLD_OFF + NEWLINE
    out += ALIGN_LEFT
    for line in receipt.lines:
        out += encode_text(line) + NEWLINE
    if receipt.barcodes:
        out += ALIGN_CENTRE
        for data in receipt.barcodes:
            out += NEWLINE + code128(data)
        out += ALIGN_LEFT
    if receipt.footer:
        out += NEWLINE + ALIGN_CENTRE
        for line in receipt.footer:
            out += encode_text(line) + NEWLINE
        out += ALIGN_LEFT
    if receipt.cut:
        out += FEED_AND_CUT
    return bytes(out)
