"""A member token drawn as a QR code file (SVG or PNG) for ``pos-ledger qr --out``.

The code is drawn by segno at error correction level M, never boosted to a higher
level when the data would allow it, as a full QR code (never Micro QR, which many
scanners refuse), and refused above version 7: docs/MEMBER_QR.md sizes every token
to fit version 7 at level M, the largest code the till's scanners are set up for.
segno writes PNG by itself, so no imaging library is needed.

(The till's drawing helpers in ``devices/codes.py`` are not used: the ledger does not
import the till's packages, and their QR helper lets segno boost the level.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import segno

from ledger.errors import AdminError

MAX_VERSION: Final = 7
ERROR_LEVEL: Final = "m"
SCALE: Final = 4
"""Pixels per module of a PNG (an SVG scales freely)."""
BORDER: Final = 4
"""The standard quiet zone, in modules."""


def image_format(path: Path) -> str:
    """``svg`` or ``png`` from the file name; :class:`AdminError` for anything else."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in ("svg", "png"):
        raise AdminError(f"Cannot tell the image format of {path}: name it .svg or .png.")
    return suffix


def write_token_qr(text: str, path: Path) -> int:
    """Draw ``text`` as a QR code into ``path`` (.svg or .png); its version.

    Refuses (:class:`AdminError`, nothing written) a text that needs a version above
    :data:`MAX_VERSION` at level M."""
    kind = image_format(path)
    try:
        qr = segno.make_qr(text, error=ERROR_LEVEL, boost_error=False)
    except segno.DataOverflowError as exc:
        raise AdminError(f"The token does not fit a QR code: {exc}") from None
    version = int(qr.version)
    if version > MAX_VERSION:
        raise AdminError(
            f"The token needs a QR code of version {version} at level M; scanners are set up "
            f"for version {MAX_VERSION} at most. Nothing was written."
        )
    try:
        qr.save(str(path), kind=kind, scale=SCALE, border=BORDER)
    except OSError as exc:
        raise AdminError(f"Cannot write {path}: {exc.strerror}.") from None
    return version
