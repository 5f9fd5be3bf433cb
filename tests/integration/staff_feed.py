"""Staff reaching a till as the ledger's changes feed brings them: staged and applied
by the pull's own transactions (:class:`pos_client.store.sync_side.StoreSyncSide`)."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from loyalty.staff import hash_pin
from pos_client.store import LocalStore
from pos_client.store.sync_side import StoreSyncSide
from sync.protocol import StaffChange


@functools.cache
def pin_hash(pin: str) -> str:
    """The stored form of ``pin`` (scrypt is slow: each PIN is hashed once per run)."""
    return hash_pin(pin)


def staff_change(
    staff_id: str,
    pin: str,
    change: int,
    *,
    name: str = "",
    role: str = "cashier",
    badge: str = "",
    stores: Sequence[str] = (),
    active: bool = True,
) -> StaffChange:
    """One ``staff`` change of the feed, as the ledger's changes answer carries it."""
    return StaffChange.model_validate(
        {
            "type": "staff",
            "staff_id": staff_id,
            "name": name or f"Staff {staff_id}",
            "role": role,
            "pin_hash": pin_hash(pin),
            "badge": badge,
            "stores": list(stores),
            "active": active,
            "change": change,
        }
    )


def pull_staff(store: LocalStore, *pages: Sequence[StaffChange]) -> None:
    """One pull of ``pages`` of changes: staged page by page, applied at its end."""
    side = StoreSyncSide(store)
    side.begin_pull()
    for page in pages:
        side.stage_changes(list(page))
    side.finish_pull(next_cursor="staff-test", high_water=store.confirmed_seq)
