"""Ledger answers made by hand, for tests of the till's store without a ledger: member
states, revoked cards, and a pull applied through the till's own sync side."""

from __future__ import annotations

from pos_client.store.sync_side import StoreSyncSide
from sync.protocol import Change, MemberChange, MemberState, RevokedCardChange

REVOKED_AT = "2026-11-25T10:00:00Z"


def member_state(
    member_id: str, card: str, version: int, points: int, status: str = "active"
) -> MemberState:
    """The ledger's state of a member with ``card`` as their current card."""
    return MemberState(
        member_id=member_id,
        card=card,
        name=f"Member {member_id}",
        tier="",
        balance=points,
        accounts={"points": points} if points else {},
        status=status,  # type: ignore[arg-type]
        flagged=False,
        flag_reasons=[],
        version=version,
    )


def member_change(member_id: str, card: str, version: int, points: int) -> MemberChange:
    return MemberChange(member=member_state(member_id, card, version, points))


def revoked(card: str, member_id: str, change: int) -> RevokedCardChange:
    return RevokedCardChange(card=card, member_id=member_id, revoked_at=REVOKED_AT, change=change)


def pull(side: StoreSyncSide, *changes: Change, high_water: int = 0) -> int:
    """One whole pull of ``changes`` (in the ledger's order) through the till's sync
    side; the members it wrote."""
    side.begin_pull()
    side.stage_changes(list(changes))
    return side.finish_pull(f"cursor-{high_water}", high_water)
