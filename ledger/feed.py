"""The changes feed: what changed after a cursor, in ledger order.

Every change to a member, a programme version, a product, a revoked card, a staff
member (:mod:`ledger.staff`) or the member QR keyset (:mod:`ledger.qr_keys`) takes
the next number of the ``changes`` counter inside its write transaction;
:mod:`ledger.db` makes those numbers commit in order. A page is read in one
snapshot, so it holds a prefix of the changes up to some number, and the calling
terminal's high water read in that same snapshot says exactly which of its events
the balances include.

Because rows keep only their latest change number, a thing that changed twice since
the cursor appears once, with its newest state: the feed carries upserts, and
applying a page twice, or restarting from an old or empty cursor, gives the same
cache. A page carries only the newest keyset published after its cursor, if any: a keyset
replaces every one before it, and a till never goes back to a lower number.

A member merged into another (``merged_into``) is no longer sent: its cards were
revoked in favour of the member kept. Every page also carries the calling
terminal's enrolment card ranges (:mod:`ledger.card_ranges`).

A cursor is ``<ledger id>.<change number>``, documented as opaque. A cursor from
another ledger (a rebuilt database) or an empty one starts from the beginning.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from ledger import programmes
from ledger.card_ranges import terminal_ranges
from ledger.db import Tx
from ledger.errors import Invalid
from ledger.members import MEMBER_COLUMNS, member_dict
from ledger.products import product_change
from ledger.qr_keys import keyset_change
from ledger.staff import STAFF_COLUMNS, staff_change
from ledger.terminals import terminal_position
from sync.protocol import ChangesResponse

MEMBER_CHANGES_KEPT = 16_384
"""Member changes kept decoded per process (:func:`member_change`): about 30 MB."""


@lru_cache(maxsize=MEMBER_CHANGES_KEPT)
def member_change(row: tuple[Any, ...]) -> tuple[dict[str, Any], str]:
    """The feed's change for a ``MEMBER_COLUMNS`` row, and its JSON, kept for the
    next terminal.

    Every terminal pulls the same recent changes, so each changed member is sent
    once per terminal: decoding its stored row (its JSON columns) and encoding it
    again for each was most of a page's work. The key is the row itself, every
    column as read, so a change is reused only for exactly the same row (another
    database, a restore or a rebuild give other rows, or the same content). The dict
    is shared: nothing may change it.
    """
    change = {"type": "member", "member": member_dict(row)}
    return change, _encode(change)


def _encode(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def encode_cursor(ledger_id: str, change_no: int) -> str:
    return f"{ledger_id}.{change_no}"


def decode_cursor(ledger_id: str, cursor: str | None) -> int:
    """The change number after which to read; 0 for an empty or foreign cursor."""
    if not cursor:
        return 0
    owner, _, number = cursor.rpartition(".")
    if not owner or not number.isdigit():
        raise Invalid(f"{cursor!r} is not a cursor this ledger gave out.")
    return int(number) if owner == ledger_id else 0


def read_changes(
    tx: Tx, ledger_id: str, terminal_id: str, since: str | None, limit: int
) -> ChangesResponse:
    """One page of changes after ``since``; ``tx`` must be a snapshot."""
    return ChangesResponse.model_validate(changes_answer(tx, ledger_id, terminal_id, since, limit))


def changes_answer(
    tx: Tx, ledger_id: str, terminal_id: str, since: str | None, limit: int
) -> dict[str, Any]:
    """:func:`read_changes` as the plain JSON-ready mapping the HTTP answer sends.

    The server sends this without building the models first (a large page spent
    most of its time re-checking what it had just read); the till validates every
    answer against :class:`ChangesResponse`, and the tests hold the two equal.
    """
    changes, rest = _page(tx, ledger_id, terminal_id, since, limit)
    return {"changes": [change for change, _ in changes], **rest}


def changes_json(
    tx: Tx,
    ledger_id: str,
    terminal_id: str,
    since: str | None,
    limit: int,
    extra: dict[str, Any],
) -> bytes:
    """:func:`changes_answer` with the fields of ``extra`` added, as the JSON the HTTP
    answer sends: the same document as ``json.dumps`` of the mapping (the tests hold
    the two equal), with each member change's JSON made once (:func:`member_change`)."""
    changes, rest = _page(tx, ledger_id, terminal_id, since, limit)
    items = ",".join(encoded if encoded is not None else _encode(c) for c, encoded in changes)
    tail = _encode({**rest, **extra})
    return f'{{"changes":[{items}],{tail[1:]}'.encode()


def _page(
    tx: Tx, ledger_id: str, terminal_id: str, since: str | None, limit: int
) -> tuple[list[tuple[dict[str, Any], str | None]], dict[str, Any]]:
    """A page's changes (each with its JSON when kept) and its other fields."""
    after = decode_cursor(ledger_id, since)
    numbered: list[tuple[int, dict[str, Any], str | None]] = []
    for row in tx.query(
        f"SELECT {MEMBER_COLUMNS} FROM members WHERE change_no > ? AND merged_into IS NULL "
        "ORDER BY change_no LIMIT ?",
        (after, limit + 1),
    ):
        member, encoded = member_change(tuple(row))
        numbered.append((member["member"]["version"], member, encoded))
    for row in tx.query(
        f"SELECT {programmes.VERSION_COLUMNS} FROM programme_versions WHERE change_no > ? "
        "ORDER BY change_no LIMIT ?",
        (after, limit + 1),
    ):
        change = int(row[-1])
        version = {"type": "programme", **programmes.version_state(row), "change": change}
        numbered.append((change, version, None))
    for row in tx.query(
        "SELECT sku, name, price_minor, tags, active, change_no FROM products "
        "WHERE change_no > ? ORDER BY change_no LIMIT ?",
        (after, limit + 1),
    ):
        numbered.append((int(row[-1]), product_change(row), None))
    for card, member_id, revoked_at, change in tx.query(
        "SELECT card, member_id, revoked_at, change_no FROM revoked_cards WHERE change_no > ? "
        "ORDER BY change_no LIMIT ?",
        (after, limit + 1),
    ):
        numbered.append(
            (
                int(change),
                {
                    "type": "revoked_card",
                    "card": card,
                    "member_id": member_id,
                    "revoked_at": revoked_at,
                    "change": change,
                },
                None,
            )
        )
    for row in tx.query(
        f"SELECT {STAFF_COLUMNS} FROM staff WHERE change_no > ? ORDER BY change_no LIMIT ?",
        (after, limit + 1),
    ):
        numbered.append((int(row[-1]), staff_change(row), None))
    keyset = keyset_change(tx, after)  # only the newest: it supersedes every older one
    if keyset is not None:
        numbered.append((keyset[0], keyset[1], None))
    numbered.sort(key=lambda item: item[0])
    page = numbered[:limit]
    last = page[-1][0] if page else after
    high_water, last_hash = terminal_position(tx, terminal_id)
    return [(change, encoded) for _, change, encoded in page], {
        "next_cursor": encode_cursor(ledger_id, last),
        "high_water": high_water,
        "last_hash": last_hash,
        "has_more": len(numbered) > limit,
        "card_ranges": terminal_ranges(tx, terminal_id),
    }
