"""Helpers for the ledger's member QR tests: the real ``pos-ledger`` entry point run
in this process, a ledger set up with keys, members imported, the published keyset
verified as a till verifies it, and a PNG read back from its pixels."""

from __future__ import annotations

import contextlib
import io
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import zxingcpp

from ledger.cli import main, open_ledger
from ledger.feed import read_changes
from ledger.qr_keys import newest_keyset, required_settings
from ledger.terminals import add_terminal
from loyalty.token_keys import Keyset, verified_keyset
from sync.protocol import Change


@dataclass(frozen=True)
class Ran:
    status: int
    out: str
    err: str


def cli(db_url: str, *args: str) -> Ran:
    """``pos-ledger <args> --db <db_url>`` through :func:`ledger.cli.main`."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main([*args, "--db", db_url])
    return Ran(status, out.getvalue(), err.getvalue())


def ok(db_url: str, *args: str) -> Ran:
    ran = cli(db_url, *args)
    assert ran.status == 0, ran.err
    return ran


def set_up_keys(db_url: str, directory: Path, issuer: int = 4711) -> Path:
    """``qr-keys init`` and one app and one card key; the root key file."""
    root = directory / "root.key"
    ok(db_url, "qr-keys", "init", "--root-key", str(root), "--issuer", str(issuer))
    for use in ("app", "card"):
        ok(db_url, "qr-keys", "add", "--use", use, "--root-key", str(root))
    return root


def import_member(
    db_url: str,
    directory: Path,
    card: str,
    *,
    tier: str = "gold",
    balance: int = 0,
    member_id: str = "",
) -> str:
    """Import one member through ``pos-ledger members import``; their member id."""
    path = directory / f"member-{card}.csv"
    path.write_text(
        f"card,name,tier,balance,member_id\n{card},Ada,{tier},{balance},{member_id}\n",
        encoding="utf-8",
    )
    ok(db_url, "members", "import", str(path))
    return member_id or "M" + card


def stored_keyset(db_url: str) -> Keyset:
    """The newest keyset, once the root public key ``init`` recorded verifies it."""
    db, _ = open_ledger(db_url)
    try:
        with db.snapshot() as tx:
            root_public = required_settings(tx).root_public_key
            signed = newest_keyset(tx)
    finally:
        db.close()
    assert signed is not None
    document = signed.keyset.document()
    return verified_keyset(document, signed.signature, root_public)


def keyset_changes(db_url: str, terminal: str, since: str | None) -> tuple[list[Change], str]:
    """The ``keyset`` changes of every page after ``since`` for ``terminal`` (added if
    new), and the cursor after the last page."""
    db, ledger_id = open_ledger(db_url)
    found: list[Change] = []
    try:
        with db.write() as tx:
            if not tx.one("SELECT 1 FROM terminals WHERE terminal_id = ?", (terminal,)):
                add_terminal(tx, terminal)
        while True:
            with db.snapshot() as tx:
                page = read_changes(tx, ledger_id, terminal, since, 2)
            found += [c for c in page.changes if c.type == "keyset"]
            since = page.next_cursor
            if not page.has_more:
                return found, since
    finally:
        db.close()


def read_png_qr(path: Path) -> str:
    """The text of the QR code in a PNG segno wrote (1-bit grayscale, filters None or
    Up), decoded from its pixels by zxing-cpp."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at, idat, width, height = 8, b"", 0, 0
    while at < len(data):
        (size,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + size]
        at += 12 + size
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert (depth, colour) == (1, 0)
        elif kind == b"IDAT":
            idat += body
    raw, stride = zlib.decompress(idat), (width + 7) // 8
    rows, prior = [], bytes(stride)
    for y in range(height):
        line = raw[y * (stride + 1) : (y + 1) * (stride + 1)]
        assert line[0] in (0, 2)
        bits = (
            line[1:]
            if line[0] == 0
            else bytes((a + b) & 255 for a, b in zip(line[1:], prior, strict=True))
        )
        prior = bits
        rows.append(bytes(255 if bits[x // 8] >> (7 - x % 8) & 1 else 0 for x in range(width)))
    image = memoryview(b"".join(rows)).cast("B", (height, width))
    (barcode,) = zxingcpp.read_barcodes(
        image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    )
    return str(barcode.text)
