"""A person at the ledger adjusts a member's balance, with a reason (who may is the
caller's rule: the web pages let head office, and a store manager for the members who
shop at their stores; see :mod:`ledger.web.page_members`).

The adjustment is an ``adjust`` event in the ledger's own chain (:mod:`ledger.own_events`,
terminal ``LEDGER``), applied to the member's accounts like any event
(:func:`ledger.own_work.apply_ledger_events`), so balances, ``verify``, ``rebuild`` and
the changes feed count it as they count a till's adjustment. The event names the
person (``operator``, e.g. ``web:hanne``) and carries the reason code ``head_office``
and their words (``note``). One larger than the programme's
``[approvals] flag_adjust_above`` is also a ``large_adjustment`` anomaly, as a till's
would be, so a second person sees it. A withdrawal never takes a wallet below zero.
The audit entry is written in the same transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from ledger import programmes
from ledger.accounts import Accounts
from ledger.anomalies import Anomaly, record_anomalies
from ledger.audit import record_audit
from ledger.db import Tx
from ledger.errors import AdminError
from ledger.member_book import MemberBook
from ledger.own_events import OwnEvent
from ledger.own_work import apply_ledger_events
from ledger.terminals import LEDGER_TERMINAL
from loyalty.events import EventKind, utc_now_iso

REASON_CODE: Final = "head_office"
MAX_NOTE: Final = 1000
MAX_UNITS: Final = 10_000_000


class AdjustmentRefused(AdminError):
    """An adjustment refused for its input; ``field`` names the input at fault
    (``units``, ``note`` or ``wallet``)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field


@dataclass(frozen=True)
class Adjusted:
    event_id: str
    balance_after: int
    """The wallet's balance after the adjustment."""
    flagged: bool
    """True when it was large enough to be a ``large_adjustment`` anomaly."""


def adjust_member(
    tx: Tx, member_id: str, wallet: str, units: int, note: str, actor: str, now: datetime
) -> Adjusted:
    """Post ``units`` (positive or negative) to the member's ``wallet``;
    :class:`AdjustmentRefused` naming the field (nothing recorded) for a zero or too
    large amount, an empty or too long note, a wallet the programme does not have, or
    a withdrawal larger than the wallet holds; :class:`AdminError` for an unknown or
    merged member."""
    note = " ".join(note.split())
    if units == 0 or abs(units) > MAX_UNITS:
        raise AdjustmentRefused(
            "units", f"Give a number of units from -{MAX_UNITS} to {MAX_UNITS}, not 0."
        )
    if not note or len(note) > MAX_NOTE:
        raise AdjustmentRefused("note", f"Say why, in 1 to {MAX_NOTE} characters.")
    programme = programmes.programme_in_force(tx, now)
    wallets = [w.id for w in programme.wallets]
    if wallet not in wallets:
        raise AdjustmentRefused(
            "wallet", f"The programme has no wallet {wallet!r} ({', '.join(wallets)})."
        )
    row = tx.one("SELECT merged_into FROM members WHERE member_id = ?", (member_id,))
    if row is None:
        raise AdminError(f"No member has the id {member_id}.")
    if row[0] is not None:
        raise AdminError(f"Member {member_id} was merged into {row[0]}; adjust that member.")
    event_id = str(uuid.uuid4())
    held: dict[str, int] = {}

    def make(accounts: Accounts, book: MemberBook) -> list[OwnEvent]:
        member = book.by_id[member_id]
        held["before"] = int(member.accounts.get(wallet, 0))
        if held["before"] + units < 0:
            raise AdjustmentRefused(
                "units",
                f"The member holds {held['before']} in {wallet}; a withdrawal of "
                f"{-units} would take it below zero.",
            )
        fields = {
            "reason": REASON_CODE,
            "note": note,
            "operator": actor[:64],
            "postings": {wallet: units},
        }
        return [OwnEvent(event_id, member, EventKind.ADJUST, fields, now, programme.currency)]

    apply_ledger_events(tx, [member_id], make, now)
    limit = programme.approvals.flag_adjust_above
    flagged = abs(units) > limit
    if flagged:
        seq_row = tx.one("SELECT seq FROM events WHERE event_id = ?", (event_id,))
        detail = f"an adjustment of {abs(units)} units by {actor}, above {limit}: {note}"
        anomaly = Anomaly(
            "large_adjustment",
            LEDGER_TERMINAL,
            event_id,
            0 if seq_row is None else int(seq_row[0]),
            member_id,
            detail,
        )
        record_anomalies(tx, [anomaly], utc_now_iso())
    record_audit(
        tx,
        actor,
        "member.adjust",
        member_id,
        {"wallet": wallet, "units": units, "note": note, "event_id": event_id},
    )
    return Adjusted(event_id, held["before"] + units, flagged)
