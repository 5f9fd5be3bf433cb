"""What the manager's parts of the Till share: the Till's state they rely on, and
finding a member by their member id (a manager works on members, not on the card
in front of them).

:class:`DeskBase` is a base of :class:`pos_client.member_desk.MemberDesk`,
:class:`pos_client.manager_actions.ManagerActions` and
:class:`pos_client.enrolling.Enrolling`; :class:`pos_client.till.Till` defines what
is only declared here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pos_client.errors import ManagerActionRefused
from pos_client.store.member_search import cards_of
from pos_client.store.member_states import ACTIVE
from pos_client.views import MemberView

if TYPE_CHECKING:
    from loyalty.events import EventKind
    from loyalty.programme import ProgrammeVersion
    from pos_client.config import TillConfig
    from pos_client.ledger_link import LedgerLink
    from pos_client.programme_book import ProgrammeBook
    from pos_client.receipt_printing import ReceiptPrinter
    from pos_client.store import LocalStore
    from pos_client.views import ProgrammeInfo, Receipt


class DeskBase:
    """The Till as the member desk, manager actions and enrolment see it."""

    config: TillConfig
    store: LocalStore
    book: ProgrammeBook
    link: LedgerLink | None
    printer: ReceiptPrinter | None
    clock: Callable[[], datetime]
    operator: str | None
    _lock: threading.RLock
    _member: MemberView | None

    if TYPE_CHECKING:

        def version(self, at: datetime | None = None) -> ProgrammeVersion: ...
        def _view(self, card: str) -> MemberView: ...
        def _record(
            self, kind: EventKind, member: MemberView, fields: Mapping[str, Any], *, also: Any
        ) -> Receipt: ...
        @property
        def programme_info(self) -> ProgrammeInfo: ...

    def _cards_of(self, member_id: str) -> list[tuple[str, str]]:
        """``(card, state)`` of every card of the member, the active one first."""
        return cards_of(self.store.conn, member_id)

    def _member_by_id(self, member_id: str) -> MemberView:
        """The member under their active card (else one of their old cards), read
        now with this till's unsynced events. Raises ManagerActionRefused for a
        member this till does not know."""
        cards = self._cards_of(member_id.strip())
        if not cards:
            raise ManagerActionRefused(
                f"No member {member_id!r} at this till. Search again, or sync with the ledger."
            )
        active = [card for card, state in cards if state == ACTIVE]
        return self._view(active[0] if active else cards[0][0])
