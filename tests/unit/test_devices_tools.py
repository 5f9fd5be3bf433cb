"""Port listing for installers: stable by-id paths first, known scanner makers named."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from devices.tools import format_ports, list_scanners


@dataclass
class FakeComPort:
    """The attributes pyserial's ListPortInfo carries (list_ports never lists ptys)."""

    device: str
    vid: int | None = None
    pid: int | None = None
    manufacturer: str | None = None
    description: str = "n/a"
    serial_number: str | None = None


def test_a_honeywell_scanner_is_listed_first_under_its_by_id_path(tmp_path: Path) -> None:
    by_id = tmp_path / "by-id"
    by_id.mkdir()
    device = tmp_path / "ttyACM0"
    device.touch()
    os.symlink(device, by_id / "usb-Honeywell_Imaging_1900-if00")
    ports = list_scanners(
        [
            FakeComPort("/dev/ttyS0", description="ttyS0"),
            FakeComPort(str(device), 0x0C2E, 0x0B61, "Honeywell", "Xenon 1900", "21012B"),
        ],
        by_id_dir=by_id,
    )
    assert ports[0].path == str(by_id / "usb-Honeywell_Imaging_1900-if00")
    assert ports[0].device == str(device)
    assert (ports[0].vid_pid, ports[0].vendor, ports[0].known_scanner) == (
        "0C2E:0B61",
        "Honeywell",
        True,
    )
    assert (ports[1].path, ports[1].vid_pid, ports[1].known_scanner) == ("/dev/ttyS0", None, False)
    table = format_ports(ports)
    assert "* " + ports[0].path in table
    assert "0C2E:0B61  Honeywell" in table
    assert f"(now {device})" in table


def test_known_vendors_are_named_by_usb_id_even_when_the_device_does_not_say() -> None:
    names = [
        p.vendor
        for p in list_scanners(
            [
                FakeComPort(f"/dev/ttyACM{i}", vid, 1)
                for i, vid in enumerate([0x05E0, 0x05F9, 0x1EAB])
            ],
            by_id_dir=Path("/nonexistent"),
        )
    ]
    assert names == ["Zebra (Symbol)", "Datalogic", "Newland"]


def test_an_unknown_usb_device_shows_its_own_maker() -> None:
    (port,) = list_scanners([FakeComPort("/dev/ttyUSB0", 0x0403, 0x6001, "FTDI")], Path("/x"))
    assert (port.vendor, port.vid_pid, port.known_scanner) == ("FTDI", "0403:6001", False)


def test_no_ports_gives_a_clear_sentence_with_what_to_check() -> None:
    text = format_ports([])
    assert text.startswith("No serial ports found.")
    assert "keyboard mode" in text
