"""The demo's staff: a cashier who is signed in when the demo starts, and a manager
whose PIN the demo's help panel shows (F1 opens manager mode with it).

The demo ledger gets them with ``pos-ledger staff add`` (PINs given on stdin, as a
chain would for people who chose their own); a demo running offline gets the same
people straight into its till's staff table, as a pull would bring them.
"""

from __future__ import annotations

from dataclasses import dataclass

from loyalty.staff import StaffMember, hash_pin
from pos_client.store.staff import StaffStore, store_staff
from pos_client.store.transaction import write_transaction
from pos_client.till import Till


@dataclass(frozen=True)
class DemoPerson:
    staff_id: str
    name: str
    role: str
    pin: str
    badge: str = ""


DEMO_CASHIER = DemoPerson("C100", "Cato Cashier", "cashier", "1111")
DEMO_MANAGER = DemoPerson("M100", "Mona Manager", "manager", "2468", badge="99100")
DEMO_STAFF = (DEMO_CASHIER, DEMO_MANAGER)


def staff_help() -> tuple[str, ...]:
    """The help panel's lines about the demo's staff."""
    return tuple(f"{p.staff_id} {p.pin} {p.role}" for p in DEMO_STAFF)


def seed_staff_locally(till: Till) -> None:
    """The demo's staff in a till that has no ledger to pull them from."""
    if StaffStore(till.store.conn).everyone():
        return
    people = [
        (
            StaffMember(p.staff_id, p.name, p.role, hash_pin(p.pin), p.badge),  # type: ignore[arg-type]
            index + 1,
        )
        for index, p in enumerate(DEMO_STAFF)
    ]
    with write_transaction(till.store.conn) as conn:
        store_staff(conn, people)


def sign_in_demo_cashier(till: Till) -> None:
    """The demo starts with its cashier signed in (Ctrl+L signs out)."""
    if till.needs_sign_in:
        till.sign_in(DEMO_CASHIER.staff_id, DEMO_CASHIER.pin)
