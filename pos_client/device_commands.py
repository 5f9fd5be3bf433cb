"""The installer's device commands of ``pos-client``: find, test and simulate scanners.

    pos-client scanners                       list serial ports, scanners first
    pos-client scan-test PORT [--count N] [--timeout S] [--baudrate B] [--suffix X]
                                              one JSON object per scan on stdout
    pos-client scanner-sim [--framing F] [--aim] [--file F] [--link PATH]
                                              a simulated scanner on a pseudo-terminal
    pos-client card CARD --out FILE           draw a member card's EAN-13 (.svg/.png)

``pos_client.cli`` registers them with :func:`add_device_commands`; each subcommand
stores its handler as ``args.device_handler`` (a function of the parsed arguments
returning the exit status). ``python -m pos_client.device_commands ...`` runs them
on their own.

Exit status: 0 done; 1 ``scan-test --count`` not reached within ``--timeout``;
2 a setting or argument a person must fix (one clear line on stderr);
130 interrupted with Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import stat
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from devices.codes import format_for_path, render_ean13, save_code
from devices.config import ScannerConfig
from devices.errors import DeviceError
from devices.framing import SUFFIXES
from devices.serial_source import ScannerStatus
from devices.simulator import FRAMINGS, ScannerSimulator
from devices.symbology import Scan
from devices.tools import format_ports, list_scanners, run_scan_test
from loyalty.cards import validate_card_number
from loyalty.errors import LoyaltyError
from loyalty.scans import classify_scan

DEVICE_COMMANDS = ("scanners", "scan-test", "scanner-sim", "card")
EXIT_OK = 0
EXIT_INCOMPLETE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

Handler = Callable[[argparse.Namespace], int]


def add_device_commands(subparsers: Any) -> None:
    """Add the device commands to ``pos-client``'s subparsers (``add_subparsers()``)."""
    scanners = subparsers.add_parser("scanners", help="list serial ports, scanners first")
    scanners.set_defaults(device_handler=run_scanners)

    test = subparsers.add_parser(
        "scan-test", help="print every scan from a scanner as one JSON object a line"
    )
    test.add_argument("port", help="device path (prefer /dev/serial/by-id/...) or pyserial URL")
    test.add_argument("--baudrate", type=int, default=9600, help="line speed (default 9600)")
    test.add_argument("--suffix", choices=SUFFIXES, default="auto", help="what ends a scan")
    test.add_argument("--count", type=int, metavar="N", help="stop after N scans")
    test.add_argument("--timeout", type=float, metavar="S", help="stop after S seconds")
    test.set_defaults(device_handler=run_scan_test_command)

    sim = subparsers.add_parser("scanner-sim", help="simulate a serial scanner on a pty")
    sim.add_argument("--framing", choices=FRAMINGS, default="crlf", help="suffix to send")
    sim.add_argument("--aim", action="store_true", help="prefix AIM symbology identifiers")
    sim.add_argument("--file", type=Path, help="send each line of this file, then wait")
    sim.add_argument("--link", type=Path, help="also make this symlink to the port")
    sim.add_argument(
        "--wait", type=float, default=30.0, metavar="S", help="with --file: wait for a reader"
    )
    sim.add_argument(
        "--interval", type=float, default=0.2, metavar="S", help="with --file: between scans"
    )
    sim.set_defaults(device_handler=run_scanner_sim)

    card = subparsers.add_parser("card", help="draw a member card's barcode (EAN-13)")
    card.add_argument("card", help="the 13-digit card number")
    card.add_argument("--out", type=Path, required=True, help="file to write: .svg or .png")
    card.set_defaults(device_handler=run_card)


def run_scanners(args: argparse.Namespace) -> int:
    """``pos-client scanners``."""
    print(format_ports(list_scanners()))
    return EXIT_OK


def scan_json(result: Scan | Any) -> dict[str, object]:
    """The JSON object scan-test prints for one scan or rejected input."""
    if not isinstance(result, Scan):
        return {
            "text": None,
            "symbology": None,
            "aim_id": None,
            "kind": "rejected",
            "valid": False,
            "error": result.reason,
        }
    meaning = classify_scan(result.text)
    return {
        "text": result.text,
        "symbology": str(result.symbology),
        "aim_id": result.aim_id,
        "kind": str(meaning.kind),
        "valid": meaning.valid,
        "error": meaning.reason,
    }


def run_scan_test_command(args: argparse.Namespace) -> int:
    """``pos-client scan-test PORT``: ends at --count, --timeout, end of input or Ctrl-C."""
    try:
        config = ScannerConfig(port=args.port, baudrate=args.baudrate, suffix=args.suffix)
    except DeviceError as error:
        return _fail(error.message)
    stop = threading.Event()
    _stop_at_end_of_input(sys.stdin, stop)
    out_lock = threading.Lock()

    def show(result: Any) -> None:
        with out_lock:
            print(json.dumps(scan_json(result)), flush=True)

    def status(change: ScannerStatus) -> None:
        print(f"pos-client: {change.message}", file=sys.stderr, flush=True)

    try:
        with _sigterm_as_interrupt():
            seen = run_scan_test(
                config, show, status, count=args.count, timeout=args.timeout, stop=stop
            )
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    if args.count is not None and seen < args.count:
        print(f"pos-client: {seen} of {args.count} scans before the end", file=sys.stderr)
        return EXIT_INCOMPLETE
    return EXIT_OK


def run_scanner_sim(args: argparse.Namespace) -> int:
    """``pos-client scanner-sim``: scans typed on stdin (or from --file) go to the pty."""
    simulator = ScannerSimulator(framing=args.framing, aim=args.aim, link=args.link)
    try:
        with _sigterm_as_interrupt():
            simulator.open()
            print(simulator.path, flush=True)
            if args.link is not None:
                print(f"pos-client: {args.link} -> {simulator.device}", file=sys.stderr)
            if args.file is not None:
                _send_file(simulator, args.file, args.wait, args.interval)
                for _ in sys.stdin:
                    pass
            else:
                print("pos-client: type a code and Enter to scan it; Ctrl-D ends.", file=sys.stderr)
                for line in sys.stdin:
                    _send_line(simulator, line)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except (DeviceError, OSError) as error:
        return _fail(getattr(error, "message", None) or str(error))
    finally:
        simulator.close()
    return EXIT_OK


def run_card(args: argparse.Namespace) -> int:
    """``pos-client card CARD --out FILE``: validated by the domain before drawing."""
    try:
        number = validate_card_number(args.card)
        image = render_ean13(number, format_for_path(args.out))
        save_code(image, args.out)
    except (LoyaltyError, DeviceError) as error:
        return _fail(error.message)
    print(f"pos-client: wrote {args.out}", file=sys.stderr)
    return EXIT_OK


def _send_file(simulator: ScannerSimulator, path: Path, wait: float, interval: float) -> None:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not simulator.wait_for_reader(wait):
        print(
            f"pos-client: no reader opened the port in {wait:g} s; sending anyway", file=sys.stderr
        )
    for index, line in enumerate(lines):
        if index:
            time.sleep(interval)
        _send_line(simulator, line)


def _send_line(simulator: ScannerSimulator, line: str) -> None:
    text = line.rstrip("\r\n")
    if not text:
        return
    if not (text.isascii() and text.isprintable()):
        print(
            f"pos-client: not sent, scanners send printable ASCII only: {text!r}", file=sys.stderr
        )
        return
    if not simulator.reader_attached():
        print("pos-client: no program has the port open; this scan is lost", file=sys.stderr)
    simulator.send(text)


def _stop_at_end_of_input(stream: TextIO, stop: threading.Event) -> None:
    """Set ``stop`` at end of input when stdin is a terminal (Ctrl-D) or a pipe."""
    try:
        mode = os.fstat(stream.fileno()).st_mode
    except (OSError, ValueError):
        return
    if not (stream.isatty() or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
        return

    descriptor = stream.fileno()

    def watch() -> None:
        try:
            while os.read(descriptor, 1024):
                pass
        except (OSError, ValueError):
            pass
        stop.set()

    threading.Thread(target=watch, name="stdin end watcher", daemon=True).start()


class _sigterm_as_interrupt:
    """Treat SIGTERM like Ctrl-C inside the block, so cleanup runs either way."""

    def __enter__(self) -> None:
        self._previous = signal.getsignal(signal.SIGTERM)
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._interrupt)

    def __exit__(self, *exc_info: object) -> None:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._previous)

    @staticmethod
    def _interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt


def _fail(message: str) -> int:
    print(f"pos-client: {message}", file=sys.stderr)
    return EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    """Run one device command without the rest of ``pos-client``."""
    parser = argparse.ArgumentParser(prog="pos-client", description="The till's device tools.")
    add_device_commands(parser.add_subparsers(dest="command", metavar="COMMAND", required=True))
    args = parser.parse_args(argv)
    handler: Handler = args.device_handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
