"""The chain's admin audit log: what an administrator did at the ledger, and who.

Every admin decision that is not an event of a till (an anomaly resolved, a
terminal's token rotated, two members merged) writes one row of ``audit`` in the
same transaction as the change itself, so the log and the data never disagree. Rows
are numbered in order (the ``audit`` counter) and never changed or deleted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ledger.db import Tx
from loyalty.canonical import canonical_json
from loyalty.events import utc_now_iso


@dataclass(frozen=True)
class AuditEntry:
    audit_id: int
    at: str
    actor: str
    action: str
    """e.g. ``anomaly.resolve``, ``terminal.rotate``, ``member.merge``."""
    subject: str
    detail: dict[str, Any]


def record_audit(tx: Tx, actor: str, action: str, subject: str, detail: dict[str, Any]) -> int:
    """Append one entry; its number."""
    number = tx.allocate("audit", 1)
    tx.execute(
        "INSERT INTO audit (audit_id, at, actor, action, subject, detail) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (number, utc_now_iso(), actor, action, subject, canonical_json(detail)),
    )
    return number


def audit_entries(tx: Tx, limit: int = 100) -> list[AuditEntry]:
    """The latest entries, newest first."""
    rows = tx.query(
        "SELECT audit_id, at, actor, action, subject, detail FROM audit "
        "ORDER BY audit_id DESC LIMIT ?",
        (limit,),
    )
    return [
        AuditEntry(int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), json.loads(str(r[5])))
        for r in rows
    ]
