"""``pos-ledger`` commands for member QR tokens (docs/MEMBER_QR.md, section 9).

    pos-ledger qr-keys init --root-key FILE [--issuer N]
    pos-ledger qr-keys add --use card|app --root-key FILE [--days N] [--starts ISO-8601]
    pos-ledger qr-keys revoke KEY_ID --root-key FILE
    pos-ledger qr-keys list
    pos-ledger qr CARD [--app] [--out FILE.svg|FILE.png]
    pos-ledger member-app issue MEMBER | revoke MEMBER       (member id or card)

``init`` makes the programme's root key in a new file (mode 0600) that the operator
keeps; the database never holds it, so adding or revoking a key, which publishes a
keyset every till trusts, needs the file as well as the database. Each of ``add``
and ``revoke`` changes the keys and publishes the next keyset in one transaction:
both happen or neither does. Decisions are written to the audit log (``--by``, else
the login name).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import member_app, qr_keys
from ledger.audit import record_audit
from ledger.cli_people import Command, actor
from ledger.db import Database
from ledger.errors import AdminError
from ledger.qr_image import image_format, write_token_qr
from ledger.qr_issuing import issue_token
from ledger.qr_keys import DEFAULT_DAYS, USES, NotSetUp, StoredKey
from ledger.qr_root import load_root_key, write_root_file
from loyalty.member_token import TokenUse
from loyalty.token_keys import public_hex

START_SLACK = 60
"""Seconds ``--starts`` may lie in the past (a time typed a moment ago)."""


def _when(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _starts(text: str | None, now: int) -> int:
    """``--starts`` as Unix seconds (a time without a zone is UTC); now by default."""
    if text is None:
        return now
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise AdminError(
            f"--starts {text!r} is not a time like 2026-12-01 or 2026-12-01T06:00+01:00."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    starts = int(moment.timestamp())
    if starts < now - START_SLACK:
        raise AdminError(
            f"--starts {text} is in the past; a key signs from now at the earliest "
            "(leave --starts out to start now)."
        )
    return starts


def _init(args: argparse.Namespace, db: Database) -> int:
    path = Path(args.root_key)
    with db.snapshot() as tx:
        if qr_keys.settings(tx) is not None:
            raise AdminError(
                "Member QR tokens are set up at this ledger already (pos-ledger qr-keys list)."
            )
    if path.exists():
        raise AdminError(f"{path} already exists; a root key file is never overwritten.")
    root = Ed25519PrivateKey.generate()
    public = public_hex(root)
    written = False
    try:
        with db.write() as tx:
            issuer = qr_keys.initialise(tx, public, args.issuer)
            record_audit(tx, actor(args.by), "qr_keys.init", str(issuer), {"root_key": public})
            write_root_file(path, root)  # last: a failure before rolls the settings back
            written = True
    except BaseException:
        if written:  # the settings did not commit: the file would be a key of nothing
            path.unlink(missing_ok=True)
        raise
    print(f"Member QR tokens set up: issuer {issuer}.")
    print(f"Root key written to {path} (mode 0600). Keep it safe, away from the database:")
    print("adding or revoking a signing key needs it, and it cannot be made again.")
    print(f"Root public key: {public}")
    print("Put these lines in every till's configuration:")
    print()
    print("[member_qr]")
    print(f'root_key = "{public}"')
    print()
    print(f"Next: pos-ledger qr-keys add --use app --root-key {path} (and --use card).")
    return 0


def _add(args: argparse.Namespace, db: Database) -> int:
    use = USES[args.use]
    days = DEFAULT_DAYS[use] if args.days is None else args.days
    root = load_root_key(Path(args.root_key))
    now = int(time.time())
    starts = _starts(args.starts, now)
    with db.write() as tx:
        qr_keys.check_root(tx, root, args.root_key)
        key = qr_keys.add_key(tx, use, starts, days)
        signed = qr_keys.publish(tx, root, now)
        record_audit(
            tx, actor(args.by), "qr_keys.add", str(key.key_id), {"use": args.use, "days": days}
        )
    print(
        f"Key {key.key_id} ({args.use}) signs tokens issued from {_when(key.not_before)} to "
        f"{_when(key.not_after)}. Keyset {signed.keyset.number} published; tills get it at "
        "their next sync."
    )
    if starts > now:
        print(f"It signs new {args.use} tokens from {_when(starts)} (the newest key signs).")
    else:
        print(
            f"It signs new {args.use} tokens from now on (the newest key signs). A till that "
            "has not synced since refuses them as newer than it knows: to avoid that, add "
            "the next key a day ahead with --starts."
        )
    return 0


def _revoke(args: argparse.Namespace, db: Database) -> int:
    root = load_root_key(Path(args.root_key))
    now = int(time.time())
    with db.write() as tx:
        qr_keys.check_root(tx, root, args.root_key)
        key = qr_keys.revoke_key(tx, args.key_id)
        signed = qr_keys.publish(tx, root, now)
        record_audit(tx, actor(args.by), "qr_keys.revoke", str(key.key_id), {})
        try:
            qr_keys.signing_key(tx, key.use, now)
            left = None
        except NotSetUp as exc:
            left = exc.reason
    print(
        f"Key {key.key_id} ({key.use.name.lower()}) revoked. Keyset {signed.keyset.number} "
        "lists it as revoked; every till refuses its tokens once it has synced."
    )
    if left:
        print(left)
    return 0


def _state(key: StoredKey, newest: dict[TokenUse, int], now: int) -> str:
    if key.revoked_at is not None:
        return f"revoked {key.revoked_at}"
    if key.signs_at(now):
        return "signs now" if newest.get(key.use) == key.key_id else "valid, a newer key signs"
    if key.not_before > now:
        return "starts later"
    return "retired, listed for its tokens" if key.listed_at(now) else "retired, unlisted"


def _list(_: argparse.Namespace, db: Database) -> int:
    now = int(time.time())
    with db.snapshot() as tx:
        found = qr_keys.required_settings(tx)
        keys = qr_keys.stored_keys(tx)
    newest = {k.use: k.key_id for k in keys if k.signs_at(now)}  # ids ascend: the last wins
    for key in keys:
        print(
            f"{key.key_id}\t{key.use.name.lower()}\t{_when(key.not_before)}\t"
            f"{_when(key.not_after)}\t{_state(key, newest, now)}"
        )
    print(
        f"Issuer {found.issuer}, keyset {found.keyset_number}, root public key "
        f"{found.root_public_key}."
    )
    return 0


def _keys(args: argparse.Namespace, db: Database, _: str) -> int:
    handlers = {"init": _init, "add": _add, "revoke": _revoke, "list": _list}
    return handlers[args.action](args, db)


def _qr(args: argparse.Namespace, db: Database, _: str) -> int:
    use = TokenUse.APP if args.app else TokenUse.CARD
    out = None if args.out is None else Path(args.out)
    if out is not None:
        image_format(out)  # a wrong name is refused before anything is issued
    with db.snapshot() as tx:
        issued = issue_token(tx, use, card=args.card)
    version = None if out is None else write_token_qr(issued.text, out)
    print(issued.text)
    token = issued.token
    kind = "single-use app" if token.single_use else f"multi-use {use.name.lower()}"
    drawn = "" if out is None else f" QR code version {version}, level M, written to {out}."
    print(
        f"A {kind} token for member {token.member_id} (card {token.card}, generation "
        f"{token.card_generation}, balance {token.balance}), key {token.key_id}, valid until "
        f"{_when(issued.expires_at)}; replay id {issued.replay_id}.{drawn}",
        file=sys.stderr,
    )
    return 0


def _member_app(args: argparse.Namespace, db: Database, _: str) -> int:
    with db.write() as tx:
        if args.action == "issue":
            credential, member_id, revoked = member_app.issue_credential(
                tx, args.member, actor(args.by)
            )
        else:
            member_id, _count = member_app.revoke_credentials(tx, args.member, actor(args.by))
    if args.action == "revoke":
        print(f"Member {member_id}'s member-app credential revoked; the app is refused from now.")
        return 0
    print(credential)
    earlier = " Their earlier credential is revoked." if revoked else ""
    print(
        f"Member-app credential of member {member_id}. It is shown only once; give it to the "
        f"member's app now.{earlier}",
        file=sys.stderr,
    )
    return 0


def add_commands(command: Command, common: argparse.ArgumentParser) -> None:
    """Register ``qr-keys``, ``qr`` and ``member-app`` on the ``pos-ledger`` parser."""
    keys = command("qr-keys", _keys, "set up, add, revoke or list member QR signing keys")
    actions = keys.add_subparsers(dest="action", required=True)
    init = actions.add_parser("init", parents=[common], help="make the programme's root key")
    init.add_argument("--root-key", required=True, metavar="FILE", help="a new file for it")
    init.add_argument("--issuer", type=int, help="the programme's issuer id (default: random)")
    add = actions.add_parser("add", parents=[common], help="a new signing key, published")
    add.add_argument("--use", required=True, choices=sorted(USES))
    add.add_argument("--days", type=int, help="how long it signs (card 365, app 30)")
    add.add_argument("--starts", metavar="ISO-8601", help="when it starts signing (now)")
    revoke = actions.add_parser("revoke", parents=[common], help="revoke a key, published")
    revoke.add_argument("key_id", type=int, metavar="KEY_ID")
    for sub in (add, revoke):
        sub.add_argument("--root-key", required=True, metavar="FILE", help="the root key file")
    for sub in (init, add, revoke):
        sub.add_argument("--by", help="who decided (default: the login name)")
    actions.add_parser("list", parents=[common], help="every key and the keyset number")

    qr = command("qr", _qr, "issue a member QR token for a card (printed card by default)")
    qr.add_argument("card")
    qr.add_argument("--app", action="store_true", help="an app token (48 hours, single-use)")
    qr.add_argument("--out", metavar="FILE", help="also draw it as a QR code (.svg or .png)")

    app = command("member-app", _member_app, "issue or revoke a member's app credential")
    app_actions = app.add_subparsers(dest="action", required=True)
    for action in ("issue", "revoke"):
        sub = app_actions.add_parser(action, parents=[common])
        sub.add_argument("member", metavar="MEMBER", help="member id or card")
        sub.add_argument("--by", help="who decided (default: the login name)")
