"""``pos-client parked`` and ``pos-client day``: a store manager's work from a shell.

    pos-client parked [list]                            parked events, one JSON object
                                                        a line; exit 1 when there are any
    pos-client parked retry SEQ --manager ID            send a parked event again
    pos-client parked resolve SEQ --note TEXT --manager ID
                                                        void a refused or malformed event
    pos-client day report [--date YYYY-MM-DD] [--print] the end-of-day report

A request that cannot be done (an event not parked, a void without a note, a conflict
that needs head office) prints one clear line and exits 2, recording nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from datetime import date
from typing import Any

from pos_client.day_desk import PRINTED
from pos_client.till import Till


def add_manager_commands(subparsers: Any) -> None:
    """Add ``parked`` (with ``list|retry|resolve``) and ``day report``."""
    parked = subparsers.add_parser("parked", help="events the ledger refused, and decisions")
    actions = parked.add_subparsers(dest="parked_action", metavar="ACTION")
    actions.add_parser("list", help="the parked events with the ledger's reasons (default)")
    retry = actions.add_parser("retry", help="send a parked event again as it is")
    retry.add_argument("seq", type=int)
    retry.add_argument("--manager", required=True, metavar="ID", help="the manager's number")
    resolve = actions.add_parser("resolve", help="void a refused or malformed event")
    resolve.add_argument("seq", type=int)
    resolve.add_argument("--note", required=True, help="what was decided and why")
    resolve.add_argument("--manager", required=True, metavar="ID", help="the manager's number")

    day = subparsers.add_parser("day", help="the store's day at this till")
    day_actions = day.add_subparsers(dest="day_action", metavar="ACTION", required=True)
    report = day_actions.add_parser("report", help="the end-of-day report")
    report.add_argument("--date", type=_day, metavar="YYYY-MM-DD", help="default: today")
    report.add_argument("--print", action="store_true", help="also print it on the printer")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: use YYYY-MM-DD") from None


def run_parked(till: Till, args: argparse.Namespace) -> int:
    action = args.parked_action or "list"
    if action == "retry":
        till.retry_parked(args.seq, args.manager)
        print(f"Event {args.seq} goes to the ledger again with the next sync.")
        return 0
    if action == "resolve":
        till.resolve_parked(args.seq, args.note, args.manager)
        print(
            f"Event {args.seq} is voided: the next sync sends it with your note; the "
            "ledger keeps it, applies nothing of it and lists it for head office."
        )
        return 0
    parked = till.sync_queue().parked
    for event in parked:
        print(json.dumps(dataclasses.asdict(event), ensure_ascii=False))
    if not parked:
        print("No parked events: the ledger has accepted everything it was sent.")
    return 1 if parked else 0


def run_day(till: Till, args: argparse.Namespace) -> int:
    """``day report``: the report on stdout; with ``--print`` also on paper (exit 1
    when it did not print, saying why on stderr)."""
    report = till.day_report(args.date)
    for line in report.text_lines():
        print(line)
    if not args.print:
        return 0
    message = till.print_day_report(report)
    print(f"pos-client: {message}", file=sys.stderr)
    return 0 if message == PRINTED else 1
