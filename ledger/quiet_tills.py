"""Tills that have gone quiet: silent (no contact) or lagging (events waiting there).

A till that cannot reach the ledger keeps selling (guarantee: it runs offline for
days), so head office learns of it only from what is missing. :func:`flag_quiet_tills`
records, for each terminal in use:

* ``till_silent`` when its last contact with the ledger (``terminal_reports``
  ``last_contact_at``; else its newest event's ``received_at``; else when it was
  added) is more than ``hours`` ago;
* ``till_lagging`` when its last report said its oldest event not yet confirmed was
  recorded more than ``hours`` ago (it is in touch, but something holds its queue:
  a parked event, a push that keeps failing).

One open anomaly per terminal and kind at a time: the anomaly's key is the episode's
start (the contact or the oldest pending event it is about), so running the check
again changes nothing while the till stays quiet, and a till that comes back and goes
quiet again later gets a new anomaly. Safe to run at any time and often: the
anomaly page runs it each time it is opened, and ``pos-ledger serve --settle-every``
after each scheduled settlement.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from ledger.anomalies import Anomaly, record_anomalies
from ledger.db import Tx
from loyalty.events import utc_now_iso

TILL_SILENT: Final = "till_silent"
TILL_LAGGING: Final = "till_lagging"
DEFAULT_QUIET_HOURS: Final = 24


def _parse(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _hours(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 3600:.0f} hours"


def flag_quiet_tills(tx: Tx, now: datetime, hours: int = DEFAULT_QUIET_HOURS) -> int:
    """Record the quiet tills as of ``now``; how many anomalies were new."""
    if hours < 1:
        raise ValueError("hours must be at least 1")
    limit = timedelta(hours=hours)
    rows = tx.query(
        "SELECT t.terminal_id, t.created_at, r.last_contact_at, r.oldest_pending_at, r.pending, "
        "(SELECT MAX(e.received_at) FROM events e WHERE e.terminal_id = t.terminal_id) "
        "FROM terminals t LEFT JOIN terminal_reports r ON r.terminal_id = t.terminal_id "
        "WHERE t.revoked_at IS NULL"
    )
    open_now = {
        (str(r[0]), str(r[1]))
        for r in tx.query(
            "SELECT terminal_id, kind FROM anomalies WHERE resolved_at IS NULL AND kind IN (?, ?)",
            (TILL_SILENT, TILL_LAGGING),
        )
    }
    found: list[Anomaly] = []
    for terminal_id, created_at, contact, oldest_pending, pending, last_event in rows:
        seen = _parse(contact) or _parse(last_event) or _parse(created_at)
        if seen is not None and now - seen > limit:
            found.append(
                Anomaly(
                    TILL_SILENT,
                    str(terminal_id),
                    f"silent-since-{seen.isoformat()}",
                    0,
                    None,
                    f"No contact for {_hours(now - seen)} (last {seen.isoformat()}).",
                )
            )
        oldest = _parse(oldest_pending)
        if oldest is not None and pending and now - oldest > limit:
            found.append(
                Anomaly(
                    TILL_LAGGING,
                    str(terminal_id),
                    f"lagging-since-{oldest.isoformat()}",
                    0,
                    None,
                    f"{int(pending)} events wait at the till; the oldest was recorded "
                    f"{_hours(now - oldest)} ago ({oldest.isoformat()}).",
                )
            )
    found = [a for a in found if (a.terminal_id, a.kind) not in open_now]
    if not found:
        return 0
    before = _count(tx)
    record_anomalies(tx, found, utc_now_iso())
    return _count(tx) - before


def _count(tx: Tx) -> int:
    row = tx.one("SELECT COUNT(*) FROM anomalies WHERE kind IN (?, ?)", (TILL_SILENT, TILL_LAGGING))
    return 0 if row is None else int(row[0])
