"""Scanner settings are read strictly, and every error names the key at fault."""

from __future__ import annotations

from typing import Any

import pytest

from devices.config import ScannerConfig
from devices.errors import ScannerConfigError


def test_only_the_port_is_required_and_the_defaults_suit_a_zebra_scanner() -> None:
    config = ScannerConfig.from_mapping({"port": "/dev/serial/by-id/usb-Zebra"})
    assert (config.baudrate, config.bytesize, config.parity, config.stopbits) == (9600, 8, "N", 1)
    assert (config.suffix, config.idle_gap, config.duplicate_window) == ("auto", 0.08, 1.0)
    assert config.max_length == 512
    assert config.exclusive is True


def test_every_setting_can_be_given() -> None:
    config = ScannerConfig.from_mapping(
        {
            "port": "socket://127.0.0.1:4000",
            "baudrate": 115200,
            "bytesize": 7,
            "parity": "even",
            "stopbits": 2,
            "suffix": "CRLF",
            "idle_gap": 0.1,
            "duplicate_window": 0,
            "max_length": 64,
            "exclusive": False,
            "reconnect_initial": 0.2,
            "reconnect_max": 2,
        }
    )
    assert config.parity == "E"
    assert config.suffix == "crlf"
    assert config.reconnect_max == 2.0


@pytest.mark.parametrize(
    ("data", "key", "words"),
    [
        ({}, "scanner.port", "missing"),
        ({"port": "/dev/x", "baud": 9600}, "scanner.baud", "unknown setting"),
        ({"port": "/dev/x", "baudrate": "fast"}, "scanner.baudrate", "must be a number"),
        ({"port": "/dev/x", "baudrate": True}, "scanner.baudrate", "must be a number"),
        ({"port": "/dev/x", "baudrate": 96.5}, "scanner.baudrate", "whole number"),
        ({"port": "/dev/x", "baudrate": -1}, "scanner.baudrate", "positive"),
        ({"port": "/dev/x", "bytesize": 9}, "scanner.bytesize", "5, 6, 7 or 8"),
        ({"port": "/dev/x", "parity": "maybe"}, "scanner.parity", "none, even, odd"),
        ({"port": "/dev/x", "stopbits": 3}, "scanner.stopbits", "1, 1.5 or 2"),
        ({"port": "/dev/x", "suffix": "tab"}, "scanner.suffix", "auto, cr, lf"),
        ({"port": "/dev/x", "idle_gap": 0}, "scanner.idle_gap", "positive"),
        ({"port": "/dev/x", "exclusive": "yes"}, "scanner.exclusive", "true or false"),
        ({"port": 5}, "scanner.port", "must be text"),
        ({"port": ""}, "scanner.port", "empty"),
    ],
)
def test_a_bad_setting_is_refused_with_its_key_named(
    data: dict[str, Any], key: str, words: str
) -> None:
    with pytest.raises(ScannerConfigError) as caught:
        ScannerConfig.from_mapping(data, section="scanner")
    assert caught.value.key == key
    assert repr(key) in str(caught.value)
    assert words in str(caught.value)
