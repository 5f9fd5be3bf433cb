"""Which store a terminal, a member or an anomaly belongs to, for the scope of a
store manager (:class:`~ledger.web.accounts.Person`).

* A terminal belongs to the store it last reported (``terminal_reports``), else the
  store named by its latest event.
* A member belongs to every store where they have an event (enrolment, sale,
  redemption, ...): a store manager sees the members who shop at their stores, and
  is refused anyone else.
* An anomaly belongs to its terminal's store, and to its member's stores.

Head office sees everything; these functions are for store managers.
"""

from __future__ import annotations

import json

from ledger.anomaly_admin import AnomalyRow
from ledger.db import Tx
from ledger.web.accounts import Person


def terminal_store(tx: Tx, terminal_id: str) -> str:
    """The terminal's store, or "" when it never reported one nor recorded an event."""
    row = tx.one("SELECT store FROM terminal_reports WHERE terminal_id = ?", (terminal_id,))
    if row is not None and row[0]:
        return str(row[0])
    row = tx.one(
        "SELECT document FROM events WHERE terminal_id = ? ORDER BY seq DESC LIMIT 1",
        (terminal_id,),
    )
    if row is None:
        return ""
    return str(json.loads(str(row[0])).get("store", ""))


def member_stores(tx: Tx, member_id: str) -> set[str]:
    """Every store where the member has an event."""
    rows = tx.query("SELECT document FROM events WHERE member_id = ?", (member_id,))
    stores = {str(json.loads(str(r[0])).get("store", "")) for r in rows}
    stores.discard("")
    return stores


def may_see_member(tx: Tx, person: Person, member_id: str) -> bool:
    return person.head_office or bool(person.stores & member_stores(tx, member_id))


def may_see_terminal(tx: Tx, person: Person, terminal_id: str) -> bool:
    return person.head_office or terminal_store(tx, terminal_id) in person.stores


def may_see_anomaly(tx: Tx, person: Person, anomaly: AnomalyRow) -> bool:
    if person.head_office:
        return True
    if anomaly.terminal_id and may_see_terminal(tx, person, anomaly.terminal_id):
        return True
    return bool(anomaly.member_id) and may_see_member(tx, person, str(anomaly.member_id))
