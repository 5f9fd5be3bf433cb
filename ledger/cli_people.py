"""``pos-ledger`` commands for people and decisions: staff, anomalies, merges, tokens.

    pos-ledger staff add ID --name NAME --role cashier|manager [--store S]... [--badge CODE]
                            [--pin-stdin]
    pos-ledger staff role ID ROLE | reset-pin ID [--pin-stdin] | disable ID | list
    pos-ledger anomalies [--all] [--kind K] [--json]
    pos-ledger anomalies resolve ID --reason TEXT [--by NAME]
    pos-ledger member merge KEEP OTHER [--by NAME]
    pos-ledger terminal rotate NAME

A PIN is never given on the command line (it would stay in the shell's history and
the process list): ``--pin-stdin`` reads it from the first line of standard input,
otherwise a random 6-digit PIN is made and printed once, like a terminal token.
Only its hash is stored. Decisions (a resolved anomaly, a merge, a rotated token)
are written to the audit log with who made them (``--by``, else the login name).
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable

from ledger import staff, terminals
from ledger.anomaly_admin import list_anomalies, resolve_anomaly
from ledger.audit import record_audit
from ledger.db import Database
from ledger.errors import AdminError
from ledger.merges import merge_members
from loyalty.staff import new_pin

Command = Callable[[str, Callable[..., int], str], argparse.ArgumentParser]


def actor(given: str | None) -> str:
    if given:
        return given
    try:
        return getpass.getuser()
    except Exception:  # no login name (a container): say so rather than guess
        return "admin"


def _pin(args: argparse.Namespace) -> tuple[str, bool]:
    """The PIN to set and whether it was made here (and must be shown once)."""
    if not args.pin_stdin:
        return new_pin(), True
    line = sys.stdin.readline().strip()
    if not line:
        raise AdminError("--pin-stdin: give the PIN on the first line of standard input.")
    return line, False


def _show_pin(staff_id: str, pin: str) -> None:
    print(pin)
    print(
        f"PIN of {staff_id}. It is shown only once; give it to them now.",
        file=sys.stderr,
    )


def _staff(args: argparse.Namespace, db: Database, _: str) -> int:
    if args.action == "list":
        with db.snapshot() as tx:
            for person in staff.list_staff(tx):
                state = "active" if person["active"] else "disabled"
                stores = ",".join(person["stores"]) or "all stores"
                print(
                    f"{person['staff_id']}\t{person['role']}\t{state}\t{person['name']}\t"
                    f"{stores}\tbadge={person['badge'] or '-'}"
                )
        return 0
    made = False
    pin = ""
    if args.action in ("add", "reset-pin"):
        pin, made = _pin(args)
    with db.write() as tx:
        if args.action == "add":
            staff.add_staff(
                tx,
                args.id,
                name=args.name,
                role=args.role,
                pin=pin,
                stores=args.store or (),
                badge=args.badge or "",
            )
        elif args.action == "role":
            staff.set_role(tx, args.id, args.role)
        elif args.action == "reset-pin":
            staff.reset_pin(tx, args.id, pin)
        else:
            staff.disable(tx, args.id)
    if made:
        _show_pin(args.id, pin)
    else:
        words = {"add": "added", "role": f"is now {getattr(args, 'role', '')}"}
        print(f"Staff {args.id} " + words.get(args.action, args.action.replace("-", " ") + " done"))
    return 0


def _anomalies(args: argparse.Namespace, db: Database, _: str) -> int:
    if args.action == "resolve":
        with db.write() as tx:
            row = resolve_anomaly(tx, args.id, args.reason, actor(args.by))
        print(f"Anomaly {row.anomaly_id} ({row.kind}) resolved by {row.resolved_by}.")
        return 0
    with db.snapshot() as tx:
        rows = list_anomalies(tx, resolved_too=args.all, kind=args.kind)
    if args.json:
        print(json.dumps([r.to_json() for r in rows], indent=2, ensure_ascii=False))
        return 0
    for r in rows:
        state = f"\tresolved by {r.resolved_by}: {r.resolution}" if r.resolved_at else ""
        print(
            f"{r.anomaly_id}\t{r.kind}\t{r.terminal_id}\t{r.seq}\t{r.member_id or '-'}\t"
            f"{r.detail}\t{r.created_at}{state}"
        )
    print(f"{len(rows)} anomal{'y' if len(rows) == 1 else 'ies'}.", file=sys.stderr)
    return 0


def member_merge(args: argparse.Namespace, db: Database) -> int:
    report = merge_members(db, args.keep, args.other, actor(args.by))
    print(
        f"Member {report.other} merged into {report.keep}: cards {', '.join(report.cards)} now "
        f"lead to {report.keep}; {report.resolved} duplicate anomal"
        f"{'y' if report.resolved == 1 else 'ies'} resolved."
    )
    return 0


def terminal_rotate(args: argparse.Namespace, db: Database) -> int:
    with db.write() as tx:
        token = terminals.rotate_token(tx, args.name)
        record_audit(tx, actor(getattr(args, "by", None)), "terminal.rotate", args.name, {})
    print(token)
    print(
        f"Terminal {args.name} has a new token; the old one is refused from now on. "
        "This token is shown only once; put it in the till's configuration now.",
        file=sys.stderr,
    )
    return 0


def add_commands(command: Command, common: argparse.ArgumentParser) -> None:
    """Register ``staff`` and ``anomalies`` on the ``pos-ledger`` parser."""
    people = command("staff", _staff, "add, change, disable or list staff (PINs hashed)")
    actions = people.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", parents=[common], help="a new cashier or manager")
    add.add_argument("id")
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True)
    add.add_argument("--store", action="append", help="a store they work in (repeat)")
    add.add_argument("--badge", help="the code on their badge")
    add.add_argument("--pin-stdin", action="store_true", help="read the PIN from stdin")
    role = actions.add_parser("role", parents=[common], help="change someone's role")
    role.add_argument("id")
    role.add_argument("role")
    reset = actions.add_parser("reset-pin", parents=[common], help="a new PIN")
    reset.add_argument("id")
    reset.add_argument("--pin-stdin", action="store_true", help="read the PIN from stdin")
    actions.add_parser("disable", parents=[common], help="no more sign-ins").add_argument("id")
    actions.add_parser("list", parents=[common])

    anomalies = command("anomalies", _anomalies, "list or resolve what a manager reviews")
    anomalies.set_defaults(action="list")
    anomalies.add_argument("--all", action="store_true", help="resolved ones too")
    anomalies.add_argument("--kind", help="only this kind (overdraft, large_adjustment, ...)")
    anomalies.add_argument("--json", action="store_true")
    resolve = anomalies.add_subparsers(dest="action").add_parser(
        "resolve", parents=[common], help="mark one resolved, with the reason"
    )
    resolve.add_argument("id")
    resolve.add_argument("--reason", required=True)
    resolve.add_argument("--by", help="who decided (default: the login name)")


def add_member_merge(
    actions: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    merge = actions.add_parser("merge", parents=[common], help="merge OTHER into KEEP")
    merge.add_argument("keep", help="card or member id of the member kept")
    merge.add_argument("other", help="card or member id of the duplicate")
    merge.add_argument("--by", help="who decided (default: the login name)")
