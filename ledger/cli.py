"""``pos-ledger``: run the ledger server and administer its database.

    pos-ledger serve --db URL [--host 127.0.0.1] [--port 8080] [--settle-every SECONDS]
                     [--workers N] [--push-concurrency N]
    (every command: [--statement-timeout S] [--lock-timeout S] [--idle-timeout S])
    pos-ledger terminal add NAME | revoke NAME | rotate NAME | list
    pos-ledger members import FILE.csv
    pos-ledger member show CARD | block CARD | unblock CARD | merge KEEP OTHER [--by NAME]
    pos-ledger staff ... | anomalies ...   (ledger.cli_people)
    pos-ledger epoch ... | audit ...       (ledger.cli_recovery)
    pos-ledger qr-keys ... | qr CARD | member-app ...   (ledger.cli_qr: member QR tokens)
    pos-ledger web-account add|reset-password|disable|enable|unlock|totp|list   (ledger.cli_web)
    pos-ledger card replace OLD NEW
    pos-ledger rules publish FILE.toml --effective-from LOCAL|now
    pos-ledger rules show [--version N] | list | simulate FILE.toml --since DATE [--json]
    pos-ledger products import FILE.csv [--currency NOK]
    pos-ledger offers import FILE.csv
    pos-ledger settle --as-of DATE
    pos-ledger verify
    pos-ledger rebuild

``--db`` (or the ``POS_LEDGER_DB`` environment variable) names the database:
``sqlite:///path``, a plain path, or ``postgresql://...``. The schema is created or
migrated when the database is opened.

Exit status: 0 success; 1 the command's input was wrong (or ``verify`` found a
difference); 2 the command could not run (usage, database unreachable).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from ledger import admin, cli_people, cli_qr, cli_recovery, cli_web, members, programmes, terminals
from ledger.db import Database, connect
from ledger.errors import AdminError, StorageError
from ledger.offers import import_offers
from ledger.pg_session import DEFAULT_TIMEOUTS, Timeouts, add_timeout_options, timeouts_of
from ledger.products import import_products
from ledger.rebuild import rebuild
from ledger.schema import migrate
from ledger.serving import add_serve_arguments
from ledger.settle import SettleSchedule, settle
from ledger.simulate import Simulation, simulate
from ledger.verify import verify
from loyalty.programme import Programme, ProgrammeError, load_programme_file

EXIT_OK, EXIT_FAILED, EXIT_CANNOT_RUN = 0, 1, 2


def open_ledger(url: str, timeouts: Timeouts = DEFAULT_TIMEOUTS) -> tuple[Database, str]:
    """Open and migrate the database; return it and the ledger id."""
    db = connect(url, timeouts)
    return db, migrate(db)


def _serve(args: argparse.Namespace, db: Database, ledger_id: str) -> int:
    from ledger.serving import serve

    schedule = None
    if args.settle_every is not None:
        if args.settle_every <= 0:
            raise AdminError("--settle-every must be a number of seconds above 0.")
        schedule = SettleSchedule(
            db, args.settle_every, lambda: datetime.now(UTC), args.quiet_hours
        )
        schedule.start()
    try:
        serve(args, db, ledger_id)
    finally:
        if schedule is not None:
            schedule.stop()
    return EXIT_OK


def _terminal(args: argparse.Namespace, db: Database, _: str) -> int:
    if args.action == "list":
        with db.snapshot() as tx:
            for t in terminals.list_terminals(tx):
                state = f"revoked {t.revoked_at}" if t.revoked_at else "active"
                print(
                    f"{t.terminal_id}\t{state}\thigh_water={t.high_water}\tcreated {t.created_at}"
                )
        return EXIT_OK
    if args.action == "rotate":
        return cli_people.terminal_rotate(args, db)
    with db.write() as tx:
        if args.action == "add":
            token = terminals.add_terminal(tx, args.name)
        else:
            terminals.revoke_terminal(tx, args.name)
    if args.action == "add":
        print(token)
        print(
            f"Terminal {args.name} added. This token is shown only once; "
            "put it in the till's configuration now.",
            file=sys.stderr,
        )
    else:
        print(f"Terminal {args.name} revoked.")
    return EXIT_OK


def _members(args: argparse.Namespace, db: Database, _: str) -> int:
    report = admin.import_members(db, Path(args.file))
    print(
        f"Imported {args.file}: {report.created} created, {report.updated} updated, "
        f"{report.unchanged} unchanged."
    )
    if report.balances_ignored:
        print(
            f"{report.balances_ignored} known members have another balance in the file; "
            "balances of known members change only through events (use an adjustment).",
        )
    return EXIT_OK


def _member(args: argparse.Namespace, db: Database, _: str) -> int:
    if args.action == "merge":
        return cli_people.member_merge(args, db)
    if args.action in ("block", "unblock"):
        with db.write() as tx:
            state = members.set_status(
                tx, args.card, "blocked" if args.action == "block" else "active"
            )
        print(json.dumps(state.model_dump(), indent=2))
        return EXIT_OK
    with db.snapshot() as tx:
        found = members.member_by_card(tx, args.card)
        if found is None:
            raise AdminError(f"No member has card {args.card}.")
        history = members.member_history(tx, found.member_id)
    print(json.dumps({"member": found.model_dump(), "latest_events": history}, indent=2))
    return EXIT_OK


def _card(args: argparse.Namespace, db: Database, _: str) -> int:
    state = admin.replace_card(db, args.old, args.new)
    print(f"Card {args.old} revoked; member {state.member_id} now has card {state.card}.")
    return EXIT_OK


def _rules(args: argparse.Namespace, db: Database, _: str) -> int:
    if args.action == "publish":
        programme = _programme_file(args.file)
        with db.write() as tx:
            published = programmes.publish_version(tx, programme, args.effective_from)
        print(
            f"Published {programme.name} as version {published.version}, in force from "
            f"{published.effective_from.isoformat()} ({programme.timezone}); content hash "
            f"{programme.content_hash}."
        )
        if published.warning:
            print(f"Note: {published.warning}", file=sys.stderr)
        return EXIT_OK
    if args.action == "simulate":
        report = simulate(db, _programme_file(args.file), _date(args.since))
        _print_simulation(report, args.json)
        return EXIT_OK
    with db.snapshot() as tx:
        if args.action == "list":
            for version in programmes.versions(tx):
                print(
                    f"{version.version}\t{version.effective_from_local}\t"
                    f"{version.programme.id}\t{version.programme.name}\t"
                    f"{version.content_hash[:12]}\t{version.programme.timezone}"
                )
            return EXIT_OK
        if args.version is None:
            state = programmes.in_force_row(tx)
        else:
            row = tx.one(
                f"SELECT {programmes.VERSION_COLUMNS} FROM programme_versions WHERE version = ?",
                (args.version,),
            )
            if row is None:
                raise AdminError(f"There is no programme version {args.version}.")
            state = programmes.version_state(row)
    print(json.dumps(state, indent=2, ensure_ascii=False))
    return EXIT_OK


def _programme_file(path: str) -> Programme:
    try:
        return load_programme_file(path)
    except ProgrammeError as exc:
        raise AdminError(exc.message) from None


def _date(text: str, option: str = "--since") -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise AdminError(f"{option} {text!r} is not a date like 2026-11-01.") from None


def _settle(args: argparse.Namespace, db: Database, _: str) -> int:
    as_of = _date(args.as_of, "--as-of")
    latest = datetime.now(UTC).date() + timedelta(days=1)
    if as_of > latest:
        raise AdminError(
            f"--as-of {as_of} is in the future: it would pay periods that are not over and "
            "expire points still usable. Give today's date or an earlier one."
        )
    report = settle(db, as_of)
    expired = ", ".join(f"{n} {wallet}" for wallet, n in sorted(report.expired.items()))
    lowered = (
        f" {_count(report.tiers_lowered, 'member')} fell to a lower tier."
        if report.tiers_lowered
        else ""
    )
    paid = ", ".join(f"{n} {wallet}" for wallet, n in sorted(report.paid.items()))
    settlements = (
        f" Paid {paid} in {_count(report.settlement_events, 'settlement event')}."
        if report.settlement_events
        else ""
    )
    print(
        f"Settled as of {report.as_of}: "
        f"{_count(report.events + report.settlement_events, 'event')} appended"
        + (f"; expired {expired} of {_count(report.members, 'member')}." if expired else ".")
        + lowered
        + settlements
    )
    return EXIT_OK


def _print_simulation(report: Simulation, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
        return
    differences = report.differences()
    print(
        f"{_count(report.sales, 'sale')} and {_count(report.refunds, 'refund')} since "
        f"{report.since}: {_count(len(differences), 'member')} would get something else."
    )
    for member, changes in differences:
        parts = [f"{a} {r} -> {c} ({c - r:+d})" for a, (r, c) in changes.items()]
        print(f"  {member}: " + "; ".join(parts))
    for line in report.not_evaluated:
        print(f"  not evaluated: {line}")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _products(args: argparse.Namespace, db: Database, _: str) -> int:
    currency = args.currency
    if currency is None:
        with db.snapshot() as tx:
            currency = programmes.in_force_row(tx)["document"]["programme"]["currency"]
    report = import_products(db, Path(args.file), currency)
    print(
        f"Imported {args.file}: {report.created} created, {report.updated} updated, "
        f"{report.unchanged} unchanged (prices in {currency})."
    )
    return EXIT_OK


def _offers(args: argparse.Namespace, db: Database, _: str) -> int:
    report = import_offers(db, Path(args.file))
    print(
        f"Imported {args.file}: {_count(report.assigned, 'offer')} assigned to "
        f"{_count(report.members, 'member')}, {report.already} already assigned."
    )
    return EXIT_OK


def _rebuild(_: argparse.Namespace, db: Database, __: str) -> int:
    report = rebuild(db)
    for line in report.differences:
        print(f"REPLACED: {line}")
    print(
        f"Rebuilt from {_count(report.events, 'event')}: "
        + (
            "every derived table was already right."
            if not report.differences
            else f"{_count(report.members_changed, 'member')} changed."
        )
    )
    return EXIT_OK


def _verify(_: argparse.Namespace, db: Database, __: str) -> int:
    report = verify(db)
    for line in report.differences:
        print(f"DIFFERENCE: {line}")
    for line in report.stops:
        print(f"stream stop answered at push: {line}")
    print(
        f"Checked {report.members} members, {report.events} events, "
        f"{report.terminals} terminals: "
        + ("all consistent." if report.ok else f"{len(report.differences)} difference(s).")
    )
    return EXIT_OK if report.ok else EXIT_FAILED


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        default=os.environ.get("POS_LEDGER_DB"),
        help="sqlite:///path, a path, or postgresql://... (default: $POS_LEDGER_DB)",
    )
    add_timeout_options(common)  # serve's, and those of a long admin command
    parser = argparse.ArgumentParser(prog="pos-ledger", description="The loyalty central ledger.")
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, handler: Callable[..., int], help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, parents=[common], help=help_text)
        sub.set_defaults(handler=handler)
        return sub

    serve = command("serve", _serve, "run the HTTP server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--log-level", default="warning")
    add_serve_arguments(serve)
    serve.add_argument(
        "--settle-every",
        type=float,
        metavar="SECONDS",
        help="also run every settlement due by today this often (e.g. 3600)",
    )

    terminal = command("terminal", _terminal, "add, revoke or list terminals")
    actions = terminal.add_subparsers(dest="action", required=True)
    for action in ("add", "revoke", "rotate"):
        actions.add_parser(action, parents=[common]).add_argument("name")
    actions.add_parser("list", parents=[common])

    imports = command("members", _members, "import members from CSV")
    imports.add_subparsers(dest="action", required=True).add_parser(
        "import", parents=[common]
    ).add_argument("file")

    member = command("member", _member, "show, block or unblock a member")
    actions = member.add_subparsers(dest="action", required=True)
    for action in ("show", "block", "unblock"):
        actions.add_parser(action, parents=[common]).add_argument("card")
    cli_people.add_member_merge(actions, common)

    card = command("card", _card, "replace a member's card (the old one is revoked)")
    replace = card.add_subparsers(dest="action", required=True).add_parser(
        "replace", parents=[common]
    )
    replace.add_argument("old")
    replace.add_argument("new")

    rules_cmd = command("rules", _rules, "publish, show, list or simulate programme versions")
    actions = rules_cmd.add_subparsers(dest="action", required=True)
    show = actions.add_parser("show", parents=[common], help="the version in force (or N)")
    show.add_argument("--version", type=int)
    actions.add_parser("list", parents=[common], help="every published version")
    publish = actions.add_parser("publish", parents=[common], help="publish a new version")
    publish.add_argument("file")
    publish.add_argument(
        "--effective-from",
        required=True,
        metavar="LOCAL",
        help="local start in the programme's time zone (2026-12-01T00:00), or 'now'",
    )
    simulate_cmd = actions.add_parser(
        "simulate", parents=[common], help="what a candidate would give recorded baskets"
    )
    simulate_cmd.add_argument("file")
    simulate_cmd.add_argument("--since", required=True, metavar="DATE")
    simulate_cmd.add_argument("--json", action="store_true")

    products = command("products", _products, "import the product catalogue")
    product_import = products.add_subparsers(dest="action", required=True).add_parser(
        "import", parents=[common]
    )
    product_import.add_argument("file")
    product_import.add_argument("--currency", help="of the prices (default: the programme's)")

    settle_cmd = command("settle", _settle, "run every settlement due by a date (expiry)")
    settle_cmd.add_argument(
        "--as-of", required=True, metavar="DATE", help="lots whose last day is before it expire"
    )

    offers = command("offers", _offers, "assign personal offers from CSV")
    offers.add_subparsers(dest="action", required=True).add_parser(
        "import", parents=[common]
    ).add_argument("file")

    cli_people.add_commands(command, common)
    cli_recovery.add_commands(command, common)
    cli_qr.add_commands(command, common)
    cli_web.add_commands(command, common)
    command("verify", _verify, "recompute balances and check every hash chain")
    command("rebuild", _rebuild, "make every derived table again from the events")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``pos-ledger``; returns the exit status."""
    args = build_parser().parse_args(argv)
    if not args.db:
        print("pos-ledger: give the database with --db or POS_LEDGER_DB.", file=sys.stderr)
        return EXIT_CANNOT_RUN
    try:
        db, ledger_id = open_ledger(args.db, timeouts_of(args))
    except StorageError as exc:
        print(f"pos-ledger: {exc.reason}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    try:
        handler: Callable[[argparse.Namespace, Database, str], int] = args.handler
        return handler(args, db, ledger_id)
    except BrokenPipeError:
        # The reader (head, less) stopped reading: end quietly, with no traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except AdminError as exc:
        print(f"pos-ledger: {exc.reason}", file=sys.stderr)
        return EXIT_FAILED
    except StorageError as exc:
        print(f"pos-ledger: {exc.reason}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    finally:
        db.close()


if __name__ == "__main__":
    sys.exit(main())
