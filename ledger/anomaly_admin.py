"""``pos-ledger anomalies``: what a manager reviews, and the record of their decision.

Every anomaly the ledger recorded (overdrafts, unknown or revoked cards, computation
mismatches, voucher and offer overuse, caps, stream stops — gap, fork, conflict,
malformed —, large adjustments, unverified approvals, duplicate members, voided
events, ...) is listed by its stable short id (:func:`ledger.anomalies.anomaly_id`).
Resolving one marks it resolved with the reason and who decided; it is never
deleted, and the decision is written to the audit log (:mod:`ledger.audit`) in the
same transaction.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ledger.audit import record_audit
from ledger.db import Tx
from ledger.errors import AdminError
from loyalty.events import utc_now_iso

MAX_REASON = 1000


@dataclass(frozen=True)
class AnomalyRow:
    anomaly_id: str
    kind: str
    terminal_id: str
    seq: int
    member_id: str | None
    detail: str
    created_at: str
    resolved_at: str | None
    resolved_by: str | None
    resolution: str | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


_COLUMNS = (
    "anomaly_id, kind, terminal_id, seq, member_id, detail, created_at, resolved_at, "
    "resolved_by, resolution"
)


def list_anomalies(
    tx: Tx, *, resolved_too: bool = False, kind: str | None = None
) -> list[AnomalyRow]:
    """Open anomalies (every one with ``resolved_too``), oldest first."""
    where, params = ["1 = 1"], []
    if not resolved_too:
        where.append("resolved_at IS NULL")
    if kind is not None:
        where.append("kind = ?")
        params.append(kind)
    rows = tx.query(
        f"SELECT {_COLUMNS} FROM anomalies WHERE {' AND '.join(where)} "
        "ORDER BY created_at, terminal_id, seq, kind",
        params,
    )
    return [
        AnomalyRow(
            str(r[0]),
            str(r[1]),
            str(r[2]),
            int(r[3]),
            None if r[4] is None else str(r[4]),
            str(r[5]),
            str(r[6]),
            *(None if v is None else str(v) for v in r[7:]),
        )
        for r in rows
    ]


def resolve_anomaly(tx: Tx, anomaly_id: str, reason: str, by: str) -> AnomalyRow:
    """Mark one anomaly resolved; :class:`AdminError` for an unknown or resolved id or an
    empty reason (nothing is changed then)."""
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise AdminError(f"Give the reason in 1 to {MAX_REASON} characters (--reason).")
    if not by.strip():
        raise AdminError("Say who resolved it (--by).")
    rows = tx.query(
        "SELECT resolved_at, resolved_by, kind, terminal_id, seq FROM anomalies "
        "WHERE anomaly_id = ?",
        (anomaly_id,),
    )
    if not rows:
        raise AdminError(f"No anomaly has the id {anomaly_id!r} (see pos-ledger anomalies).")
    if rows[0][0] is not None:
        raise AdminError(
            f"Anomaly {anomaly_id} was already resolved on {rows[0][0]} by {rows[0][1]}."
        )
    tx.execute(
        "UPDATE anomalies SET resolved_at = ?, resolved_by = ?, resolution = ? "
        "WHERE anomaly_id = ?",
        (utc_now_iso(), by, reason, anomaly_id),
    )
    _, _, kind, terminal_id, seq = rows[0]
    record_audit(
        tx,
        by,
        "anomaly.resolve",
        anomaly_id,
        {"kind": kind, "terminal_id": terminal_id, "seq": int(seq), "reason": reason},
    )
    return next(a for a in list_anomalies(tx, resolved_too=True) if a.anomaly_id == anomaly_id)
