"""Receipts print on a network ESC/POS printer in the background; a missing printer
never blocks or loses a sale."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import replace

import pytest

from devices.escpos import build_receipt
from loyalty.cards import make_card_number
from pos_client.config import PrinterConfig
from pos_client.receipt_printing import receipt_lines
from pos_client.till import Till

KARI = make_card_number(1)


class FakeNetworkPrinter:
    """A TCP listener on 127.0.0.1 that keeps every byte each connection sends."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.jobs: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(2)
                chunks = []
                while chunk := conn.recv(65536):
                    chunks.append(chunk)
                self.jobs.append(b"".join(chunks))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.server.close()


@pytest.fixture
def printer():
    fake = FakeNetworkPrinter()
    try:
        yield fake
    finally:
        fake.close()


def open_with_printer(till: Till, url: str) -> Till:
    config = replace(till.config, printer=PrinterConfig(url=url, timeout=1.0))
    till.close()
    return Till.open(config)


def wait_for(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError("timed out")


def test_an_earn_prints_exactly_the_receipt_it_recorded(till, printer):
    printing = open_with_printer(till, f"tcp://127.0.0.1:{printer.port}")
    try:
        printing.scan(KARI)
        receipt = printing.earn("149.90")
        wait_for(lambda: len(printer.jobs) == 1)
        expected = build_receipt(receipt_lines(receipt, printing.config.store_name))
        assert printer.jobs[0] == expected
        assert receipt.receipt_no.encode() in printer.jobs[0]
        assert printing.status().printer_error is None
    finally:
        printing.close()


def test_receipt_lines_say_points_amount_balance_and_masked_card(till):
    till.scan(KARI)
    lines = receipt_lines(till.redeem(100), "Oslo Storgata")
    text = "\n".join(lines.lines)
    assert lines.header == ["Oslo Storgata"]
    assert "Points redeemed" in text and "-100 points" in text and "10.00 NOK" in text
    assert "900 points" in text and "•••• " + KARI[-4:] in text
    assert KARI not in text  # never the whole card number on paper
    assert lines.barcodes == ["TEST01-T1-000001"]


def test_a_sale_receipt_lists_its_lines_and_what_each_earned(till):
    till.scan(KARI)
    till.add_amount("100.00", name="Milk")
    till.add_amount("49.90", name="Bread")
    text = "\n".join(receipt_lines(till.finish_sale(), "Oslo Storgata").lines)
    assert "1 x Milk" in text and "100.00 NOK" in text and "+100 points" in text
    assert "1 x Bread" in text and "+49 points" in text
    assert "Paid" in text and "149.90 NOK" in text and "+149 points" in text
    assert "1 149 points" in text


def test_a_missing_printer_loses_no_sale_and_shows_a_printer_error(till):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # nothing listens here once closed
    printing = open_with_printer(till, f"tcp://127.0.0.1:{port}")
    try:
        printing.scan(KARI)
        receipts = [printing.earn("10") for _ in range(3)]
        wait_for(lambda: printing.status().printer_error is not None)
        assert printing.store.verify() == 3
        assert [r.receipt_no for r in printing.last_receipts(3)][::-1] == [
            r.receipt_no for r in receipts
        ]
    finally:
        printing.close()
