"""Members' accounts, and the one way an event changes them.

Every event the ledger holds — a till's, or its own (expiry, settlements,
corrections) — changes its member's accounts through :meth:`Accounts.apply`, in the
ledger's apply order: the balances, the lots (:mod:`ledger.lot_keeping`), the tier
counts (:mod:`ledger.tier_keeping`), the rewards held, the vouchers issued and used
(:mod:`ledger.vouchers`), the offers used (:mod:`ledger.offers`), the birthday
reward (:mod:`ledger.birthdays`), the capped awards (:mod:`ledger.caps`) and the
dividend accrued (:mod:`ledger.accruals`). A push applies a batch with it, ``settle``
its own events, and ``verify`` and ``rebuild`` every stored event from empty: so
what the live tables hold and what a replay gives cannot drift apart.

:meth:`Accounts.apply` also *decides*, the same way whenever it runs: an award over
its cap is marked reversed there and then (:attr:`Accounts.over_cap`), and so is
a capped award a refund takes back (given back if the ledger had taken it already:
:attr:`Accounts.cap_returns`); the push appends the ledger's ``correction`` for
each after the batch, and applying a cap correction names the award it reversed.
A replay makes the same decisions at the same places, so the cap counts agree.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from ledger import birthdays
from ledger.accruals import AccrualKeeper
from ledger.anomalies import Anomaly
from ledger.caps import Award, CapKeeper, awards_of, returned_awards
from ledger.db import Tx
from ledger.lot_keeping import LotKeeper
from ledger.member_book import WorkingMember, apply_rewards
from ledger.offers import OfferKeeper, offer_ids_used, offer_item
from ledger.single_uses import SingleUses
from ledger.tier_keeping import TierKeeper
from ledger.vouchers import VoucherKeeper, voucher_item
from loyalty.event_fields import MEMBER_KINDS
from loyalty.programme import Programme, ProgrammeVersion, version_in_force
from loyalty.tier_metrics import SALE_KINDS, RefundedSale

Flag = tuple[str, str]
"""(anomaly kind, detail) about the event being applied."""


@dataclass(frozen=True)
class CapDecision:
    """Capped awards of one event :meth:`Accounts.apply` decided on: over the cap
    (the push takes them back), or taken back twice by a refund (the push gives them
    back)."""

    member: WorkingMember
    event: Mapping[str, Any]
    awards: tuple[Award, ...]
    at: datetime


@dataclass
class Accounts:
    """The derived state of the members one transaction touches (see the module doc)."""

    versions: Sequence[ProgrammeVersion]
    by_hash: Mapping[str, Programme]
    settled: date | None = None
    lots: LotKeeper = field(init=False)
    tiers: TierKeeper = field(init=False)
    vouchers: VoucherKeeper = field(default_factory=VoucherKeeper)
    offers: OfferKeeper = field(default_factory=OfferKeeper)
    uses: SingleUses = field(default_factory=SingleUses)
    caps: CapKeeper = field(default_factory=CapKeeper)
    accruals: AccrualKeeper = field(init=False)
    anomalies: list[Anomaly] = field(default_factory=list)
    """Anomalies found about events other than the one being applied."""
    over_cap: list[CapDecision] = field(default_factory=list)
    cap_returns: list[CapDecision] = field(default_factory=list)
    sale_places: dict[str, tuple[datetime, str]] = field(default_factory=dict)
    """Sale event id → its business time and store (a refund counts there)."""
    touched: set[str] = field(default_factory=set)
    """The members events were applied to."""

    def __post_init__(self) -> None:
        self.lots = LotKeeper(self.versions)
        self.tiers = TierKeeper(self.versions, self.settled)
        self.accruals = AccrualKeeper(self.versions)

    # --- reading ---------------------------------------------------------------------

    def load(
        self, tx: Tx, members: Iterable[WorkingMember], contents: Sequence[Mapping[str, Any]]
    ) -> None:
        """Read what applying ``contents`` to ``members`` needs: their lots, tier
        states, capped awards and accruals, the moves of the events refunds and
        corrections refer to, and the vouchers and offers used."""
        working = {m.member_id: m for m in members}
        ids = list(working)
        self.lots.load(tx, working)
        self.tiers.load(tx, working)  # with their join dates
        self.caps.load(tx, ids)
        self.accruals.load(tx, ids)
        referred = sorted({str(c["refers_to"]) for c in contents if c.get("refers_to")})
        self.lots.load_sale_moves(
            tx,
            sorted({str(c["refers_to"]) for c in contents if c.get("refers_to") and "schema" in c}),
        )
        self._load_sale_places(tx, referred)  # release 0.1.0 refunds count there too
        numbers = sorted({str(v["number"]) for c in contents for v in c.get("vouchers_used", [])})
        self.vouchers.load(tx, numbers)
        offer_ids = offer_ids_used(contents)
        self.offers.load(tx, offer_ids)
        self.uses.load(tx, [voucher_item(n) for n in numbers] + [offer_item(o) for o in offer_ids])

    def _load_sale_places(self, tx: Tx, sale_ids: list[str]) -> None:
        wanted = [s for s in sale_ids if s not in self.sale_places]
        if not wanted:
            return
        condition, params = tx.in_list("event_id", wanted)
        for event_id, business_at, document in tx.query(
            f"SELECT event_id, business_at, document FROM events WHERE {condition}", params
        ):
            self.sale_places[str(event_id)] = (
                datetime.fromisoformat(str(business_at)),
                _store_of(str(document)),
            )

    # --- applying --------------------------------------------------------------------

    def apply(
        self,
        member: WorkingMember,
        content: Mapping[str, Any],
        postings: Mapping[str, int],
        at: datetime,
        refunded: RefundedSale | None = None,
    ) -> list[Flag]:
        """Apply one event (business time ``at``; a refund's sale as it was before it,
        ``refunded``, for the tier metrics that count visits or units) to its member;
        the flags about it."""
        kind = content["kind"]
        member_id = member.member_id
        self.touched.add(member_id)
        if kind in MEMBER_KINDS:  # facts, not accounts: ledger.member_events
            member.changed = True
            return []
        counted_at, store = counted_place(content, at, self.sale_places)
        self.lots.apply(member_id, member.accounts, content, postings, at)
        for account, amount in postings.items():
            member.accounts[account] = member.accounts.get(account, 0) + amount
        tier = self.tiers.apply(
            member_id, content, postings, at, counted_at, member.base_tier, refunded
        )
        if tier is not None:
            member.tier = tier
        flags: list[Flag] = []
        if kind in ("sale", "redeem", "earn"):
            overdrawn = [a for a, v in postings.items() if v < 0 and member.accounts[a] < 0]
            if overdrawn:
                balances = ", ".join(f"{a} {member.accounts[a]}" for a in overdrawn)
                flags.append(("overdraft", f"balance went to {balances}"))
        flags += apply_rewards(member, content)
        business_at = at.astimezone(UTC).isoformat()
        remember_place(content, at, self.sale_places)
        if kind == "sale":
            flags += birthdays.claim(member, content, self.programme_of(content, at))
            for found, others in (
                self.vouchers.use(member, content, business_at, self.uses),
                self.offers.use(member, content, business_at, self.uses),
            ):
                flags += found
                self.anomalies += others
                member.reasons.update(a.kind for a in others if a.member_id == member_id)
        if kind in ("sale", "refund"):
            self.accruals.apply(member_id, postings, counted_at, store)
        if kind == "refund":
            birthdays.give_back(member, content)
            self._return_awards(member, content, at)
        if kind == "settlement":
            self.vouchers.issue(member, content)
        if kind in ("sale", "action"):
            flags += self._count_awards(member, content, at)
        if kind == "correction" and content.get("reason") == "cap":
            self.caps.confirm(member_id, str(content["refers_to"]), str(content["event_id"]))
        member.changed = True
        return flags

    def programme_of(self, content: Mapping[str, Any], at: datetime) -> Programme | None:
        """The programme an event was computed under (else the one in force then)."""
        ref = content.get("programme")
        if isinstance(ref, Mapping) and ref.get("hash") in self.by_hash:
            return self.by_hash[str(ref["hash"])]
        version = version_in_force(self.versions, at)
        return version.programme if version is not None else None

    def _count_awards(
        self, member: WorkingMember, content: Mapping[str, Any], at: datetime
    ) -> list[Flag]:
        programme = self.programme_of(content, at)
        if programme is None:
            return []
        event_id = str(content["event_id"])
        over = tuple(
            award
            for award in awards_of(programme, content)
            if self.caps.count(member.member_id, award, event_id, at)
        )
        if not over:
            return []
        for award in over:
            self.caps.mark_over(member.member_id, award.cap_id, event_id)
        self.over_cap.append(CapDecision(member, content, over, at))
        names = ", ".join(a.name for a in over)
        return [("cap_exceeded", f"{names}: over the member's cap; reversed by the ledger")]

    def _return_awards(
        self, member: WorkingMember, content: Mapping[str, Any], at: datetime
    ) -> None:
        programme = self.programme_of(content, at)
        if programme is None:
            return
        sale_id, refund_id = str(content["refers_to"]), str(content["event_id"])
        twice = tuple(
            award
            for award in returned_awards(programme, content)
            if self.caps.release(member.member_id, award, sale_id, refund_id)
        )
        if twice:
            self.cap_returns.append(CapDecision(member, content, twice, at))

    # --- what the member sees ----------------------------------------------------------

    def refresh(self, member: WorkingMember, paid: set[tuple[str, str]]) -> None:
        """The member's soonest expiry, tier progress and dividend accrued, from the
        state after the events applied."""
        member.expiring = self.lots.next_expiry(member.member_id)
        member.progress = self.tiers.windows.get(member.member_id, member.progress)
        member.accrued = self.accruals.accrued(member.member_id, paid)

    # --- writing ---------------------------------------------------------------------

    def write(self, tx: Tx) -> None:
        """Store every derived table this transaction changed (the members are the
        caller's: :meth:`ledger.member_book.MemberBook.write`)."""
        self.lots.write(tx)
        self.tiers.write(tx)
        self.vouchers.write(tx)
        self.uses.write(tx)
        self.caps.write(tx)
        self.accruals.write(tx)


def counted_place(
    content: Mapping[str, Any], at: datetime, sale_places: Mapping[str, tuple[datetime, str]]
) -> tuple[datetime, str]:
    """Where an event counts (tier windows, dividend periods): a refund or a
    correction of a sale counts at its sale's business time and store; any other
    event at its own."""
    store = str(content.get("store", ""))
    if content["kind"] not in ("refund", "correction"):
        return at, store
    return sale_places.get(str(content.get("refers_to") or ""), (at, store))


def remember_place(
    content: Mapping[str, Any], at: datetime, sale_places: dict[str, tuple[datetime, str]]
) -> None:
    """Note where a sale happened (business time, store), for its refunds."""
    if content["kind"] in SALE_KINDS:
        sale_places[str(content["event_id"])] = (at, str(content.get("store", "")))


def _store_of(document: str) -> str:
    return str(json.loads(document).get("store", ""))
