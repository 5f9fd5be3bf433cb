"""Framing scanner bytes into scans: end markers, idle gaps, garbage, duplicates."""

from __future__ import annotations

import pytest

from devices.framing import DuplicateFilter, Frame, Framer, Rejected


def texts(results: list[Frame | Rejected]) -> list[str]:
    return [r.text for r in results if isinstance(r, Frame)]


@pytest.mark.parametrize(
    ("wire", "ended_by", "raw_length"),
    [
        (b"2900000000013\r", "cr", 14),
        (b"2900000000013\n", "lf", 14),
        (b"2900000000013\r\n", "cr", 14),
        (b"2900000000013\x03", "etx", 14),
        (b"\x022900000000013\x03", "etx", 15),
    ],
)
def test_every_end_marker_ends_a_scan_in_auto_mode(
    wire: bytes, ended_by: str, raw_length: int
) -> None:
    results = Framer().feed(wire, now=0.0)
    assert results == [Frame("2900000000013", raw_length, ended_by, 0.0)]


def test_cr_lf_counts_once_even_when_split_between_reads() -> None:
    framer = Framer()
    assert texts(framer.feed(b"12345678\r", 0.0)) == ["12345678"]
    assert framer.feed(b"\n", 0.01) == []
    assert texts(framer.feed(b"87654321\r\n", 0.02)) == ["87654321"]


def test_one_scan_split_over_many_reads_comes_out_once_whole() -> None:
    framer = Framer()
    out: list[Frame | Rejected] = []
    for i, byte in enumerate(b"LTY1:ABC123\r\n"):
        out += framer.feed(bytes([byte]), now=i * 0.01)
    assert texts(out) == ["LTY1:ABC123"]


def test_several_scans_in_one_read_all_come_out_in_order() -> None:
    results = Framer().feed(b"111\r\n222\r333\n\x02444\x03", now=0.0)
    assert texts(results) == ["111", "222", "333", "444"]


def test_a_scanner_without_suffix_is_framed_by_the_idle_gap() -> None:
    framer = Framer(suffix="none", idle_gap=0.08)
    assert framer.feed(b"29000", 0.0) == []
    assert framer.feed(b"00000013", 0.03) == []
    assert framer.poll(0.10) == []
    assert framer.next_deadline() == pytest.approx(0.11)
    assert texts(framer.poll(0.11)) == ["2900000000013"]
    assert framer.poll(1.0) == []


def test_an_idle_gap_between_reads_separates_two_scans_without_suffix() -> None:
    framer = Framer(suffix="none", idle_gap=0.08)
    framer.feed(b"111", 0.0)
    assert texts(framer.feed(b"222", 0.5)) == ["111"]
    assert texts(framer.poll(0.6)) == ["222"]


def test_auto_mode_also_accepts_an_idle_gap_as_the_end_of_a_scan() -> None:
    framer = Framer(idle_gap=0.05)
    framer.feed(b"12345", 0.0)
    assert texts(framer.poll(0.05)) == ["12345"]


def test_with_a_fixed_suffix_a_slow_scan_waits_for_its_end_marker() -> None:
    framer = Framer(suffix="crlf", idle_gap=0.05)
    assert framer.feed(b"2900", 0.0) == []
    assert framer.poll(1.0) == []
    assert texts(framer.feed(b"000000013\r\n", 1.5)) == ["2900000000013"]


def test_with_a_fixed_suffix_a_scan_cut_off_by_long_silence_is_rejected() -> None:
    framer = Framer(suffix="crlf", stale_after=2.0)
    framer.feed(b"290000", 0.0)
    assert framer.poll(1.9) == []
    (rejected,) = framer.poll(2.0)
    assert isinstance(rejected, Rejected)
    assert "end marker" in rejected.reason
    assert rejected.raw == b"290000"


def test_cr_mode_does_not_end_on_lf_but_tolerates_cr_lf() -> None:
    framer = Framer(suffix="cr")
    assert texts(framer.feed(b"111\r\n222\r", 0.0)) == ["111", "222"]
    (rejected,) = framer.feed(b"33\n3\r", 0.0)
    assert isinstance(rejected, Rejected)
    assert "0x0A" in rejected.reason


def test_etx_mode_ends_only_on_etx() -> None:
    framer = Framer(suffix="etx")
    assert texts(framer.feed(b"\x02ABC\x03\x02DEF\x03", 0.0)) == ["ABC", "DEF"]


def test_a_nul_byte_rejects_the_scan_and_the_next_scan_is_unharmed() -> None:
    results = Framer().feed(b"29\x0000\r\n2900000000013\r\n", 0.0)
    assert isinstance(results[0], Rejected)
    assert "control byte 0x00" in results[0].reason
    assert texts(results) == ["2900000000013"]


def test_non_ascii_bytes_are_rejected_with_a_hint_about_settings() -> None:
    (rejected,) = Framer().feed("kø\r".encode("latin-1"), 0.0)
    assert isinstance(rejected, Rejected)
    assert "non-ASCII byte 0xF8" in rejected.reason


def test_an_over_long_scan_is_rejected_and_not_stored() -> None:
    framer = Framer(max_length=16)
    results = framer.feed(b"A" * 10_000 + b"\r\nOK\r\n", 0.0)
    assert isinstance(results[0], Rejected)
    assert "longer than 16 bytes" in results[0].reason
    assert results[0].raw_length == 10_000
    assert len(results[0].raw) <= 64
    assert texts(results) == ["OK"]


def test_a_scan_of_exactly_the_maximum_length_is_accepted() -> None:
    assert texts(Framer(max_length=16).feed(b"B" * 16 + b"\r", 0.0)) == ["B" * 16]


def test_an_stx_mid_scan_rejects_the_unfinished_scan_and_starts_a_new_one() -> None:
    results = Framer().feed(b"\x02123\x02456\x03", 0.0)
    assert isinstance(results[0], Rejected)
    assert "previous one ended" in results[0].reason
    assert texts(results) == ["456"]


def test_empty_lines_are_not_scans() -> None:
    assert Framer().feed(b"\r\n\r\n\n\r\x02\x03", 0.0) == []


def test_flush_rejects_a_partial_scan_and_is_harmless_when_there_is_none() -> None:
    framer = Framer()
    framer.feed(b"2900", 0.0)
    (rejected,) = framer.flush("the scanner was disconnected", 0.1)
    assert rejected.reason == "the scanner was disconnected"
    assert framer.flush("again", 0.2) == []
    assert not framer.pending


def test_unknown_suffix_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown suffix"):
        Framer(suffix="tab")  # type: ignore[arg-type]


def test_the_same_text_within_the_window_counts_once() -> None:
    dupes = DuplicateFilter(window=1.0)
    assert not dupes.is_duplicate("A", 0.0)
    assert dupes.is_duplicate("A", 0.5)
    assert not dupes.is_duplicate("B", 0.6)
    assert not dupes.is_duplicate("A", 2.0)


def test_a_card_left_under_the_scanner_keeps_counting_once() -> None:
    dupes = DuplicateFilter(window=1.0)
    assert [dupes.is_duplicate("A", t * 0.5) for t in range(6)] == [False] + [True] * 5


def test_a_zero_window_turns_duplicate_suppression_off() -> None:
    dupes = DuplicateFilter(window=0)
    assert not dupes.is_duplicate("A", 0.0)
    assert not dupes.is_duplicate("A", 0.0)


def test_the_duplicate_filter_forgets_old_texts() -> None:
    dupes = DuplicateFilter(window=1.0)
    for i in range(1000):
        dupes.is_duplicate(str(i), float(i))
    assert len(dupes._seen) <= 66
