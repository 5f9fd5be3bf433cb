"""Drawing member cards, vouchers and QR codes, and refusing what would mislead."""

from __future__ import annotations

from pathlib import Path

import pytest
import segno

from devices.codes import (
    format_for_path,
    png_available,
    render_code128,
    render_ean13,
    render_qr,
    save_code,
)
from devices.errors import CodeRenderError
from loyalty.cards import make_card_number

CARD = make_card_number(77)


def test_a_member_card_is_drawn_as_svg_with_its_number_printed_under_it() -> None:
    svg = render_ean13(CARD)
    assert svg.startswith(b"<?xml")
    assert CARD[1:7].encode() in svg and CARD[7:].encode() in svg


def test_a_wrong_check_digit_is_refused_not_silently_recomputed() -> None:
    wrong = CARD[:-1] + str((int(CARD[-1]) + 1) % 10)
    with pytest.raises(CodeRenderError, match="wrong check digit"):
        render_ean13(wrong)


@pytest.mark.parametrize("bad", ["123", "29000000000a8", "29000000000181"])
def test_anything_but_thirteen_digits_is_refused(bad: str) -> None:
    with pytest.raises(CodeRenderError, match="13 digits"):
        render_ean13(bad)


def test_a_voucher_is_drawn_as_code_128() -> None:
    assert b"VCH-7K2M9Q" in render_code128("VCH-7K2M9Q")


@pytest.mark.parametrize("bad", ["", "æøå", "A" * 81, "tab\there"])
def test_code_128_refuses_empty_long_or_non_printable_text(bad: str) -> None:
    with pytest.raises(CodeRenderError):
        render_code128(bad)


def test_a_qr_code_is_full_size_qr_never_micro_qr() -> None:
    svg = render_qr("1")
    assert svg.startswith(b"<?xml")
    assert not segno.make_qr("1").is_micro
    assert segno.make("1").is_micro


def test_a_qr_code_can_be_png_without_pillow() -> None:
    assert render_qr("LTY1:ABC", "png").startswith(b"\x89PNG")


@pytest.mark.skipif(png_available(), reason="Pillow is installed")
def test_a_png_barcode_without_pillow_says_how_to_get_it() -> None:
    with pytest.raises(CodeRenderError, match="Pillow"):
        render_ean13(CARD, "png")


@pytest.mark.skipif(not png_available(), reason="Pillow is not installed")
def test_a_png_barcode_with_pillow_is_a_png() -> None:
    assert render_ean13(CARD, "png").startswith(b"\x89PNG")


def test_the_format_comes_from_the_file_name(tmp_path: Path) -> None:
    assert format_for_path("card.SVG") == "svg"
    assert format_for_path(tmp_path / "card.png") == "png"
    with pytest.raises(CodeRenderError, match=r"\.svg or \.png"):
        format_for_path("card.pdf")


def test_saving_to_a_missing_folder_names_the_file(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "card.svg"
    with pytest.raises(CodeRenderError, match=r"card\.svg"):
        save_code(b"x", target)
