"""Guarantee 5 at the till: what a member may redeem while the till is offline.

Offline, a member may redeem at most the programme's daily cap at this till, and
nothing once the till has gone too long without a sync. A till with no ledger
configured runs the programme alone and has no such bounds; one that is online has
none either.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from loyalty.programme.model import Programme
from loyalty.programme.redemption import check_offline_redemption
from pos_client.store.sync_side import LAST_SYNC_AT
from pos_client.views import MemberView

if TYPE_CHECKING:
    from pos_client.ledger_link import LedgerLink
    from pos_client.store import LocalStore


class OfflineBounds:
    """The offline bounds of one till (its link, store and clock)."""

    def __init__(
        self, link: LedgerLink | None, store: LocalStore, clock: Callable[[], datetime]
    ) -> None:
        self.link, self.store, self.clock = link, store, clock

    def check(self, member: MemberView, programme: Programme, points: int) -> None:
        """Refuse redeeming ``points`` when the bounds do not allow it."""
        left = self.left(member, programme)
        if left is None:
            return
        check_offline_redemption(
            programme.offline, points, programme.offline.redeem_cap - left, self._hours()
        )

    def online(self) -> bool:
        """Whether the offline rules are off: no ledger configured, or a sync
        completed recently."""
        return self.link is None or self._hours() == 0.0

    def left(self, member: MemberView, programme: Programme) -> int | None:
        """Points the member may still redeem today here while offline; None online."""
        if self.link is None or self._hours() == 0.0:
            return None
        wallet = programme.main_wallet
        local_midnight = self.clock().replace(hour=0, minute=0, second=0, microsecond=0)
        since = local_midnight.astimezone(UTC).isoformat(timespec="milliseconds")
        spent = self.store.journal.unconfirmed_spent_since(
            member.member_id, wallet.id if wallet else "points", since.replace("+00:00", "Z")
        )
        return programme.offline.redeem_cap - spent

    def _hours(self) -> float | None:
        assert self.link is not None
        return self.link.offline_hours(self.store.settings.get(LAST_SYNC_AT))
