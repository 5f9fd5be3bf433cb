"""The installer commands run as real processes against real ptys.

scan-test and scanner-sim are started with ``python -m pos_client.device_commands``;
every process is bounded by a timeout and killed in ``finally``.
"""

from __future__ import annotations

import json
import select
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from devices.codes import png_available
from devices.config import ScannerConfig
from devices.framing import Rejected
from devices.serial_source import ScannerState, ScannerStatus, SerialScanner
from devices.simulator import ScannerSimulator
from devices.symbology import Scan
from loyalty.cards import make_card_number

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 10.0
CARD = make_card_number(1234)


def command(*args: str, **popen: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pos_client.device_commands", *args],
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **popen,  # type: ignore[call-overload]
    )


def read_line(stream: IO[str], timeout: float = DEADLINE) -> str:
    ready, _, _ = select.select([stream], [], [], timeout)
    assert ready, "the process printed nothing in time"
    return stream.readline().rstrip("\n")


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(DEADLINE)
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def simulator() -> Iterator[ScannerSimulator]:
    with ScannerSimulator() as sim:
        yield sim


def test_scan_test_prints_one_json_object_per_scan_with_its_meaning(
    simulator: ScannerSimulator, processes: list[subprocess.Popen[str]]
) -> None:
    process = command(
        "scan-test",
        simulator.path,
        "--count",
        "4",
        "--timeout",
        str(DEADLINE),
        stdin=subprocess.DEVNULL,
    )
    processes.append(process)
    assert simulator.wait_for_reader(DEADLINE)
    simulator.send("]E0" + CARD)
    simulator.send(CARD[:-1] + str((int(CARD[-1]) + 1) % 10))
    simulator.send("VCH-7K2M9Q")
    simulator.send_raw(b"\x00garbage\r\n")
    out, err = process.communicate(timeout=DEADLINE)
    assert process.returncode == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[0] == {
        "text": CARD,
        "symbology": "ean13",
        "aim_id": "]E0",
        "kind": "member_card",
        "valid": True,
        "error": None,
    }
    assert (lines[1]["kind"], lines[1]["valid"]) == ("rejected", False)
    assert "check digit" in lines[1]["error"]
    assert (lines[2]["kind"], lines[2]["symbology"]) == ("voucher", "unknown")
    assert lines[3]["kind"] == "rejected" and "control byte" in lines[3]["error"]
    assert "Scanner ready" in err


def test_scan_test_stops_cleanly_at_the_end_of_its_input(
    simulator: ScannerSimulator, processes: list[subprocess.Popen[str]]
) -> None:
    process = command(
        "scan-test", simulator.path, "--timeout", str(DEADLINE), stdin=subprocess.PIPE
    )
    processes.append(process)
    assert simulator.wait_for_reader(DEADLINE)
    assert process.stdin is not None
    process.stdin.close()
    assert process.wait(DEADLINE) == 0
    assert process.stderr is not None
    err = process.stderr.read()
    assert "Traceback" not in err
    assert "Scanner stopped" in err


def test_scan_test_stops_cleanly_on_ctrl_c(
    simulator: ScannerSimulator, processes: list[subprocess.Popen[str]]
) -> None:
    process = command(
        "scan-test", simulator.path, "--timeout", str(DEADLINE), stdin=subprocess.DEVNULL
    )
    processes.append(process)
    assert simulator.wait_for_reader(DEADLINE)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=DEADLINE)
    assert process.returncode == 130
    assert "Traceback" not in err


def test_scan_test_says_so_when_fewer_scans_than_asked_arrive_in_time(
    simulator: ScannerSimulator, processes: list[subprocess.Popen[str]]
) -> None:
    process = command(
        "scan-test", simulator.path, "--count", "2", "--timeout", "1", stdin=subprocess.DEVNULL
    )
    processes.append(process)
    _, err = process.communicate(timeout=DEADLINE)
    assert process.returncode == 1
    assert "0 of 2 scans" in err


def test_scan_test_refuses_a_bad_setting_with_one_clear_line(
    processes: list[subprocess.Popen[str]],
) -> None:
    process = command("scan-test", "/dev/null", "--baudrate", "0", stdin=subprocess.DEVNULL)
    processes.append(process)
    _, err = process.communicate(timeout=DEADLINE)
    assert process.returncode == 2
    assert err.strip() == "pos-client: Scanner setting 'baudrate': must be positive, not 0"


class Collector:
    def __init__(self) -> None:
        self.scans: list[Scan] = []
        self.connected = threading.Event()
        self.arrived = threading.Condition()

    def scan(self, result: Scan | Rejected) -> None:
        with self.arrived:
            if isinstance(result, Scan):
                self.scans.append(result)
            self.arrived.notify_all()

    def status(self, status: ScannerStatus) -> None:
        if status.state is ScannerState.CONNECTED:
            self.connected.set()

    def wait_scans(self, count: int) -> list[str]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.scans) >= count, DEADLINE), self.scans
        return [s.text for s in self.scans]


def test_scanner_sim_sends_what_is_typed_on_its_input_to_the_till(
    tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    link = tmp_path / "usb-Newland_sim-if00"
    process = command(
        "scanner-sim", "--framing", "stx-etx", "--link", str(link), stdin=subprocess.PIPE
    )
    processes.append(process)
    assert process.stdout is not None and process.stdin is not None
    assert read_line(process.stdout) == str(link)
    collector = Collector()
    reader = SerialScanner(ScannerConfig(port=str(link)), collector.scan, collector.status)
    reader.start()
    try:
        assert collector.connected.wait(DEADLINE)
        process.stdin.write(f"{CARD}\nLTY1:XYZ\n")
        process.stdin.flush()
        assert collector.wait_scans(2) == [CARD, "LTY1:XYZ"]
        process.stdin.close()
        assert process.wait(DEADLINE) == 0
        assert not link.exists()
    finally:
        reader.stop()


def test_scanner_sim_with_a_file_feeds_scan_test_process_to_process(
    tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    link = tmp_path / "scanner"
    scans = tmp_path / "scans.txt"
    scans.write_text(f"{CARD}\n\nVCH-ABCD\n")
    test = command(
        "scan-test", str(link), "--count", "2", "--timeout", str(DEADLINE), stdin=subprocess.DEVNULL
    )
    processes.append(test)
    sim = command(
        "scanner-sim",
        "--aim",
        "--file",
        str(scans),
        "--link",
        str(link),
        "--interval",
        "0",
        stdin=subprocess.PIPE,
    )
    processes.append(sim)
    out, err = test.communicate(timeout=DEADLINE + 5)
    assert test.returncode == 0, err
    kinds = [(line["kind"], line["aim_id"]) for line in map(json.loads, out.splitlines())]
    assert kinds == [("member_card", "]E0"), ("voucher", "]C0")]


def test_card_writes_an_svg_of_a_valid_card(
    tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    out = tmp_path / "card.svg"
    process = command("card", CARD, "--out", str(out))
    processes.append(process)
    process.communicate(timeout=DEADLINE)
    assert process.returncode == 0
    assert out.read_bytes().startswith(b"<?xml")
    assert CARD[1:7].encode() in out.read_bytes()


def test_card_refuses_a_wrong_check_digit_instead_of_drawing_another_number(
    tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    out = tmp_path / "card.svg"
    wrong = CARD[:-1] + str((int(CARD[-1]) + 1) % 10)
    process = command("card", wrong, "--out", str(out))
    processes.append(process)
    _, err = process.communicate(timeout=DEADLINE)
    assert process.returncode == 2
    assert "check digit is wrong" in err
    assert not out.exists()


@pytest.mark.skipif(png_available(), reason="Pillow is installed")
def test_card_as_png_without_pillow_says_how_to_get_it(
    tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    process = command("card", CARD, "--out", str(tmp_path / "card.png"))
    processes.append(process)
    _, err = process.communicate(timeout=DEADLINE)
    assert process.returncode == 2
    assert "Pillow" in err and "png" in err


def test_scanners_lists_ports_or_says_clearly_that_there_are_none(
    processes: list[subprocess.Popen[str]],
) -> None:
    process = command("scanners")
    processes.append(process)
    out, _ = process.communicate(timeout=DEADLINE)
    assert process.returncode == 0
    assert "No serial ports found" in out or "[scanner] port" in out
