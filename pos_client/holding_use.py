"""Using what a member holds besides points in the basket: bonus vouchers the
cashier scans, and the member's personal offers, which go in by themselves.

Part of :class:`pos_client.till.Till` (through :class:`pos_client.selling.Selling`);
the rules of what may be used are :mod:`pos_client.holdings`.

A voucher is scanned (a serial scanner, a wedge, or typed ``VCH-...``). With a
member at the till it must be one of theirs; without one, the member it was issued
to is selected first, as if their card had been scanned. It stays in the basket
until the sale is finished or discarded; a voucher whose minimum spend the basket
does not reach yet is shown as the basket's problem and refused only when the sale
is finished.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from loyalty.programme import ProgrammeVersion
from loyalty.programme.basket import AppliedVoucher
from pos_client.errors import SaleRefused
from pos_client.holdings import offers_for_basket, voucher_refusal
from pos_client.offline_bounds import OfflineBounds
from pos_client.views import MemberView, SaleView

if TYPE_CHECKING:
    from pos_client.ledger_link import LedgerLink
    from pos_client.sale_draft import SaleDraft
    from pos_client.store import LocalStore


class HoldingUse:
    """Vouchers and offers in the basket (see the module doc)."""

    store: LocalStore
    draft: SaleDraft
    link: LedgerLink | None
    _lock: threading.RLock
    _member: MemberView | None
    clock: Callable[[], datetime]

    if TYPE_CHECKING:

        def version(self, at: datetime | None = None) -> ProgrammeVersion: ...
        def select_member(self, card: str) -> MemberView: ...
        def _sale_view(self) -> SaleView: ...

    def use_voucher(self, number: str) -> SaleView:
        """Put the bonus voucher ``number`` in the basket (see the module doc);
        refused, with the reason, when this till may not accept it."""
        with self._lock:
            member = self._member
            if member is None:
                card = self.store.members.card_holding_voucher(number)
                if card is None:
                    raise SaleRefused(
                        f"Voucher {number} is not known at this till. Scan the member's "
                        "card first; a voucher issued since the last sync is known after it."
                    )
                member = self.select_member(card)
            if any(v.number == number for v in self.draft.vouchers):
                raise SaleRefused(f"Voucher {number} is already in this basket.")
            refusal = voucher_refusal(number, member.vouchers, self.clock().date(), member.used)
            if refusal is not None:
                raise SaleRefused(refusal)
            held = next(v for v in member.vouchers if v.number == number)
            self.draft.vouchers.append(
                AppliedVoucher(held.number, held.value_minor, held.min_spend_minor)
            )
            return self._sale_view()

    def _fit_holdings(
        self, member: MemberView | None, at: datetime, version: ProgrammeVersion | None = None
    ) -> None:
        """Before the basket is evaluated: the member's usable offers go in, and
        vouchers that are not the member's come out (another member was scanned).
        ``version``: the one in force at ``at``, when the caller has it already."""
        if member is None:
            self.draft.offers = ()
            return
        online = OfflineBounds(self.link, self.store, self.clock).online()
        programme = (self.version(at) if version is None else version).programme
        self.draft.offers = offers_for_basket(
            programme, member.offers, at.date(), online, member.used
        )
        mine = {v.number for v in member.vouchers}
        self.draft.vouchers = [v for v in self.draft.vouchers if v.number in mine]
