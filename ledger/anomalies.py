"""What the ledger records for a manager to review, and how it stores it.

An anomaly names the event it is about (terminal, event id, sequence number), the
member (None for a stream stop), a kind (``overdraft``, ``voucher_overuse``, ...) and
a detail in words. Most are found while an event is applied and name that event;
some name another: when a voucher used at two offline tills reaches the ledger, the
use that happened later is the overuse, whichever arrived first. The ``anomalies``
table keeps each (kind, terminal, event) once; a member's ``flag_reasons`` are the
kinds of the anomalies about them.

Each anomaly has a stable short id (:func:`anomaly_id`, a digest of its key), by which
a manager resolves it (:mod:`ledger.anomaly_admin`); a resolved anomaly is kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from ledger.db import Tx


@dataclass(frozen=True)
class Anomaly:
    kind: str
    terminal_id: str
    event_id: str
    seq: int
    member_id: str | None
    detail: str


ANOMALY_ID_LENGTH = 10


def anomaly_id(kind: str, terminal_id: str, event_id: str) -> str:
    """The short id of the anomaly ``(kind, terminal, event)``: the same every time,
    so a manager can name it in ``pos-ledger anomalies resolve``."""
    key = "\x1f".join((kind, terminal_id, event_id)).encode("utf-8")
    return hashlib.sha256(key).hexdigest()[:ANOMALY_ID_LENGTH]


def record_anomalies(tx: Tx, anomalies: Sequence[Anomaly], now: str) -> None:
    """Store ``anomalies`` (a kind already recorded for an event is kept as it was)."""
    tx.executemany(
        "INSERT INTO anomalies (kind, terminal_id, event_id, seq, member_id, detail, "
        "created_at, anomaly_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [
            (
                a.kind,
                a.terminal_id,
                a.event_id,
                a.seq,
                a.member_id,
                a.detail,
                now,
                anomaly_id(a.kind, a.terminal_id, a.event_id),
            )
            for a in anomalies
        ],
    )
