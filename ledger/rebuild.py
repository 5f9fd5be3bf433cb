"""The derived tables, made again from the events: compared (``verify``) or written
(``pos-ledger rebuild``).

:func:`ledger.replay.replay` gives every member's accounts as the events give them;
:func:`replayed_tables` lays that out as the rows each derived table would hold and
:func:`stored_tables` reads the rows it does hold, in the same form, so
:func:`differences` can name what differs, table by table. :func:`rebuild` empties
the derived tables and writes the replay into them in one write transaction (all or
nothing); a member whose state changes gets a new change number, so the tills learn
of it through the changes feed, and a member whose state is the same keeps the one
it had.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from ledger.db import Database, Row, Tx
from ledger.lot_keeping import day_text
from ledger.member_book import DERIVED_COLUMNS, write_members
from ledger.replay import Replayed, replay

Tables = dict[str, set[tuple[object, ...]]]

DERIVED_TABLES = (
    "lots",
    "lot_moves",
    "tier_counts",
    "tier_grants",
    "vouchers",
    "single_uses",
    "cap_awards",
    "accruals",
)
"""Tables made entirely from the events (with ``members``' :data:`DERIVED_COLUMNS`)."""

_COMPARED_COLUMNS = tuple(c for c in DERIVED_COLUMNS if c != "change_no")


def stored_tables(tx: Tx) -> Tables:
    """The derived rows as stored (lots that hold nothing left out: an emptied lot
    keeps its row so a refund can restore it)."""
    queries = {
        "lots": "SELECT member_id, wallet, last_day, remaining FROM lots WHERE remaining <> 0",
        "lot_moves": "SELECT event_id, member_id, wallet, last_day, kind, amount FROM lot_moves",
        "tier_counts": "SELECT member_id, period, counted FROM tier_counts",
        "tier_grants": "SELECT member_id, level, period, held_until FROM tier_grants",
        "vouchers": "SELECT number, member_id, settlement_id, value_minor, currency, "
        "min_spend_minor, valid_until, issued_by FROM vouchers",
        "single_uses": "SELECT item, event_id, member_id, business_at, terminal_id, seq, "
        "discount_minor, accepted FROM single_uses",
        "cap_awards": "SELECT member_id, cap, event_id, business_at, reversed_by FROM cap_awards",
        "accruals": "SELECT member_id, settlement_id, period, basis FROM accruals",
        "members": f"SELECT member_id, {', '.join(_COMPARED_COLUMNS)} FROM members",
    }
    tables = {name: {_plain(row) for row in tx.query(sql)} for name, sql in queries.items()}
    tables["accruals"] = {(m, s, p, _json(b)) for m, s, p, b in tables["accruals"]}
    return tables


def replayed_tables(replayed: Replayed) -> Tables:
    """The derived rows the replay gives, in the form of :func:`stored_tables`."""
    accounts = replayed.accounts
    lots = accounts.lots
    tables: Tables = {name: set() for name in (*DERIVED_TABLES, "members")}
    for (member_id, wallet), held in lots.wallets.items():
        tables["lots"] |= {(member_id, wallet, day_text(d), n) for d, n in held.lots.items() if n}
    merged: dict[tuple[object, ...], int] = {}
    for move in lots.moves:
        place = (move.event_id, move.member_id, move.wallet, day_text(move.day), move.kind)
        merged[place] = merged.get(place, 0) + move.amount
    tables["lot_moves"] = {(*place, n) for place, n in merged.items() if n}
    for member_id, state in accounts.tiers.states.items():
        tables["tier_counts"] |= {(member_id, w, n) for w, n in state.counts.items()}
        tables["tier_grants"] |= {
            (member_id, level, w, day.isoformat()) for (level, w), day in state.grants.items()
        }
    tables["vouchers"] = {v.row() for v in accounts.vouchers.vouchers.values()}
    uses = accounts.uses
    for item, known in uses.uses.items():
        accepted = uses.accepted.get(item, set())
        tables["single_uses"] |= {u.row(u.event_id in accepted) for u in known}
    for (member_id, cap_id), awards in accounts.caps.awards.items():
        tables["cap_awards"] |= {
            (member_id, cap_id, a.event_id, a.at.isoformat(), a.reversed_by) for a in awards
        }
    tables["accruals"] = {
        (m, s, p, _json(json.dumps(b))) for (m, s, p), b in accounts.accruals.basis.items()
    }
    for member in replayed.book.by_id.values():
        derived = member.derived()
        tables["members"].add(_plain((member.member_id, *(derived[c] for c in _COMPARED_COLUMNS))))
    return tables


def differences(stored: Tables, replayed: Tables, shown: int = 3) -> list[str]:
    """What differs, table by table, with a few rows each way."""
    found = []
    for name in sorted(set(stored) | set(replayed)):
        have, want = stored.get(name, set()), replayed.get(name, set())
        extra, missing = sorted(have - want, key=repr), sorted(want - have, key=repr)
        if extra or missing:
            found.append(
                f"{name}: {len(extra)} stored rows the events do not give "
                f"{_rows(extra, shown)}, {len(missing)} rows they give that are not stored "
                f"{_rows(missing, shown)}"
            )
    return found


@dataclass(frozen=True)
class RebuildReport:
    events: int
    members_changed: int
    differences: list[str]
    """What the tables held that the rebuild replaced (empty: they were right)."""


def rebuild(db: Database) -> RebuildReport:
    """Empty the derived tables and write them again from the events (see the module
    doc), in one write transaction."""
    with db.write() as tx:
        return rebuild_in(tx)


def rebuild_in(tx: Tx) -> RebuildReport:
    """:func:`rebuild` inside a write transaction the caller holds."""
    replayed = replay(tx)
    before = stored_tables(tx)
    found = differences(before, replayed_tables(replayed))
    for table in DERIVED_TABLES:
        tx.execute(f"DELETE FROM {table}")
    replayed.accounts.write(tx)
    stored_members = {row[0]: row for row in before["members"]}
    changed = []
    for member in replayed.book.by_id.values():
        derived = member.derived()
        row = _plain((member.member_id, *(derived[c] for c in _COMPARED_COLUMNS)))
        if stored_members.get(member.member_id) != row:
            changed.append(member)
    if changed:
        change = tx.allocate("changes", len(changed))
        for i, member in enumerate(sorted(changed, key=lambda m: m.member_id)):
            member.version = change + i
        write_members(tx, changed, insert=False)
    return RebuildReport(replayed.events, len(changed), found)


def _plain(row: Row | Iterable[object]) -> tuple[object, ...]:
    """A row with numbers as ints (the backends return them as they like)."""
    return tuple(int(v) if isinstance(v, bool) else v for v in row)


def _json(text: object) -> str:
    """JSON text in one canonical spelling."""
    return json.dumps(json.loads(str(text)), sort_keys=True)


def _rows(rows: list[tuple[object, ...]], shown: int) -> str:
    if not rows:
        return ""
    more = f" and {len(rows) - shown} more" if len(rows) > shown else ""
    return "(" + "; ".join(repr(r) for r in rows[:shown]) + more + ")"
