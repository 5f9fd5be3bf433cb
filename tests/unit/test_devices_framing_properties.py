"""Properties of the framer over arbitrary byte streams cut at arbitrary places."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from devices.decoder import ScanDecoder
from devices.framing import SUFFIXES, Frame, Framer, Rejected
from devices.symbology import Scan

suffixes = st.sampled_from(SUFFIXES)
chunks = st.lists(st.tuples(st.binary(max_size=64), st.floats(0, 0.2)), max_size=30)
printable = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1)


@settings(max_examples=300, deadline=None)
@given(suffix=suffixes, reads=chunks, max_length=st.integers(1, 40))
def test_arbitrary_bytes_never_crash_and_never_yield_a_control_character(
    suffix: str, reads: list[tuple[bytes, float]], max_length: int
) -> None:
    framer = Framer(suffix=suffix, idle_gap=0.05, max_length=max_length)  # type: ignore[arg-type]
    now = 0.0
    out: list[Frame | Rejected] = []
    for data, pause in reads:
        now += pause
        out += framer.poll(now)
        out += framer.feed(data, now)
    out += framer.poll(now + 1.0)
    for result in out:
        if isinstance(result, Frame):
            assert result.text
            assert len(result.text) <= max_length
            assert all(0x20 <= ord(c) <= 0x7E for c in result.text)
        else:
            assert result.reason
            assert len(result.raw) <= 64


@settings(max_examples=200, deadline=None)
@given(scans=st.lists(printable.filter(lambda s: len(s) <= 100), max_size=8), data=st.data())
def test_scans_with_cr_lf_come_out_whole_however_the_stream_is_cut(
    scans: list[str], data: st.DataObject
) -> None:
    wire = b"".join(s.encode("ascii") + b"\r\n" for s in scans)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(wire)), max_size=10)))
    framer = Framer()
    out: list[Frame | Rejected] = []
    start = 0
    for cut in [*cuts, len(wire)]:
        out += framer.feed(wire[start:cut], 0.0)
        start = cut
    assert [r.text for r in out if isinstance(r, Frame)] == scans
    assert not any(isinstance(r, Rejected) for r in out)


@settings(max_examples=200, deadline=None)
@given(reads=chunks)
def test_the_decoder_never_yields_an_empty_scan(reads: list[tuple[bytes, float]]) -> None:
    decoder = ScanDecoder(duplicate_window=0)
    now = 0.0
    for data, pause in reads:
        now += pause
        for result in decoder.feed(data, now):
            if isinstance(result, Scan):
                assert result.text
                assert result.text.isprintable()
