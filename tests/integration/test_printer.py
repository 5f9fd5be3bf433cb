"""Printing over TCP on 127.0.0.1 and over a real pty; failures are reported, not raised."""

from __future__ import annotations

import os
import socket
import threading
import tty
from collections.abc import Iterator

import pytest

from devices.escpos import ReceiptLines, build_receipt
from devices.printer import print_receipt, send_to_printer

DEADLINE = 5.0
RECEIPT = ReceiptLines(header=["Butikk"], lines=["Poeng: 42", "Saldo: 1 200"], barcodes=["R-1"])


class RawPrinter:
    """A port-9100 printer on 127.0.0.1 that records what it was sent."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(DEADLINE)
        self.port = self.server.getsockname()[1]
        self.received = bytearray()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            connection, _ = self.server.accept()
        except OSError:
            return
        with connection:
            connection.settimeout(DEADLINE)
            while chunk := connection.recv(4096):
                self.received += chunk

    def close(self) -> None:
        self.server.close()
        self.thread.join(DEADLINE)


@pytest.fixture
def printer() -> Iterator[RawPrinter]:
    raw = RawPrinter()
    try:
        yield raw
    finally:
        raw.close()


def test_a_receipt_reaches_a_network_printer_byte_for_byte(printer: RawPrinter) -> None:
    result = print_receipt(RECEIPT, f"tcp://127.0.0.1:{printer.port}", timeout=DEADLINE)
    printer.thread.join(DEADLINE)
    assert result.ok and result.error is None
    assert bytes(printer.received) == build_receipt(RECEIPT)
    assert result.bytes_sent == len(printer.received)


def test_a_pyserial_socket_url_also_reaches_the_printer(printer: RawPrinter) -> None:
    result = send_to_printer(f"socket://127.0.0.1:{printer.port}", b"\x1b@hei\n", DEADLINE)
    assert result.ok, result.error
    printer.thread.join(DEADLINE)
    assert bytes(printer.received) == b"\x1b@hei\n"


def test_a_printer_that_is_off_is_reported_not_raised() -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    result = print_receipt(RECEIPT, f"tcp://127.0.0.1:{port}", timeout=1.0)
    assert not result.ok
    assert result.error == (
        f"The printer at tcp://127.0.0.1:{port} refused the connection. "
        "Is it on and on the network?"
    )


def test_a_missing_serial_printer_is_reported_not_raised() -> None:
    result = send_to_printer("/dev/serial/by-id/no-such-printer", b"x", timeout=1.0)
    assert not result.ok
    assert result.error is not None and "No printer at" in result.error


def test_an_unprintable_receipt_is_reported_not_raised() -> None:
    result = print_receipt(ReceiptLines(barcodes=["blåbær"]), "tcp://127.0.0.1:9", timeout=1.0)
    assert not result.ok
    assert result.error is not None and "could not be printed" in result.error


def test_a_bad_printer_address_is_reported_not_raised() -> None:
    result = send_to_printer("tcp://", b"x", timeout=1.0)
    assert not result.ok
    assert result.error is not None and "no host" in result.error


def test_a_receipt_reaches_a_serial_printer_on_a_pty() -> None:
    master, slave = os.openpty()
    tty.setraw(slave)
    path = os.ttyname(slave)
    received = bytearray()
    expected = build_receipt(RECEIPT)

    def read_master() -> None:
        while len(received) < len(expected):
            try:
                chunk = os.read(master, 4096)
            except OSError:
                return
            if not chunk:
                return
            received.extend(chunk)

    reader = threading.Thread(target=read_master, daemon=True)
    reader.start()
    try:
        result = print_receipt(RECEIPT, path, timeout=DEADLINE)
        reader.join(DEADLINE)
        assert result.ok, result.error
        assert bytes(received) == expected
    finally:
        os.close(slave)
        os.close(master)
        reader.join(DEADLINE)
