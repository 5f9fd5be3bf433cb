"""Staff at the ledger: who may sign in at the tills, their roles and PIN hashes.

Staff are managed here (``pos-ledger staff``) and travel to every till in the
changes feed (:class:`sync.protocol.StaffChange`), so a till checks a PIN offline.
A PIN is never stored or shown again after it is set: only its salted scrypt hash
(:func:`loyalty.staff.hash_pin`) is kept. Every change takes a change number, so a
till that pulls learns of it; a disabled person stays in the table (``active`` 0)
so tills learn they may no longer sign in. Input errors are
:class:`ledger.errors.AdminError` and change nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ledger.db import Row, Tx
from ledger.errors import AdminError
from loyalty.canonical import canonical_json
from loyalty.events import utc_now_iso
from loyalty.staff import StaffError, check_pin, check_role, check_staff_id, hash_pin

STAFF_COLUMNS = "staff_id, name, role, pin_hash, badge, stores, active, change_no"
MAX_NAME = 100


def _checked(check: Any, value: str) -> Any:
    try:
        return check(value)
    except StaffError as exc:
        raise AdminError(str(exc)) from None


def _checked_name(name: str) -> str:
    clean = " ".join(name.split())
    if not clean or len(clean) > MAX_NAME:
        raise AdminError(f"The name must be 1 to {MAX_NAME} characters.")
    return clean


def add_staff(
    tx: Tx,
    staff_id: str,
    *,
    name: str,
    role: str,
    pin: str,
    stores: Sequence[str] = (),
    badge: str = "",
) -> None:
    """A new person with ``pin`` (stored only as its hash)."""
    _checked(check_staff_id, staff_id)
    _checked(check_role, role)
    _checked(check_pin, pin)
    clean = _checked_name(name)
    if any(not s or len(s) > 40 for s in stores):
        raise AdminError("A store is 1 to 40 characters.")
    if len(badge) > 64:
        raise AdminError("A badge code is at most 64 characters.")
    if tx.one("SELECT 1 FROM staff WHERE staff_id = ?", (staff_id,)):
        raise AdminError(f"Staff number {staff_id} is already taken (numbers are never reused).")
    if badge and tx.one("SELECT staff_id FROM staff WHERE badge = ?", (badge,)):
        raise AdminError(f"Badge {badge} already belongs to someone else.")
    now = utc_now_iso()
    tx.execute(
        f"INSERT INTO staff ({STAFF_COLUMNS}, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?)",
        (
            staff_id,
            clean,
            role,
            hash_pin(pin),
            badge,
            canonical_json(sorted(set(stores))),
            tx.allocate("changes", 1),
            now,
            now,
        ),
    )


def _known(tx: Tx, staff_id: str) -> Row:
    row = tx.one(f"SELECT {STAFF_COLUMNS} FROM staff WHERE staff_id = ?", (staff_id,))
    if row is None:
        raise AdminError(f"No staff member has number {staff_id}.")
    return row


def _update(tx: Tx, staff_id: str, assignments: str, params: Sequence[object]) -> None:
    tx.execute(
        f"UPDATE staff SET {assignments}, change_no = ?, updated_at = ? WHERE staff_id = ?",
        (*params, tx.allocate("changes", 1), utc_now_iso(), staff_id),
    )


def set_role(tx: Tx, staff_id: str, role: str) -> None:
    _checked(check_role, role)
    if _known(tx, staff_id)[2] != role:
        _update(tx, staff_id, "role = ?", (role,))


def reset_pin(tx: Tx, staff_id: str, pin: str) -> None:
    """A new PIN (the old one stops working at each till once it syncs)."""
    _checked(check_pin, pin)
    _known(tx, staff_id)
    _update(tx, staff_id, "pin_hash = ?", (hash_pin(pin),))


def disable(tx: Tx, staff_id: str) -> None:
    """The person can no longer sign in anywhere (kept: events name them)."""
    if int(_known(tx, staff_id)[6]):
        _update(tx, staff_id, "active = ?", (0,))


def staff_change(row: Row) -> dict[str, Any]:
    """A ``STAFF_COLUMNS`` row as the fields of :class:`sync.protocol.StaffChange`."""
    staff_id, name, role, pin_hash, badge, stores, active, change = row
    return {
        "type": "staff",
        "staff_id": staff_id,
        "name": name,
        "role": role,
        "pin_hash": pin_hash,
        "badge": badge,
        "stores": json.loads(str(stores)),
        "active": bool(active),
        "change": int(change),
    }


def list_staff(tx: Tx) -> list[dict[str, Any]]:
    """Everyone, by staff number, as :func:`staff_change` gives them."""
    return [
        staff_change(r) for r in tx.query(f"SELECT {STAFF_COLUMNS} FROM staff ORDER BY staff_id")
    ]


def active_managers(tx: Tx) -> set[str]:
    """Staff numbers of the active managers (who may approve at a till)."""
    return {
        str(r[0])
        for r in tx.query("SELECT staff_id FROM staff WHERE role = 'manager' AND active = 1")
    }
