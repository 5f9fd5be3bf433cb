"""What each till last said about itself, and when the ledger last heard from it.

Every authenticated push and every changes-feed pull moves ``last_contact_at`` (the
ledger's clock); a push carrying a :class:`~sync.protocol.TillReport` also replaces
the report (``terminal_reports``, migration 10). Head office's terminals page reads
them (:func:`terminal_overview`).

Guarantees:

* Recording never fails the request that carried it: it runs in its own short
  transaction after the push's or pull's own work, outside the push gate, and a
  failure is logged and dropped (:func:`note_contact`, :func:`note_push`).
* ``pending`` and ``oldest_pending_at`` describe the till's queue as it stands once
  this push's answer is stored: the till reports the events it did not send in this
  request, and the ledger adds those of the request it did not apply (refused,
  conflicting, or after a stop), which stay pending at the till.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ledger.db import Database, Tx
from ledger.terminals import LEDGER_TERMINAL, list_terminals
from sync.protocol import TillReport

log = logging.getLogger(__name__)

APPLIED = frozenset({"accepted", "duplicate"})
"""Statuses of a push result after which the event is no longer pending at the till."""

_COLUMNS = (
    "terminal_id, store, software, programme_version, keyset_number, pending, "
    "oldest_pending_at, reported_at, last_contact_at"
)


def instant(moment: datetime) -> str:
    """``moment`` as the ledger writes instants: UTC ISO 8601 with milliseconds, ``Z``."""
    text = moment.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def parse_instant(text: str | None) -> datetime | None:
    """An ISO 8601 instant as an aware datetime (naive ones are read as UTC); None
    for None or text that is not an instant."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# ------------------------------------------------------------------------- recording


def remaining(
    report: TillReport, events: Sequence[Mapping[str, Any]], results: Sequence[Mapping[str, Any]]
) -> tuple[int, str | None]:
    """(pending, oldest_pending_at) at the till once this push's answer is stored:
    the report's figures plus the events of the push the ledger did not apply."""
    applied = {str(r.get("event_id")) for r in results if r.get("status") in APPLIED}
    left = [e for e in events if str(e.get("event_id")) not in applied]
    oldest = report.oldest_pending_at
    if left:
        first = left[0].get("recorded_at")
        if isinstance(first, str) and (oldest is None or first < oldest):
            oldest = first
    return report.pending + len(left), oldest


def record_contact(tx: Tx, terminal_id: str, now: str) -> None:
    """The terminal was heard from at ``now``; a terminal never reported before gets
    a row with an empty store and software until it reports."""
    tx.execute(
        f"INSERT INTO terminal_reports ({_COLUMNS}) "
        "VALUES (?, '', '', NULL, NULL, NULL, NULL, NULL, ?) "
        "ON CONFLICT (terminal_id) DO UPDATE SET last_contact_at = excluded.last_contact_at",
        (terminal_id, now),
    )


def record_report(
    tx: Tx, terminal_id: str, report: TillReport, pending: int, oldest: str | None, now: str
) -> None:
    """Replace the terminal's report (received at ``now``) and its last contact."""
    tx.execute(
        f"INSERT INTO terminal_reports ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (terminal_id) DO UPDATE SET store = excluded.store, "
        "software = excluded.software, programme_version = excluded.programme_version, "
        "keyset_number = excluded.keyset_number, pending = excluded.pending, "
        "oldest_pending_at = excluded.oldest_pending_at, reported_at = excluded.reported_at, "
        "last_contact_at = excluded.last_contact_at",
        (
            terminal_id,
            report.store,
            report.software,
            report.programme_version,
            report.keyset_number,
            pending,
            oldest,
            now,
            now,
        ),
    )


def note_contact(db: Database, terminal_id: str, moment: datetime) -> None:
    """:func:`record_contact` in its own transaction; a failure is logged, not raised."""
    try:
        with db.write() as tx:
            record_contact(tx, terminal_id, instant(moment))
    except Exception:  # the request it rides on must not fail for it
        log.warning("Could not note contact from terminal %s", terminal_id, exc_info=True)


def note_push(
    db: Database,
    terminal_id: str,
    report: TillReport | None,
    events: Sequence[Mapping[str, Any]],
    results: Sequence[Mapping[str, Any]],
    moment: datetime,
) -> None:
    """After a push committed: its report (if any) and the contact, in one short
    transaction of their own; a failure is logged, never raised."""
    try:
        with db.write() as tx:
            now = instant(moment)
            if report is None:
                record_contact(tx, terminal_id, now)
            else:
                pending, oldest = remaining(report, events, results)
                record_report(tx, terminal_id, report, pending, oldest, now)
    except Exception:  # the push is committed; the report is only information
        log.warning("Could not record the report of terminal %s", terminal_id, exc_info=True)


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class TerminalReport:
    """One row of ``terminal_reports``."""

    terminal_id: str
    store: str
    software: str
    programme_version: int | None
    keyset_number: int | None
    pending: int | None
    oldest_pending_at: str | None
    reported_at: str | None
    last_contact_at: str


def _optional_int(value: object) -> int | None:
    return None if value is None else int(str(value))


def reports(tx: Tx) -> dict[str, TerminalReport]:
    """Every terminal's row, by terminal id."""
    rows = tx.query(f"SELECT {_COLUMNS} FROM terminal_reports")
    return {
        str(r[0]): TerminalReport(
            terminal_id=str(r[0]),
            store=str(r[1]),
            software=str(r[2]),
            programme_version=_optional_int(r[3]),
            keyset_number=_optional_int(r[4]),
            pending=_optional_int(r[5]),
            oldest_pending_at=None if r[6] is None else str(r[6]),
            reported_at=None if r[7] is None else str(r[7]),
            last_contact_at=str(r[8]),
        )
        for r in rows
    }


@dataclass(frozen=True)
class TerminalOverview:
    """What the terminals page shows of one terminal, ages in seconds as of ``now``."""

    terminal_id: str
    store: str
    created_at: str
    revoked_at: str | None
    high_water: int
    report: TerminalReport | None
    contact_age: float | None
    """Seconds since the last contact (None: never heard from)."""
    oldest_pending_age: float | None
    """Seconds since the oldest event the till had not had confirmed was recorded."""
    keyset_age: float | None
    """Seconds since the keyset the till holds was published (None: unknown)."""

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def pending(self) -> int:
        return 0 if self.report is None or self.report.pending is None else self.report.pending


def _age(now: datetime, text: str | None) -> float | None:
    moment = parse_instant(text)
    return None if moment is None else max(0.0, (now - moment).total_seconds())


def keyset_published(tx: Tx) -> dict[int, str]:
    """When each member QR keyset was published, by number."""
    return {int(r[0]): str(r[1]) for r in tx.query("SELECT number, published_at FROM qr_keysets")}


def terminal_overview(
    tx: Tx, now: datetime, store_of: Callable[[str], str] | None = None
) -> list[TerminalOverview]:
    """Every till with its report and ages (not the ledger's own chain, which is no
    till). ``store_of(terminal_id)`` gives the store of a terminal that never reported
    one (the caller's rule, e.g. the store of its latest event)."""
    held = reports(tx)
    published = keyset_published(tx)
    overview = []
    for info in list_terminals(tx):
        if info.terminal_id == LEDGER_TERMINAL:
            continue
        report = held.get(info.terminal_id)
        store = report.store if report is not None and report.store else ""
        if not store and store_of is not None:
            store = store_of(info.terminal_id)
        keyset = None if report is None else report.keyset_number
        overview.append(
            TerminalOverview(
                terminal_id=info.terminal_id,
                store=store,
                created_at=info.created_at,
                revoked_at=info.revoked_at,
                high_water=info.high_water,
                report=report,
                contact_age=None if report is None else _age(now, report.last_contact_at),
                oldest_pending_age=None if report is None else _age(now, report.oldest_pending_at),
                keyset_age=None if keyset is None else _age(now, published.get(keyset)),
            )
        )
    return overview


SORTS: dict[str, str] = {
    "quiet": "longest without contact first",
    "behind": "most events waiting first",
    "id": "by terminal id",
}
"""The orders the terminals page offers (key: words)."""


def sorted_overview(rows: Sequence[TerminalOverview], how: str) -> list[TerminalOverview]:
    """``rows`` in the order ``how`` (a key of :data:`SORTS`; unknown: ``quiet``).
    ``quiet``: never heard from first, then the longest silence, then the most behind;
    ``behind``: the most pending, then the oldest pending event; revoked ones last in
    both, as nothing is expected of them."""
    if how == "id":
        return sorted(rows, key=lambda r: r.terminal_id)
    never = float("inf")
    if how == "behind":
        return sorted(
            rows,
            key=lambda r: (r.revoked, -r.pending, -(r.oldest_pending_age or 0.0), r.terminal_id),
        )
    return sorted(
        rows,
        key=lambda r: (
            r.revoked,
            -(never if r.contact_age is None else r.contact_age),
            -r.pending,
            r.terminal_id,
        ),
    )
