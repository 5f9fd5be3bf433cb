"""Events a manager voided at the till: kept in the chain, never applied.

A till parks an event the ledger stopped its stream at; a manager may decide it
must not count and send it again named in the push's ``voids``
(:class:`sync.protocol.Void`). The ledger then stores it in the terminal's chain
exactly as sent (its hash is recomputed and its link to the previous event checked,
so the chain stays whole and verifiable) but checks none of its fields and applies
nothing of it: its row has ``kind`` and ``flags`` ``voided``, no member, no
postings, and the neutral values below for what it may lack. The anomaly ``voided``
names the manager and the note, and the high water moves past it, so the stream
goes on. ``verify``, ``rebuild`` and every query by kind or member pass over it.
A void naming an event that is not in the batch (same id and seq) is ignored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

VOIDED = "voided"
"""The ``kind`` and ``flags`` of a voided event's row."""


def voids_of(
    events: Sequence[Mapping[str, Any]], voids: Sequence[Mapping[str, Any]]
) -> dict[str, Mapping[str, Any]]:
    """The voids that name an event of the batch (same ``event_id`` and ``seq``), by
    event id."""
    sent = {(str(e.get("event_id")), e.get("seq")) for e in events}
    return {str(v["event_id"]): v for v in voids if (str(v["event_id"]), v["seq"]) in sent}


def hash_matches(document: str, digest: str) -> bool:
    return hashlib.sha256(document.encode("ascii")).hexdigest() == digest


def voided_row(
    content: Mapping[str, Any], digest: str, document: str, ledger_seq: int, now: str
) -> tuple[object, ...]:
    """The ``events`` row (:data:`ledger.event_store.EVENT_COLUMNS`) of a voided event."""
    recorded = (
        str(content.get("recorded_at", "")) if isinstance(content.get("recorded_at"), str) else ""
    )
    return (
        content["event_id"],
        content["terminal_id"],
        content["seq"],
        VOIDED,
        str(content.get("card", ""))[:64],
        "",
        recorded,
        recorded or now,
        None,
        str(content.get("prev_hash", "")),
        digest,
        "{}",
        document,
        ledger_seq,
        VOIDED,
        now,
    )


def void_detail(void: Mapping[str, Any]) -> str:
    return f"voided by manager {void['manager']} at {void['decided_at']}: {void['note']}"
