"""The ``pos-client`` command: the till, its demo, and tools for scripts and installers.

    pos-client [--config PATH] run        the cashier screen (the default)
    pos-client demo [--data-dir DIR] [--parked]  a demo till with seeded members
    pos-client receipts [-n N]             the newest receipts, one JSON object a line
    pos-client verify                      check the journal's hash chain
    pos-client sync                        one sync with the ledger; non-zero on failure
    pos-client status [--json]             pending events, ledger state, last sync
    pos-client staff                       the staff this till knows, and who is locked out
    pos-client recover                     rebuild a lost or damaged database from the ledger
    pos-client parked [list] | retry SEQ --manager ID | resolve SEQ --note TEXT --manager ID
                                           parked events and a manager's decisions
    pos-client day report [--date YYYY-MM-DD] [--print]
                                           the store's day at this till
    pos-client scanners | scan-test PORT | scanner-sim | card CARD --out FILE
                                           installer tools (docs/SCANNERS.md)
    pos-client programme check FILE | evaluate FILE --basket B.json [--member M.json]
                                           try a programme document (docs/PROGRAMMES.md)

Errors that a person must fix (a bad config) are printed as one clear line and exit
with status 2; nothing is written in that case. A till database the till will not
start on (missing, empty, replaced, older or damaged: :mod:`pos_client.store.integrity`)
is refused the same way with status 3 (:data:`EXIT_DATABASE_REFUSED`); ``pos-client
recover`` is the way out.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from devices.config import ScannerConfig
from devices.errors import DeviceError
from loyalty.errors import LoyaltyError
from pos_client.config import TillConfig, load_config
from pos_client.device_commands import add_device_commands
from pos_client.errors import ConfigError
from pos_client.manager_commands import add_manager_commands, run_day, run_parked
from pos_client.programme_commands import add_programme_commands
from pos_client.recovery import RecoveryRefused, recover
from pos_client.store.integrity import EXIT_DATABASE_REFUSED, DatabaseRefused
from pos_client.store.staff import StaffStore
from pos_client.store.transaction import read_transaction
from pos_client.till import Till
from pos_client.views import Receipt
from sync.client import LedgerClient
from sync.errors import SyncError

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pos-client", description="The loyalty till.")
    parser.add_argument("--config", metavar="PATH", help="configuration file (TOML)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    commands.add_parser("run", help="start the cashier screen (default)")

    demo = commands.add_parser("demo", help="start a demo till with seeded members")
    demo.add_argument("--data-dir", type=Path, help="demo data directory")
    demo.add_argument(
        "--programme",
        metavar="NAME",
        help="an example programme to run: the name of a file in examples/programmes "
        "(coffee, kiwi, sephora, ...; a name that is not there lists them)",
    )
    demo.add_argument(
        "--parked",
        action="store_true",
        help="on a new demo till, record two corrections without a manager's approval "
        "(as an older release did), for the manager's sync queue to resolve",
    )

    receipts = commands.add_parser("receipts", help="print the newest receipts as JSON lines")
    receipts.add_argument("-n", "--limit", type=int, default=10)

    commands.add_parser("verify", help="check the journal's hash chain")
    commands.add_parser("sync", help="sync once with the ledger; exit 1 on failure")
    status = commands.add_parser("status", help="pending events, ledger state, last sync")
    status.add_argument("--json", action="store_true", help="one JSON object")
    commands.add_parser("staff", help="the staff this till knows, and who is locked out")
    commands.add_parser(
        "recover",
        help="set a lost or damaged database aside and rebuild the journal from the ledger",
    )
    add_manager_commands(commands)
    add_device_commands(commands)
    add_programme_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except DatabaseRefused as error:
        print(f"pos-client: {error.message}", file=sys.stderr)
        return EXIT_DATABASE_REFUSED
    except (ConfigError, LoyaltyError) as error:
        print(f"pos-client: {error.message}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader (head, less) stopped reading: end quietly, with no traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _dispatch(args: argparse.Namespace) -> int:
    device_handler = getattr(args, "device_handler", None)
    if device_handler is not None:  # tools that need no till and no configuration
        return int(device_handler(args))
    command = args.command or "run"
    if command == "demo":
        return _run_demo(args.data_dir, args.programme, args.parked)
    config = load_config(args.config)
    for notice in (*config.notices, *config.warnings):
        print(f"pos-client: {notice}", file=sys.stderr)
    if command == "recover":
        return _recover(config)
    if command == "run":
        from pos_client.ui.app import TillApp  # the only commands that load Textual

        scanner = _scanner_config(config)
        till = Till.open(config)
        try:
            TillApp(till, scanner=scanner).run()
        finally:
            till.close()
        return 0
    till = Till.open(config)
    try:
        if command == "receipts":
            for receipt in till.last_receipts(args.limit):
                print(json.dumps(_receipt_json(receipt), ensure_ascii=False))
            return 0
        if command == "verify":
            count = till.store.verify()
            print(f"journal intact: {count} events, chain verified")
            return 0
        if command == "sync":
            return _sync_once(till)
        if command == "status":
            return _print_status(till, as_json=args.json)
        if command == "parked":
            return run_parked(till, args)
        if command == "day":
            return run_day(till, args)
        if command == "staff":
            return _print_staff(till)
    finally:
        till.close()
    raise AssertionError(f"unhandled command {command}")


def _scanner_config(config: TillConfig) -> ScannerConfig | None:
    """The serial scanner to read, or None (keyboard and wedge scanners only)."""
    if not config.scanner:
        return None
    try:
        return ScannerConfig.from_mapping(config.scanner, section="scanner")
    except DeviceError as error:
        raise ConfigError(f"{config.source}: {error}") from error


def _run_demo(data_dir: Path | None, programme: str | None, parked: bool = False) -> int:
    from pos_client.demo import example_names, start_demo
    from pos_client.ui.app import TillApp

    if programme is not None and programme not in example_names():
        names = ", ".join(example_names())
        print(f"pos-client: there is no example programme {programme!r} (try: {names}).",
              file=sys.stderr)  # fmt: skip
        return EXIT_USAGE
    print("Starting the demo: ledger, simulated scanner and till…", file=sys.stderr)
    session = start_demo(data_dir, programme, parked=parked)
    if session.notice:
        print(f"pos-client: {session.notice}", file=sys.stderr)
    for line in session.admin_lines():
        print(line, file=sys.stderr)
    try:
        TillApp(
            session.till,
            demo=True,
            scanner=session.scanner,
            simulator=session.simulator,
            demo_settle=session.settle,
            demo_member_qr=session.member_qr,
        ).run()
        for line in session.admin_lines():  # the screen covered them while it ran
            print(line, file=sys.stderr)
    finally:
        session.close()
    return 0


def _sync_once(till: Till) -> int:
    if till.link is None:
        print("pos-client: no [ledger] url in the configuration; nothing to sync.", file=sys.stderr)
        return EXIT_USAGE
    try:
        result = till.link.sync_now()
    except SyncError as error:
        print(f"pos-client: sync failed: {error.message}", file=sys.stderr)
        return 1
    status = till.status()
    print(
        f"synced: {result.pushed} events confirmed, {result.pulled} members updated, "
        f"{status.pending_events} pending, {status.parked_events} parked"
    )
    return 1 if status.parked_events else 0


def _recover(config: TillConfig) -> int:
    """``pos-client recover``: 0 when the database was rebuilt, 1 when recovery was
    refused (nothing changed), 2 without a ledger to recover from."""
    if not config.ledger.url or not config.ledger.token:
        print(
            "pos-client: recovery needs the ledger: set [ledger] url and token in the "
            "configuration.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    client = LedgerClient(
        config.ledger.url, config.ledger.token, config.terminal_id, config.ledger.timeout
    )
    try:
        report = recover(config, client)
    except RecoveryRefused as error:
        print(f"pos-client: recovery refused: {error.message}", file=sys.stderr)
        return 1
    finally:
        client.close()
    print("\n".join(report.lines()))
    return 0


def _print_staff(till: Till) -> int:
    """One line per person the ledger sent: number, role, name, and whether they can
    sign in here (disabled, another store, locked out at this till until when)."""
    now = till.clock()
    staff = StaffStore(till.store.conn)
    with read_transaction(till.store.conn):
        rows = [(m, staff.locked_until(m.staff_id, now)) for m in staff.everyone()]
    if not rows:
        print("This till knows no staff: events name the configured operator.")
    for member, locked in rows:
        if not member.active:
            state = "disabled"
        elif not member.works_at(till.config.store_id):
            state = "another store"
        elif locked is not None:
            state = f"locked out until {locked.astimezone(now.tzinfo):%H:%M}"
        else:
            state = "can sign in"
        print(f"{member.staff_id:12s} {member.role:8s} {member.name:24s} {state}")
    return 0


def _print_status(till: Till, as_json: bool) -> int:
    status = till.status()
    facts = dataclasses.asdict(status)
    if as_json:
        print(json.dumps(facts, ensure_ascii=False))
    else:
        for key, value in facts.items():
            print(f"{key:18s} {value}")
    return 0


def _receipt_json(receipt: Receipt) -> dict[str, object]:
    return {
        "receipt_no": receipt.receipt_no,
        "kind": str(receipt.kind),
        "card": receipt.masked_card,
        "member": receipt.member_name,
        "points": receipt.points,
        "amount_minor": receipt.amount.minor,
        "currency": receipt.amount.currency,
        "recorded_at": receipt.recorded_at,
        "event_id": receipt.event_id,
    }


if __name__ == "__main__":
    sys.exit(main())
