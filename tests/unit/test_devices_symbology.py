"""AIM symbology identifiers are recognised and stripped; absent ones are inferred."""

from __future__ import annotations

import pytest

from devices.decoder import ScanDecoder
from devices.framing import Frame, Rejected
from devices.symbology import Scan, Symbology, infer_symbology, parse_frame, split_aim_id


def frame(text: str) -> Frame:
    return Frame(text=text, raw_length=len(text) + 2, ended_by="cr", at=1.5)


@pytest.mark.parametrize(
    ("aim", "symbology"),
    [
        ("]E0", Symbology.EAN13),
        ("]E4", Symbology.EAN8),
        ("]C0", Symbology.CODE128),
        ("]C1", Symbology.GS1_128),
        ("]Q1", Symbology.QR),
        ("]Q3", Symbology.GS1_QR),
        ("]d1", Symbology.DATAMATRIX),
        ("]d2", Symbology.DATAMATRIX),
        ("]A0", Symbology.CODE39),
        ("]I0", Symbology.OTHER),
    ],
)
def test_an_aim_identifier_names_the_symbology_and_is_stripped(
    aim: str, symbology: Symbology
) -> None:
    scan = parse_frame(frame(aim + "2900000000013"))
    assert scan == Scan("2900000000013", symbology, aim, 18, 1.5)


@pytest.mark.parametrize(
    ("text", "symbology"),
    [
        ("2900000000013", Symbology.EAN13),
        ("96385074", Symbology.EAN8),
        ("036000291452", Symbology.UPCA),
        ("VCH-ABCD", Symbology.UNKNOWN),
        ("12345", Symbology.UNKNOWN),
    ],
)
def test_without_an_aim_identifier_the_symbology_is_inferred_from_the_text(
    text: str, symbology: Symbology
) -> None:
    scan = parse_frame(frame(text))
    assert isinstance(scan, Scan)
    assert (scan.text, scan.symbology, scan.aim_id) == (text, symbology, None)
    assert infer_symbology(text) is symbology


def test_text_that_merely_starts_with_a_bracket_is_not_an_aim_identifier() -> None:
    assert split_aim_id("]") == (None, "]")
    assert split_aim_id("]-1ABC") == (None, "]-1ABC")


def test_a_scan_holding_only_an_identifier_is_rejected() -> None:
    result = parse_frame(frame("]E0"))
    assert isinstance(result, Rejected)
    assert "only a symbology identifier" in result.reason


def test_the_decoder_frames_parses_and_drops_repeats_but_never_rejections() -> None:
    decoder = ScanDecoder(duplicate_window=1.0)
    results = decoder.feed(b"]E02900000000013\r\n]E02900000000013\r\n\x00\r\n\x00\r\n", 0.0)
    assert [type(r) for r in results] == [Scan, Rejected, Rejected]
    assert isinstance(results[0], Scan)
    assert results[0].aim_id == "]E0"
    assert decoder.feed(b"2900000000013\r\n", 0.5) == []
    assert len(decoder.feed(b"2900000000013\r\n", 2.0)) == 1
