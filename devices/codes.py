"""Drawing the programme's codes: member cards (EAN-13), vouchers (Code 128), QR codes.

SVG is always available; PNG needs Pillow for the 1D barcodes (the optional ``png``
extra). QR codes are drawn by segno, which writes PNG on its own.

Two traps are closed here:

* python-barcode's EAN-13 silently *recomputes* the check digit, so a mistyped card
  number would print as a different, valid one. :func:`render_ean13` refuses any
  number whose check digit python-barcode would change. Callers should still
  validate the number in the domain first (``loyalty.cards``), which gives the
  cashier the reason.
* QR codes use ``segno.make_qr``, never ``segno.make``, which may choose a Micro QR
  that many scanners refuse to read.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Final, Literal

import barcode
import segno
from barcode.writer import ImageWriter, SVGWriter

from devices.errors import CodeRenderError

ImageFormat = Literal["svg", "png"]
FORMATS: Final[tuple[ImageFormat, ...]] = ("svg", "png")
_PNG_NEEDS_PILLOW: Final = (
    "PNG output needs Pillow, which is not installed. Install the till's 'png' extra "
    "(pip install 'loyalty-till[png]') or write an .svg file instead."
)
_CODE128_MAX: Final = 80


def format_for_path(path: str | Path) -> ImageFormat:
    """The image format a file name asks for (``.svg`` or ``.png``)."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix == "svg":
        return "svg"
    if suffix == "png":
        return "png"
    raise CodeRenderError(f"Cannot tell the image format of {path}: name it .svg or .png.")


def png_available() -> bool:
    """True when Pillow is installed, so 1D barcodes can be written as PNG."""
    return ImageWriter is not None


def render_ean13(number: str, fmt: ImageFormat = "svg") -> bytes:
    """Draw a member card's EAN-13. The number must carry its correct check digit."""
    if len(number) != 13 or not (number.isascii() and number.isdigit()):
        raise CodeRenderError(f"An EAN-13 is 13 digits; {number!r} is not.")
    code = barcode.get("ean13", number, writer=_writer(fmt))
    if code.get_fullcode() != number:
        raise CodeRenderError(
            f"{number} has a wrong check digit; it will not be printed as another number."
        )
    return _write(code)


def render_code128(text: str, fmt: ImageFormat = "svg") -> bytes:
    """Draw a voucher (or any short printable ASCII text) as Code 128."""
    if not text or len(text) > _CODE128_MAX:
        raise CodeRenderError(f"A Code 128 barcode holds 1 to {_CODE128_MAX} characters.")
    if not all(0x20 <= ord(c) <= 0x7E for c in text):
        raise CodeRenderError("A Code 128 barcode here holds printable ASCII characters only.")
    return _write(barcode.get("code128", text, writer=_writer(fmt)))


def render_qr(text: str, fmt: ImageFormat = "svg", scale: int = 4) -> bytes:
    """Draw a full-size QR code (never Micro QR), error correction level M."""
    if not text:
        raise CodeRenderError("A QR code needs some data.")
    if fmt not in FORMATS:
        raise CodeRenderError(f"Unknown image format {fmt!r}; use svg or png.")
    try:
        qr = segno.make_qr(text, error="m")
    except segno.DataOverflowError as error:
        raise CodeRenderError(f"Too much data for a QR code: {error}") from error
    out = io.BytesIO()
    qr.save(out, kind=fmt, scale=scale, border=4)
    return out.getvalue()


QR_TEXT_BORDER: Final = 2
"""Light modules around a QR drawn as text: half the standard quiet zone, which phone
cameras and imagers read on a screen, where every row counts."""


def qr_text_art(text: str, border: int = QR_TEXT_BORDER) -> str:
    """``text`` as a QR code drawn with half blocks, two module rows per line, at
    error level M and the smallest version that holds it (never a boosted level, so a
    member token stays within version 7): dark modules are the foreground, so show it
    dark on light. Lines are of equal width and carry no trailing newline."""
    if not text:
        raise CodeRenderError("A QR code needs some data.")
    try:
        qr = segno.make_qr(text, error="m", boost_error=False)
    except segno.DataOverflowError as error:
        raise CodeRenderError(f"Too much data for a QR code: {error}") from error
    rows = [list(row) for row in qr.matrix_iter(scale=1, border=border)]
    if len(rows) % 2:
        rows.append([False] * len(rows[0]))
    glyphs = {(True, True): "█", (True, False): "▀", (False, True): "▄", (False, False): " "}
    return "\n".join(
        "".join(glyphs[bool(top), bool(bottom)] for top, bottom in zip(upper, lower, strict=True))
        for upper, lower in zip(rows[::2], rows[1::2], strict=True)
    )


def save_code(data: bytes, path: str | Path) -> Path:
    """Write rendered image bytes to ``path``; errors say which file could not be written."""
    target = Path(path)
    try:
        target.write_bytes(data)
    except OSError as error:
        raise CodeRenderError(f"Could not write {target}: {error.strerror or error}") from error
    return target


def _writer(fmt: ImageFormat) -> Any:
    if fmt == "svg":
        return SVGWriter()
    if fmt == "png":
        if ImageWriter is None:
            raise CodeRenderError(_PNG_NEEDS_PILLOW)
        return ImageWriter(format="PNG")
    raise CodeRenderError(f"Unknown image format {fmt!r}; use svg or png.")


def _write(code: Any) -> bytes:
    out = io.BytesIO()
    code.write(out, options={"module_height": 15.0, "quiet_zone": 6.5})
    return out.getvalue()
