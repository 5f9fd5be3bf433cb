"""Receipts become exact ESC/POS bytes: Nordic letters, Code 128, cut, nothing injected."""

from __future__ import annotations

import pytest

from devices.errors import ReceiptError
from devices.escpos import ReceiptLines, build_receipt, code128, encode_text, two_columns


def test_a_full_receipt_is_exactly_these_bytes() -> None:
    receipt = ReceiptLines(
        header=["Kaffebrenneriet", "Storgata 1"],
        lines=[two_columns("Poeng opptjent", "42", width=20)],
        barcodes=["VCH-7K2M9Q"],
        footer=["Takk for besøket!"],
    )
    assert build_receipt(receipt) == (
        b"\x1b@"  # initialise
        b"\x1bt\x05"  # code page PC865 (Nordic)
        b"\x1ba\x01\x1bE\x01"  # centre, bold
        b"\x1d!\x11Kaffebrenneriet\n\x1d!\x00"  # first header line double size
        b"Storgata 1\n"
        b"\x1bE\x00\n"  # bold off, blank line
        b"\x1ba\x00"  # left
        b"Poeng opptjent    42\n"
        b"\x1ba\x01\n"  # centre the barcodes
        b"\x1dhP\x1dw\x02\x1dH\x02"  # height 80, module width 2, text below
        b"\x1dkI\x0c{BVCH-7K2M9Q\n"  # Code 128, 12 bytes, code set B
        b"\x1ba\x00"
        b"\n\x1ba\x01Takk for bes\x9bket!\n\x1ba\x00"
        b"\x1bd\x03\x1dVB\x00"  # feed 3 lines, partial cut
    )


def test_nordic_letters_use_code_page_865() -> None:
    assert encode_text("æøå ÆØÅ") == b"\x91\x9b\x86 \x92\x9d\x8f"


def test_characters_the_code_page_lacks_print_as_a_question_mark() -> None:
    assert encode_text("12 €") == b"12 ?"


def test_control_characters_in_text_cannot_inject_printer_commands() -> None:
    assert encode_text("A\x1bd\x09\x1dV\x00B") == b"A?d??V?B"


def test_a_receipt_without_cut_does_not_cut() -> None:
    data = build_receipt(ReceiptLines(lines=["x"], cut=False))
    assert data == b"\x1b@\x1bt\x05\x1ba\x00x\n"


def test_a_brace_in_a_code_128_barcode_is_escaped_for_the_printer() -> None:
    assert code128("A{B").endswith(b"\x1dkI\x06{BA{{B\n")


@pytest.mark.parametrize("bad", ["", "blåbær", "tab\t", "X" * 300])
def test_a_barcode_the_printer_cannot_print_is_refused(bad: str) -> None:
    with pytest.raises(ReceiptError):
        code128(bad)


def test_two_columns_pads_to_the_width_and_shortens_the_left_side() -> None:
    assert two_columns("Saldo", "1 200", width=14) == "Saldo    1 200"
    assert two_columns("Veldig lang tekst", "99", width=10) == "Veldig  99"
