"""``pos-client programme``: check and try a programme document before publishing it.

    pos-client programme check FILE
        "valid" with the content hash, or the first problem found (exit 1)
    pos-client programme evaluate FILE --basket B.json [--member M.json] [--version N]
        the outcome of one basket as JSON, exactly as a till would record it

These run the same engine the till and the ledger run, with no till, configuration
or ledger: a programme manager can try a version on a laptop. docs/PROGRAMMES.md
describes the document, the basket and the member formats.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from loyalty.errors import LoyaltyError
from loyalty.programme import (
    basket_from_json,
    evaluate,
    load_programme_file,
    snapshot_from_json,
)

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def add_programme_commands(subparsers: Any) -> None:
    """Add ``programme check|evaluate`` to ``pos-client``'s subparsers."""
    programme = subparsers.add_parser("programme", help="check or try a programme document")
    actions = programme.add_subparsers(dest="programme_action", required=True)
    check = actions.add_parser("check", help="validate a document and print its content hash")
    check.add_argument("file", type=Path)
    check.set_defaults(device_handler=run_check)
    evaluate_cmd = actions.add_parser("evaluate", help="the outcome of a basket as JSON")
    evaluate_cmd.add_argument("file", type=Path)
    evaluate_cmd.add_argument("--basket", type=Path, required=True, metavar="B.json")
    evaluate_cmd.add_argument("--member", type=Path, metavar="M.json")
    evaluate_cmd.add_argument("--version", type=int, default=0, help="version number to record")
    evaluate_cmd.set_defaults(device_handler=run_evaluate)


def run_check(args: argparse.Namespace) -> int:
    try:
        programme = load_programme_file(args.file)
    except LoyaltyError as error:
        print(f"invalid: {error.message}", file=sys.stderr)
        return EXIT_INVALID
    print(f"valid: {programme.name} ({programme.id}), engine {programme.engine}")
    print(f"content hash: {programme.content_hash}")
    return EXIT_OK


def run_evaluate(args: argparse.Namespace) -> int:
    try:
        programme = load_programme_file(args.file)
        basket = basket_from_json(_json(args.basket))
        member = snapshot_from_json(_json(args.member) if args.member else None)
        outcome = evaluate(programme, basket, member, version=args.version)
    except LoyaltyError as error:
        print(f"pos-client: {error.message}", file=sys.stderr)
        return EXIT_INVALID
    print(json.dumps(outcome.to_json(), indent=2, ensure_ascii=False))
    return EXIT_OK


class _Unreadable(LoyaltyError):
    """A basket or member file that is not JSON."""


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise _Unreadable(f"{path}: cannot be read ({error.strerror}).") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _Unreadable(f"{path}: is not JSON ({error}).") from None
