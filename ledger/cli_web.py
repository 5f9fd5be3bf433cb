"""``pos-ledger web-account``: the people who sign in to the ledger's web pages.

    pos-ledger web-account add LOGIN --name NAME --role head_office|store_manager
                           [--store STORE ...] [--password-stdin]
    pos-ledger web-account reset-password LOGIN [--password-stdin]
    pos-ledger web-account disable LOGIN | enable LOGIN | unlock LOGIN | totp LOGIN | list

A password is never given on the command line (it would show in the process list
and the shell's history): ``--password-stdin`` reads the first line of standard
input; without it the command asks at the terminal without echoing. Every change
is written to the audit log, naming who ran it (``--by``, else the login name).
"""

from __future__ import annotations

import argparse
import getpass
import sys

from ledger.audit import record_audit
from ledger.cli_people import Command, actor
from ledger.db import Database
from ledger.errors import AdminError
from ledger.web import accounts


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise AdminError("--password-stdin: give the password on the first line of stdin.")
        return line
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise AdminError("The two passwords differ; nothing was changed.")
    return first


def _web_account(args: argparse.Namespace, db: Database, _: str) -> int:
    by = actor(args.by)
    if args.action == "list":
        with db.snapshot() as tx:
            found = accounts.accounts(tx)
        for a in found:
            state = "active" if a.active else "disabled"
            if a.locked_until:
                state += f", locked until {a.locked_until}"
            stores = ",".join(sorted(a.person.stores)) or "-"
            second = "totp" if a.totp_secret else "-"
            print(
                f"{a.person.login}\t{a.person.role}\t{stores}\t{second}\t{state}\t{a.person.name}"
            )
        return 0
    login = args.login
    with db.write() as tx:
        if args.action == "add":
            accounts.add_account(
                tx,
                login,
                name=args.name,
                role=args.role,
                password=_password(args),
                stores=args.store or (),
            )
            detail: dict[str, object] = {"role": args.role, "stores": sorted(args.store or ())}
        elif args.action == "reset-password":
            accounts.set_password(tx, login, _password(args))
            detail = {}
        elif args.action in ("disable", "enable"):
            accounts.set_active(tx, login, args.action == "enable")
            detail = {}
        elif args.action == "unlock":
            accounts.unlock(tx, login)
            detail = {}
        else:  # totp
            address = accounts.enable_totp(tx, login)
            detail = {}
            print(address)
            print(
                "Add this to the person's authenticator app now (it is shown only once); "
                "from now on they give its code when they sign in.",
                file=sys.stderr,
            )
        record_audit(tx, by, f"web_account.{args.action}", login, detail)
    if args.action != "totp":
        print(f"Web account {login}: {args.action} done.")
    return 0


def add_commands(command: Command, common: argparse.ArgumentParser) -> None:
    """Register ``web-account`` on the ``pos-ledger`` parser."""
    web = command("web-account", _web_account, "people who sign in to the web pages")
    actions = web.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", parents=[common], help="a new head-office or store account")
    add.add_argument("login")
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True, choices=accounts.ROLES)
    add.add_argument("--store", action="append", help="a store they manage (repeat)")
    add.add_argument("--password-stdin", action="store_true")
    reset = actions.add_parser("reset-password", parents=[common], help="a new password")
    reset.add_argument("login")
    reset.add_argument("--password-stdin", action="store_true")
    for name, text in (
        ("disable", "no more sign-ins; ends their sessions"),
        ("enable", "allow sign-ins again"),
        ("unlock", "end a lockout after failed sign-ins"),
        ("totp", "a second factor for a head-office account"),
    ):
        actions.add_parser(name, parents=[common], help=text).add_argument("login")
    actions.add_parser("list", parents=[common])
    for sub in actions.choices.values():
        sub.add_argument("--by", help="who decided (default: the login name)")
