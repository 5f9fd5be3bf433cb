"""The ledger's epoch: which history of the ledger a till is talking to.

A ledger restored from a backup, or failed over to a replica that lagged, has lost
changes and events that tills already saw confirmed. Its change numbers will be
given out again to other changes, and the high water of a till whose events were
lost is lower than the till knows. A till that went on trusting its cursor and its
confirmed mark would skip changes and never send the lost events again.

So the ledger names its history: the ``epoch`` (a random id in ``meta``; a ledger
that never started one is in its first epoch, named by its ledger id). Every answer
to a till carries it, and every changes cursor includes it. A new epoch begins:

* when an operator says so after restoring (``pos-ledger epoch new --reason``), and
* by itself, when a till shows that the ledger's data is older than what the till has
  seen: it says (header ``Till-Confirmed``) that the ledger confirmed more of its
  events than the ledger now holds, or it pulls with a cursor of this epoch beyond
  the last change the ledger has.

A till that sees a new epoch resets its cursor and the versions it cached, and sends
again every event after the ledger's high water (its journal is complete and pushes
are idempotent), so the ledger heals itself (docs/RELIABILITY.md, "Restoring the
ledger"). Epoch ids are random, never counted: a counter restored from a backup
would give the same number twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from ledger.audit import record_audit
from ledger.db import Database, Tx
from ledger.terminals import terminal_position

EPOCH_KEY = "epoch"


def current_epoch(tx: Tx, ledger_id: str) -> str:
    """This ledger's epoch (its ledger id until a first new epoch began)."""
    row = tx.one("SELECT value FROM meta WHERE key = ?", (EPOCH_KEY,))
    return ledger_id if row is None else str(row[0])


def start_new_epoch(
    db: Database, ledger_id: str, seen: str, actor: str, reason: str, detail: dict[str, object]
) -> str:
    """Begin a new epoch unless one began since ``seen`` was read; the epoch now.

    Two tills noticing the same loss at once begin one new epoch, not two: the
    change is a compare-and-set on the epoch read before. Written to the audit log.
    """
    with db.write() as tx:
        now = current_epoch(tx, ledger_id)
        if now != seen:
            return now
        epoch = uuid.uuid4().hex[:12]
        tx.execute("DELETE FROM meta WHERE key = ?", (EPOCH_KEY,))
        tx.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (EPOCH_KEY, epoch))
        record_audit(tx, actor, "epoch.new", epoch, {"previous": seen, "reason": reason, **detail})
        return epoch


def cursor_owner(ledger_id: str, epoch: str) -> str:
    """What a changes cursor of this ledger and epoch starts with."""
    return f"{ledger_id}.{epoch}"


def cursor_number(since: str | None) -> tuple[str, int] | None:
    """A cursor's owner and change number, or None when it has no number."""
    if not since:
        return None
    owner, _, number = since.rpartition(".")
    return (owner, int(number)) if owner and number.isdigit() else None


def upgrade_cursor(ledger_id: str, epoch: str, since: str | None) -> str | None:
    """A cursor given out before epochs (``<ledger id>.<n>``) is of the first epoch:
    read on in that epoch rather than pull everything again."""
    parsed = cursor_number(since)
    if parsed is not None and parsed[0] == ledger_id and epoch == ledger_id:
        return f"{cursor_owner(ledger_id, epoch)}.{parsed[1]}"
    return since


def last_change(tx: Tx) -> int:
    row = tx.one("SELECT value FROM counters WHERE name = 'changes'")
    return 0 if row is None else int(row[0])


@dataclass(frozen=True)
class EpochView:
    """What deciding a till's epoch needs, read in the snapshot that authenticated it."""

    epoch: str
    high_water: int
    """The calling terminal's."""
    last_change: int


def epoch_view(tx: Tx, ledger_id: str, terminal_id: str) -> EpochView:
    high_water, _ = terminal_position(tx, terminal_id)
    return EpochView(current_epoch(tx, ledger_id), high_water, last_change(tx))


def observed_epoch(
    db: Database,
    ledger_id: str,
    terminal_id: str,
    view: EpochView,
    till_epoch: str | None,
    till_confirmed: str | None,
    since: str | None = None,
) -> str:
    """The epoch to answer a till with, after checking what it says it has seen.

    A till of this epoch that holds more of its events confirmed than the ledger
    now has, or that pulls with a cursor of this epoch beyond the ledger's last
    change, shows that the ledger's data is older than what tills have seen: a new
    epoch begins. A till still on an older epoch is only told the current one.
    """
    epoch = view.epoch
    if till_epoch is not None and till_epoch != epoch:
        return epoch
    confirmed = int(till_confirmed) if till_confirmed and till_confirmed.isdigit() else 0
    cursor = cursor_number(upgrade_cursor(ledger_id, epoch, since))
    beyond = cursor is not None and cursor[0] == cursor_owner(ledger_id, epoch)
    if confirmed > view.high_water:
        detail: dict[str, object] = {"terminal": terminal_id, "till_confirmed": confirmed}
        detail["ledger_high_water"] = view.high_water
        reason = f"terminal {terminal_id} holds events up to {confirmed} confirmed"
    elif beyond and cursor is not None and cursor[1] > view.last_change:
        detail = {"terminal": terminal_id, "cursor": cursor[1], "last_change": view.last_change}
        reason = (
            f"terminal {terminal_id} pulled past the last change ({cursor[1]} > {view.last_change})"
        )
    else:
        return epoch
    return start_new_epoch(
        db, ledger_id, epoch, "ledger", f"data older than seen: {reason}", detail
    )
