"""Admin commands for after a disaster, and the log of what administrators did.

    pos-ledger epoch [show]                 the ledger's current epoch
    pos-ledger epoch new --reason TEXT      begin a new epoch (after restoring a backup)
    pos-ledger audit [--limit N] [--json]   the newest entries of the admin audit log

After restoring a backup, ``epoch new`` makes every till start over from what the
ledger holds at its next sync (:mod:`ledger.epochs`); the ledger would also notice by
itself, from the first till that has seen more than it holds, but saying so at once
also covers tills whose own events were all in the backup.
"""

from __future__ import annotations

import argparse
import json
import sys

from ledger.cli_people import Command, actor
from ledger.db import Database
from ledger.epochs import current_epoch, start_new_epoch
from ledger.errors import AdminError

DEFAULT_AUDIT_LIMIT = 50


def _epoch(args: argparse.Namespace, db: Database, ledger_id: str) -> int:
    with db.snapshot() as tx:
        epoch = current_epoch(tx, ledger_id)
    if args.action != "new":
        print(epoch)
        return 0
    reason = (args.reason or "").strip()
    if not reason:
        raise AdminError("epoch new: say why with --reason (e.g. 'restored the backup of 03:00').")
    now = start_new_epoch(db, ledger_id, epoch, actor(args.by), reason, {})
    print(f"Epoch {now} begun (was {epoch}). Tills start over from this ledger at their next sync.")
    return 0


def _audit(args: argparse.Namespace, db: Database, _: str) -> int:
    if args.limit < 1:
        raise AdminError("--limit must be 1 or more.")
    with db.snapshot() as tx:
        rows = tx.query(
            "SELECT audit_id, at, actor, action, subject, detail FROM audit "
            "ORDER BY audit_id DESC LIMIT ?",
            (args.limit,),
        )
    entries = [
        {
            "audit_id": int(r[0]),
            "at": r[1],
            "actor": r[2],
            "action": r[3],
            "subject": r[4],
            "detail": json.loads(r[5]),
        }
        for r in reversed(rows)
    ]
    if args.json:
        print(json.dumps(entries, indent=2, ensure_ascii=False))
        return 0
    for e in entries:
        detail = json.dumps(e["detail"], ensure_ascii=False)
        print(f"{e['audit_id']}\t{e['at']}\t{e['actor']}\t{e['action']}\t{e['subject']}\t{detail}")
    print(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}.", file=sys.stderr)
    return 0


def add_commands(command: Command, common: argparse.ArgumentParser) -> None:
    """Register ``epoch`` and ``audit`` on the ``pos-ledger`` parser."""
    epoch = command("epoch", _epoch, "show the ledger's epoch, or begin a new one after a restore")
    epoch.set_defaults(action="show")
    actions = epoch.add_subparsers(dest="action")
    actions.add_parser("show", parents=[common])
    new = actions.add_parser("new", parents=[common], help="begin a new epoch")
    new.add_argument("--reason", required=True, help="why (recorded in the audit log)")
    new.add_argument("--by", help="who decided (default: your login name)")
    audit = command("audit", _audit, "show the newest entries of the admin audit log")
    audit.add_argument("--limit", type=int, default=DEFAULT_AUDIT_LIMIT)
    audit.add_argument("--json", action="store_true", help="print the entries as JSON")
