"""The serial reader on real kernel ptys and loopback sockets: framing, unplug, replug.

Every wait has a deadline; nothing asserts how fast anything happened.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import serial

from devices.config import ScannerConfig
from devices.framing import Rejected
from devices.serial_source import ScannerState, ScannerStatus, SerialScanner
from devices.simulator import FRAMINGS, ScannerSimulator
from devices.symbology import Scan, Symbology

DEADLINE = 5.0


class Recorder:
    """Collects what the reader thread reports and lets the test wait for it."""

    def __init__(self) -> None:
        self.events: list[Scan | Rejected | ScannerStatus] = []
        self._changed = threading.Condition()

    def __call__(self, event: Scan | Rejected | ScannerStatus) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def wait_for(self, predicate: Callable[[list[object]], bool], what: str) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: predicate(list(self.events)), DEADLINE):
                pytest.fail(f"timed out waiting for {what}; got {self.events}")

    @property
    def scans(self) -> list[Scan]:
        return [e for e in self.events if isinstance(e, Scan)]

    @property
    def rejected(self) -> list[Rejected]:
        return [e for e in self.events if isinstance(e, Rejected)]

    @property
    def states(self) -> list[ScannerState]:
        return [e.state for e in self.events if isinstance(e, ScannerStatus)]

    def wait_scans(self, count: int) -> list[Scan]:
        self.wait_for(lambda _: len(self.scans) >= count, f"{count} scans")
        return self.scans

    def wait_state(self, state: ScannerState, count: int = 1) -> None:
        self.wait_for(lambda _: self.states.count(state) >= count, f"{count}x {state}")


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def start_reader(recorder: Recorder) -> Iterator[Callable[..., SerialScanner]]:
    readers: list[SerialScanner] = []

    def start(port: str, **settings: object) -> SerialScanner:
        config = ScannerConfig.from_mapping({"port": port, **settings})
        reader = SerialScanner(config, on_scan=recorder, on_status=recorder)
        readers.append(reader)
        reader.start()
        return reader

    yield start
    for reader in readers:
        reader.stop()
        assert not reader.running


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[ScannerSimulator]:
    sim = ScannerSimulator(link=tmp_path / "usb-Honeywell_Xenon_1900-if00")
    sim.open()
    try:
        yield sim
    finally:
        sim.close()


@pytest.mark.parametrize("framing", FRAMINGS)
@pytest.mark.parametrize("aim", [False, True])
def test_every_framing_with_or_without_aim_ids_reaches_the_till(
    tmp_path: Path,
    recorder: Recorder,
    start_reader: Callable[..., SerialScanner],
    framing: str,
    aim: bool,
) -> None:
    with ScannerSimulator(framing=framing, aim=aim) as sim:  # type: ignore[arg-type]
        start_reader(sim.path)
        recorder.wait_state(ScannerState.CONNECTED)
        sim.send("2900000000013")
        expected = 1
        if framing != "none":
            sim.send("VCH-ABCD12")
            expected = 2
        scans = recorder.wait_scans(expected)
    assert scans[0].text == "2900000000013"
    assert scans[0].symbology is Symbology.EAN13
    assert scans[0].aim_id == ("]E0" if aim else None)
    if expected == 2:
        assert scans[1].text == "VCH-ABCD12"
        assert scans[1].aim_id == ("]C0" if aim else None)
    assert recorder.rejected == []


def test_a_scan_written_in_pieces_with_pauses_comes_out_whole(
    simulator: ScannerSimulator, recorder: Recorder, start_reader: Callable[..., SerialScanner]
) -> None:
    start_reader(simulator.path, suffix="crlf")
    recorder.wait_state(ScannerState.CONNECTED)
    for piece in (b"29", b"00000", b"00001", b"3\r", b"\n"):
        simulator.send_raw(piece)
        time.sleep(0.15)
    assert [s.text for s in recorder.wait_scans(1)] == ["2900000000013"]


def test_two_scans_in_one_write_come_out_as_two(
    simulator: ScannerSimulator, recorder: Recorder, start_reader: Callable[..., SerialScanner]
) -> None:
    start_reader(simulator.path)
    recorder.wait_state(ScannerState.CONNECTED)
    simulator.send_raw(b"2900000000013\r\n2900000000020\r\n")
    assert [s.text for s in recorder.wait_scans(2)] == ["2900000000013", "2900000000020"]


def test_garbage_and_over_long_input_are_rejected_and_the_next_scan_still_works(
    simulator: ScannerSimulator, recorder: Recorder, start_reader: Callable[..., SerialScanner]
) -> None:
    start_reader(simulator.path, max_length=32)
    recorder.wait_state(ScannerState.CONNECTED)
    simulator.send_raw(b"\x00\xff\x1b[2J\r\n" + b"9" * 5000 + b"\r\n2900000000013\r\n")
    assert [s.text for s in recorder.wait_scans(1)] == ["2900000000013"]
    reasons = [r.reason for r in recorder.rejected]
    assert "control byte 0x00" in reasons[0]
    assert "longer than 32 bytes" in reasons[1]


def test_unplug_mid_scan_and_replug_on_a_moved_by_id_link_keeps_the_reader_alive(
    simulator: ScannerSimulator, recorder: Recorder, start_reader: Callable[..., SerialScanner]
) -> None:
    reader = start_reader(simulator.path, idle_gap=5.0)
    recorder.wait_state(ScannerState.CONNECTED)
    first_device = simulator.device
    simulator.send_raw(b"2900000000013\r\n29000")
    recorder.wait_scans(1)
    simulator.replug()
    assert simulator.device != first_device
    recorder.wait_state(ScannerState.CONNECTED, count=2)
    simulator.send("2900000000020")
    assert [s.text for s in recorder.wait_scans(2)] == ["2900000000013", "2900000000020"]
    assert reader.running
    assert any("cut off" in r.reason for r in recorder.rejected)
    statuses = [e for e in recorder.events if isinstance(e, ScannerStatus)]
    assert [s.state for s in statuses] == [
        ScannerState.CONNECTING,
        ScannerState.CONNECTED,
        ScannerState.DISCONNECTED,
        ScannerState.CONNECTING,
        ScannerState.CONNECTED,
    ]
    assert statuses[1].device == first_device
    assert statuses[2].reason == "the scanner was unplugged or stopped responding"
    assert statuses[4].device == simulator.device


def test_a_scanner_missing_for_a_while_is_reported_once_and_found_when_plugged_in(
    simulator: ScannerSimulator, recorder: Recorder, start_reader: Callable[..., SerialScanner]
) -> None:
    reader = start_reader(simulator.path)
    recorder.wait_state(ScannerState.CONNECTED)
    simulator.close()
    recorder.wait_for(
        lambda _: any(
            isinstance(e, ScannerStatus) and e.reason and "no scanner at" in e.reason
            for e in recorder.events
        ),
        "a not-found status",
    )
    time.sleep(0.5)
    simulator.open()
    recorder.wait_state(ScannerState.CONNECTED, count=2)
    simulator.send("2900000000013")
    recorder.wait_scans(1)
    assert reader.running
    not_found = [
        e
        for e in recorder.events
        if isinstance(e, ScannerStatus) and e.reason and "no scanner at" in e.reason
    ]
    assert len(not_found) == 1


def test_a_second_exclusive_open_of_the_same_port_is_refused(
    simulator: ScannerSimulator, recorder: Recorder, start_reader: Callable[..., SerialScanner]
) -> None:
    start_reader(simulator.path)
    recorder.wait_state(ScannerState.CONNECTED)
    second = Recorder()
    other = SerialScanner(ScannerConfig(port=simulator.path), on_scan=second, on_status=second)
    other.start()
    try:
        second.wait_state(ScannerState.DISCONNECTED)
    finally:
        other.stop()
    (refusal,) = [e for e in second.events if isinstance(e, ScannerStatus) and e.reason]
    assert refusal.reason is not None and "in use by another program" in refusal.reason
    with pytest.raises(serial.SerialException):
        serial.Serial(simulator.path, exclusive=True)


def test_stop_ends_the_thread_and_reports_stopped_last(
    simulator: ScannerSimulator, recorder: Recorder
) -> None:
    reader = SerialScanner(ScannerConfig(port=simulator.path), recorder, recorder)
    reader.start()
    recorder.wait_state(ScannerState.CONNECTED)
    reader.stop()
    assert not reader.running
    assert recorder.states[-1] is ScannerState.STOPPED


def test_a_failing_callback_does_not_stop_the_reader(
    simulator: ScannerSimulator, recorder: Recorder
) -> None:
    def explode(result: Scan | Rejected) -> None:
        recorder(result)
        raise RuntimeError("the app fell over")

    reader = SerialScanner(ScannerConfig(port=simulator.path), explode, recorder)
    reader.start()
    try:
        recorder.wait_state(ScannerState.CONNECTED)
        simulator.send("2900000000013")
        simulator.send("2900000000020")
        recorder.wait_scans(2)
        assert reader.running
    finally:
        reader.stop()


def test_a_socket_url_reads_scans_from_a_tcp_server_and_reconnects(
    recorder: Recorder, start_reader: Callable[..., SerialScanner]
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(DEADLINE)
        port = server.getsockname()[1]
        reader = start_reader(f"socket://127.0.0.1:{port}")
        client, _ = server.accept()
        with client:
            recorder.wait_state(ScannerState.CONNECTED)
            client.sendall(b"]Q1LTY1:ABC\r\n")
            (scan,) = recorder.wait_scans(1)
            assert (scan.text, scan.symbology) == ("LTY1:ABC", Symbology.QR)
        recorder.wait_state(ScannerState.DISCONNECTED)
        again, _ = server.accept()
        with again:
            recorder.wait_state(ScannerState.CONNECTED, count=2)
            again.sendall(b"2900000000020\r")
            recorder.wait_scans(2)
        assert reader.running


def test_any_pyserial_url_opens_like_a_port(recorder: Recorder) -> None:
    reader = SerialScanner(ScannerConfig(port="loop://"), recorder, recorder)
    reader.start()
    try:
        recorder.wait_state(ScannerState.CONNECTED)
    finally:
        reader.stop()
    assert recorder.states == [
        ScannerState.CONNECTING,
        ScannerState.CONNECTED,
        ScannerState.STOPPED,
    ]


@pytest.mark.skipif(shutil.which("socat") is None, reason="socat is not installed")
def test_a_socat_pty_pair_carries_scans_and_killing_socat_is_an_unplug(
    tmp_path: Path, recorder: Recorder, start_reader: Callable[..., SerialScanner]
) -> None:
    till_side, scanner_side = tmp_path / "till", tmp_path / "scanner"
    socat = subprocess.Popen(
        [
            "socat",
            f"pty,raw,echo=0,link={till_side}",
            f"pty,raw,echo=0,link={scanner_side}",
        ],
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + DEADLINE
        while not (till_side.exists() and scanner_side.exists()):
            assert time.monotonic() < deadline, "socat did not create its ptys"
            time.sleep(0.02)
        reader = start_reader(str(till_side))
        recorder.wait_state(ScannerState.CONNECTED)
        with open(scanner_side, "wb", buffering=0) as scanner:
            scanner.write(b"\x02]E02900000000013\x03")
            (scan,) = recorder.wait_scans(1)
        assert (scan.text, scan.aim_id) == ("2900000000013", "]E0")
        socat.terminate()
        socat.wait(DEADLINE)
        recorder.wait_state(ScannerState.DISCONNECTED)
        assert reader.running
    finally:
        socat.kill()
        socat.wait(DEADLINE)
