"""Receipt numbers that never repeat, even after events were lost in a recovery.

A receipt number is the terminal id and a number (``OSLO01-T1-000042``); the number is
the event's sequence number, shifted after each recovery that lost events. The
ledger's chain makes the till continue the sequence right after the ledger's last
event, so a recovery that lost events ``4..5`` (recorded, printed, never synced)
numbers the next event 4 again; its receipt is numbered after the highest receipt the
till's identity knew of (6), so a customer's receipt 4 is never another sale's.

The shifts are kept in the database's settings (:data:`RECEIPT_SHIFTS`) as segments
``[from_seq, shift]``: events from ``from_seq`` on are numbered ``seq + shift``. The
numbers a recovery skipped belong to no event of this till any more.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from pos_client.store.settings import Settings

RECEIPT_SHIFTS = "receipt_shifts"


@dataclass(frozen=True)
class ReceiptNumbering:
    """Sequence numbers to receipt numbers and back."""

    shifts: tuple[tuple[int, int], ...] = ()
    """``(from_seq, shift)`` segments, ascending, each shift at least the one before."""

    def number_of(self, seq: int) -> int:
        shift = 0
        for from_seq, segment_shift in self.shifts:
            if seq >= from_seq:
                shift = segment_shift
        return seq + shift

    def seq_of(self, number: int) -> int | None:
        """The sequence number printed as ``number``; None for a number a recovery
        skipped (its event was lost)."""
        starts = [(1, 0), *self.shifts]
        for index, (from_seq, shift) in enumerate(starts):
            end = starts[index + 1][0] if index + 1 < len(starts) else None
            seq = number - shift
            if seq >= from_seq and (end is None or seq < end):
                return seq
        return None

    def continued(self, next_seq: int, next_number: int) -> ReceiptNumbering:
        """These shifts, with event ``next_seq`` on numbered from ``next_number``."""
        before = ReceiptNumbering(tuple((s, d) for s, d in self.shifts if s < next_seq))
        shift = next_number - next_seq
        if shift <= before.number_of(next_seq) - next_seq:
            return before
        return ReceiptNumbering((*before.shifts, (next_seq, shift)))

    def encoded(self) -> str:
        return json.dumps([list(s) for s in self.shifts])


NO_SHIFT = ReceiptNumbering()


def load_numbering(settings: Settings) -> ReceiptNumbering:
    text = settings.get(RECEIPT_SHIFTS)
    if not text:
        return NO_SHIFT
    return ReceiptNumbering(tuple((int(s), int(d)) for s, d in json.loads(text)))
