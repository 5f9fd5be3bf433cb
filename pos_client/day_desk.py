"""The store manager's desk at the till: the store's day and the sync queue.

:class:`DayDesk` is the part of :class:`pos_client.till.Till` that reports a
business day (:meth:`DayDesk.day_report`), prints it, closes it, shows the sync
queue and records a manager's decision about a parked event. Nothing here writes to
the journal: a close goes to ``day_closes``, a decision to ``parked_resolutions``
(migration m012), each in one transaction, and a refused request records nothing.

A parked event a manager *retries* is sent again as it is; one they *void* is sent
with a :class:`sync.protocol.Void`, so the ledger keeps it in the till's chain,
applies nothing of it and lists it for head office, and the stream goes on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from devices.escpos import ReceiptLines
from loyalty.day_tally import tally
from loyalty.errors import LoyaltyError
from loyalty.programme import ProgrammeVersion
from loyalty.staff import check_staff_id
from pos_client.approvals import Approval, approval_fields
from pos_client.day_report import DayClose, DayReport, cashier_days
from pos_client.errors import ManagerActionRefused, NotAManager, NotSignedIn, UnknownStaff
from pos_client.store.day import (
    DayCloseRow,
    day_close,
    events_of_day,
    record_day_close,
)
from pos_client.store.parked import ParkedRow, Resolution, resolve
from pos_client.store.staff import StaffStore
from pos_client.store.transaction import read_transaction
from pos_client.sync_queue import QueueView, check_voidable, queue_view
from pos_client.views import ProgrammeInfo, TillStatus

if TYPE_CHECKING:
    from pos_client.config import TillConfig
    from pos_client.ledger_link import LedgerLink
    from pos_client.receipt_printing import ReceiptPrinter
    from pos_client.store import LocalStore

NO_PRINTER = "No printer configured: the report is shown on screen"
PRINTED = "Printed"
PRINTER_BUSY = "The report is waiting for the printer; it prints when the printer is ready."
MAX_NOTE = 1000
"""The longest note a void carries (``sync.protocol.Void.note``)."""


class DayDesk:
    """The store's day and the sync queue (see the module doc)."""

    config: TillConfig
    store: LocalStore
    clock: Callable[[], datetime]
    operator: str | None
    link: LedgerLink | None
    printer: ReceiptPrinter | None
    _lock: threading.RLock

    if TYPE_CHECKING:

        def version(self, at: datetime | None = None) -> ProgrammeVersion: ...
        @property
        def programme_info(self) -> ProgrammeInfo: ...
        def status(self) -> TillStatus: ...

    # --- the day -----------------------------------------------------------------------

    def day_report(self, day: date | None = None) -> DayReport:
        """Business day ``day`` (default: today by the till's clock) from this till's
        journal: a block per cashier, the totals, the events the ledger has not
        confirmed yet, and the close if the day was closed."""
        day = day or self.clock().date()
        with read_transaction(self.store.conn) as conn:
            events = events_of_day(conn, day)
            names = StaffStore(conn).names()
            stored = day_close(conn, day)
            confirmed = self.store.confirmed_seq
        closed = None
        if stored is not None:
            closed = DayClose(
                closed_at=stored.closed_at,
                closed_by=stored.closed_by,
                closed_by_name=names.get(stored.closed_by, stored.closed_by),
                approval=stored.approval,
            )
        return DayReport(
            day=day,
            store_name=self.config.store_name,
            store_id=self.config.store_id,
            terminal_id=self.config.terminal_id,
            cashiers=cashier_days(events, names),
            totals=tally(events, "", "All cashiers"),
            events=len(events),
            unsynced=sum(1 for e in events if e.seq > confirmed),
            closed=closed,
            info=self.programme_info,
        )

    def print_day_report(self, report: DayReport) -> str:
        """Print ``report`` on the receipt printer, after any receipts queued; answer
        what the screen should say (printed, no printer, or the printer's error)."""
        if self.printer is None:
            return NO_PRINTER
        result = self.printer.print_lines(ReceiptLines(lines=report.text_lines()))
        if result is None:
            return PRINTER_BUSY
        return PRINTED if result.ok else str(result.error)

    def close_day(self, day: date | None = None, approval: Approval | None = None) -> DayReport:
        """Close business day ``day`` (default today) at this till, by the operator
        signed in, and answer the report as closed.

        Raises NotSignedIn, ManagerActionRefused (a day not begun, or closed already)
        or ApprovalRequired (events of the day not yet at the ledger, and the
        programme wants a manager for that); each records nothing."""
        with self._lock:
            operator = self.operator
            if not operator:
                raise NotSignedIn("Sign in to close the day: the close names who closed it.")
            today = self.clock().date()
            day = day or today
            if day > today:
                raise ManagerActionRefused(
                    f"{day.isoformat()} has not begun yet: close today or an earlier day."
                )
            report = self.day_report(day)
            if report.closed is not None:
                raise _closed_already(report.closed, day)
            policy = self.version().programme.approvals
            fields = approval_fields(policy, "close_day", report.unsynced, approval)
            names = StaffStore(self.store.conn).names()
            closed = DayClose(
                closed_at=_utc(self.clock()),
                closed_by=operator,
                closed_by_name=names.get(operator, operator),
                approval=fields.get("approval"),
            )
            report = replace(report, closed=closed)
            row = DayCloseRow(
                day, closed.closed_at, operator, fields.get("approval"), report.to_json()
            )
            if not record_day_close(self.store.conn, row):
                stored = self.day_report(day).closed
                assert stored is not None
                raise _closed_already(stored, day)
            return report

    # --- the sync queue ------------------------------------------------------------------

    def sync_queue(self) -> QueueView:
        """Pending events and their age, the ledger link's state, and the parked
        events with the ledger's reasons and the decisions made about them."""
        return queue_view(self.store, self.status())

    def retry_parked(self, seq: int, manager: str) -> None:
        """Send parked event ``seq`` again as it is (the ledger may have been fixed);
        records the decision. Raises ManagerActionRefused for an event not parked."""
        manager = self._deciding_manager(manager)

        def decide(row: ParkedRow | None) -> Resolution:
            found = _parked(row, seq)
            return Resolution(seq, found.event_id, "retry", manager, "", _utc(self.clock()))

        resolve(self.store.conn, seq, decide)
        if self.link is not None:
            self.link.trigger()

    def resolve_parked(self, seq: int, note: str, manager: str) -> None:
        """Void parked event ``seq`` with ``note`` (what was decided and why): it is
        sent with a Void, the ledger keeps it without applying it, and the events
        after it go on. Only an event the ledger refused or found malformed can be
        voided; a conflict, gap or fork needs head office. Records nothing when
        refused (ManagerActionRefused, or a staff error for ``manager``)."""
        note = note.strip()
        if not note:
            raise ManagerActionRefused(
                "Say in a note what was decided and why: a void needs one. Nothing was recorded."
            )
        if len(note) > MAX_NOTE:
            raise ManagerActionRefused(f"The note is longer than {MAX_NOTE} characters.")
        manager = self._deciding_manager(manager)

        def decide(row: ParkedRow | None) -> Resolution:
            found = _parked(row, seq)
            check_voidable(found)
            return Resolution(seq, found.event_id, "void", manager, note, _utc(self.clock()))

        resolve(self.store.conn, seq, decide)
        if self.link is not None:
            self.link.trigger()

    def _deciding_manager(self, manager: str) -> str:
        """``manager`` when it names a manager this till knows (any well-formed staff
        number before the ledger has sent staff); else a StaffRefused error."""
        try:
            manager = check_staff_id(manager.strip())
        except LoyaltyError as error:
            raise UnknownStaff(error.message) from None
        staff = StaffStore(self.store.conn)
        with read_transaction(self.store.conn):
            if not staff.everyone():
                return manager
            person = staff.find(manager)
        role = person.role if person is not None and person.active else None
        if role is None:
            raise UnknownStaff(f"No active staff member has the number {manager}.")
        if role != "manager":
            raise NotAManager(f"{manager} is not a manager: a manager must decide this.")
        return manager


def _parked(row: ParkedRow | None, seq: int) -> ParkedRow:
    if row is None:
        raise ManagerActionRefused(
            f"Event {seq} is not parked at this till (the sync queue lists those that "
            "are). Nothing was recorded."
        )
    return row


def _closed_already(closed: DayClose, day: date) -> ManagerActionRefused:
    who = closed.closed_by_name or closed.closed_by
    return ManagerActionRefused(
        f"{day.isoformat()} was already closed at {closed.closed_at} by {who}. "
        "Nothing was recorded."
    )


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
