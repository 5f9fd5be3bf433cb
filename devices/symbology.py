"""Which kind of barcode a scan came from: AIM identifiers, or a guess from the text.

Many scanners can prefix each scan with an AIM symbology identifier: ``]``, a letter
for the symbology family and a modifier character (``]E0`` is EAN-13, ``]C1`` is
GS1-128, ``]Q1`` is QR). It is off by default on most scanners, so both cases are
handled: when present it is recognised, recorded in :attr:`Scan.aim_id` and removed
from the text; when absent the symbology is inferred from the text where the text
leaves no doubt (13 digits are an EAN-13, 8 digits an EAN-8, 12 digits a UPC-A) and
is :attr:`Symbology.UNKNOWN` otherwise.

Guarantee: :func:`parse_frame` never returns a :class:`Scan` with empty text; a frame
that held only an identifier comes back as :class:`Rejected`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from devices.framing import Frame, Rejected


class Symbology(StrEnum):
    """The barcode families the till tells apart."""

    EAN13 = "ean13"
    EAN8 = "ean8"
    UPCA = "upca"
    CODE128 = "code128"
    GS1_128 = "gs1-128"
    CODE39 = "code39"
    QR = "qr"
    GS1_QR = "gs1-qr"
    DATAMATRIX = "datamatrix"
    OTHER = "other"
    """An AIM identifier the till does not name (kept in :attr:`Scan.aim_id`)."""
    UNKNOWN = "unknown"
    """No AIM identifier and nothing in the text that says which symbology it was."""


_EXACT: Final[dict[str, Symbology]] = {
    "]E0": Symbology.EAN13,
    "]E4": Symbology.EAN8,
    "]C0": Symbology.CODE128,
    "]C1": Symbology.GS1_128,
    "]Q3": Symbology.GS1_QR,
    "]Q5": Symbology.GS1_QR,
}
_FAMILIES: Final[dict[str, Symbology]] = {
    "C": Symbology.CODE128,
    "A": Symbology.CODE39,
    "Q": Symbology.QR,
    "d": Symbology.DATAMATRIX,
}
_AIM_LENGTH: Final = 3


@dataclass(frozen=True, slots=True)
class Scan:
    """One scan, ready for the domain to classify."""

    text: str
    """The scanned data, AIM identifier removed: printable ASCII, never empty."""
    symbology: Symbology
    """From the AIM identifier when there was one, otherwise inferred from the text."""
    aim_id: str | None
    """The AIM identifier as sent (``"]E0"``), or None when the scanner sent none."""
    raw_length: int
    """Bytes the scan took on the wire, identifier and end marker included."""
    at: float = 0.0
    """The monotonic time at which its last byte was read."""


def split_aim_id(text: str) -> tuple[str | None, str]:
    """Split ``"]E02900..."`` into ``("]E0", "2900...")``; ``(None, text)`` if none."""
    if len(text) >= _AIM_LENGTH and text[0] == "]" and text[1].isalpha() and text[2].isalnum():
        return text[:_AIM_LENGTH], text[_AIM_LENGTH:]
    return None, text


def symbology_of_aim_id(aim_id: str) -> Symbology:
    """The symbology an AIM identifier names; :attr:`Symbology.OTHER` if not one we name."""
    exact = _EXACT.get(aim_id)
    if exact is not None:
        return exact
    return _FAMILIES.get(aim_id[1], Symbology.OTHER)


def infer_symbology(text: str) -> Symbology:
    """Guess the symbology from the text alone, only where the text leaves no doubt."""
    if text.isascii() and text.isdigit():
        return {13: Symbology.EAN13, 8: Symbology.EAN8, 12: Symbology.UPCA}.get(
            len(text), Symbology.UNKNOWN
        )
    return Symbology.UNKNOWN


def parse_frame(frame: Frame) -> Scan | Rejected:
    """Turn a framed scan into a :class:`Scan`, recognising and removing any AIM id."""
    aim_id, text = split_aim_id(frame.text)
    if not text:
        return Rejected(
            reason="the scan held only a symbology identifier and no data",
            raw=frame.text.encode("ascii"),
            raw_length=frame.raw_length,
            at=frame.at,
        )
    symbology = symbology_of_aim_id(aim_id) if aim_id else infer_symbology(text)
    return Scan(
        text=text, symbology=symbology, aim_id=aim_id, raw_length=frame.raw_length, at=frame.at
    )
