"""A member QR token through the real scan path: drawn as a QR code by segno, read
back from the pixels by a QR decoder (zxing-cpp), sent over a real kernel pty as a
serial scanner sends it (AIM ``]Q1``, CR LF), read by the till's serial scan source,
and checked offline against the test vectors' keyset at their clock.

Every wait has a deadline; the reader thread and the pty are closed in ``finally``.
"""

from __future__ import annotations

import json
import queue
from pathlib import Path
from typing import Any

import pytest
import segno
import zxingcpp

from devices.config import ScannerConfig
from devices.framing import Rejected
from devices.serial_source import ScannerState, ScannerStatus, SerialScanner
from devices.simulator import ScannerSimulator
from devices.symbology import Scan, Symbology
from loyalty.member_token import MAX_TEXT
from loyalty.token_check import WORDS, Refusal, TokenRefused, check_token
from loyalty.token_keys import Keyset, verified_keyset

DEADLINE = 5.0
VECTORS_FILE = Path(__file__).resolve().parents[1] / "vectors" / "member_tokens.json"
DATA: dict[str, Any] = json.loads(VECTORS_FILE.read_text(encoding="ascii"))
ISSUED = [v for v in DATA["vectors"] if v["issued"]]


def keyset() -> Keyset:
    signed = DATA["keyset"]
    return verified_keyset(signed["document"], signed["signature"], DATA["root_public_key"])


def qr_pixels(text: str) -> tuple[memoryview, int]:
    """``text`` as a QR code at level M, drawn as a grayscale image (0 dark, 255
    light; 4 pixels a module, the standard 4-module quiet zone), and its version."""
    qr = segno.make_qr(text, error="m", boost_error=False)
    assert qr.error == "M" and isinstance(qr.version, int)
    rows = [bytes(0 if dark else 255 for dark in row) for row in qr.matrix_iter(4, 4)]
    height, width = len(rows), len(rows[0])
    return memoryview(b"".join(rows)).cast("B", (height, width)), qr.version


def read_back(text: str) -> tuple[str, str]:
    """Draw ``text`` as a QR code and read it back: the text and the AIM identifier
    the decoder reports, as an imager sends them."""
    image, version = qr_pixels(text)
    assert version <= 7
    (barcode,) = zxingcpp.read_barcodes(
        image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    )
    assert barcode.valid
    return barcode.text, barcode.symbology_identifier


def outcome(vector: dict[str, Any], text: str) -> str:
    try:
        check_token(
            text,
            keyset(),
            vector["clock"],
            min_generation=vector["min_generation"],
            seen=frozenset(vector["seen"]),
        )
    except TokenRefused as refused:
        assert str(refused) == WORDS[refused.refusal]
        return refused.refusal.value
    return "valid"


@pytest.mark.parametrize("vector", ISSUED, ids=lambda v: v["name"])
def test_every_issued_token_drawn_as_a_qr_code_reads_back_character_for_character(
    vector: dict[str, Any],
) -> None:
    text, aim_id = read_back(vector["qr_text"])
    assert text == vector["qr_text"]
    assert aim_id == "]Q1"
    assert outcome(vector, text) == vector["result"]


def test_the_largest_token_needs_version_7_and_its_spaces_survive() -> None:
    largest = next(v for v in DATA["vectors"] if v["name"] == "valid_largest")
    assert len(largest["qr_text"]) == MAX_TEXT and " " in largest["qr_text"]
    _, version = qr_pixels(largest["qr_text"])
    assert version == 7
    assert read_back(largest["qr_text"])[0] == largest["qr_text"]


class Events:
    """What the reader thread reports, to be waited for with a deadline."""

    def __init__(self) -> None:
        self.scans: queue.Queue[Scan | Rejected] = queue.Queue()
        self.states: queue.Queue[ScannerState] = queue.Queue()

    def on_scan(self, result: Scan | Rejected) -> None:
        self.scans.put(result)

    def on_status(self, status: ScannerStatus) -> None:
        self.states.put(status.state)

    def wait_state(self, state: ScannerState) -> None:
        while (seen := self.states.get(timeout=DEADLINE)) is not state:
            assert seen is not ScannerState.STOPPED, f"the reader stopped before {state}"

    def next_scan(self) -> Scan:
        result = self.scans.get(timeout=DEADLINE)
        assert isinstance(result, Scan), result
        return result


def test_tokens_read_from_qr_codes_reach_the_till_whole_through_a_pty_scanner() -> None:
    """One pty scanner, every issued token's text in turn (once: the reader drops
    the same text scanned again within a second): the text the decoder read, with the
    AIM id it reported and CR LF, arrives whole as a QR scan and gets each vector's
    result from the offline check."""
    events = Events()
    simulator = ScannerSimulator(framing="crlf", aim=True)
    reader: SerialScanner | None = None
    try:
        simulator.open()
        reader = SerialScanner(
            ScannerConfig(port=simulator.path, suffix="crlf"), events.on_scan, events.on_status
        )
        reader.start()
        events.wait_state(ScannerState.CONNECTED)
        assert simulator.wait_for_reader(DEADLINE)
        results = {}
        texts = list(dict.fromkeys(v["qr_text"] for v in ISSUED))
        assert len(texts) < len(ISSUED)  # valid, old card and replayed share a text
        for qr_text in texts:
            text, aim_id = read_back(qr_text)
            wire = (aim_id + text + "\r\n").encode("ascii")  # as an imager sends it
            simulator.send_raw(wire)
            assert wire.startswith(b"]Q1LTY1:") and wire.endswith(b"\r\n")
            scan = events.next_scan()
            assert (scan.text, scan.symbology, scan.aim_id) == (text, Symbology.QR, "]Q1")
            assert scan.raw_length == len(wire) - 1  # the LF of CR LF is not counted
            for vector in ISSUED:
                if vector["qr_text"] == qr_text:
                    results[vector["name"]] = outcome(vector, scan.text)
        assert results == {v["name"]: v["result"] for v in ISSUED}
        assert {"valid", "valid_largest", "multi_use_seen"} <= {
            name for name, result in results.items() if result == "valid"
        }
        assert results["expired"] == Refusal.EXPIRED.value
        assert events.scans.empty()
    finally:
        if reader is not None:
            reader.stop()
        simulator.close()
    assert reader is not None and not reader.running
