"""The Till's selling operations: build a basket, finish it, refund, redeem, act.

:class:`Selling` is the part of :class:`pos_client.till.Till` that changes the
basket and records what happens to it; it relies on the Till's lock, member, store,
programme book and ``_record``. Every change to the basket answers with a fresh
:class:`~pos_client.views.SaleView` (evaluated under the version in force when a
member is selected), so the screen shows exactly what finishing would record.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from loyalty.errors import InvalidAmount, LoyaltyError
from loyalty.events import EventKind
from loyalty.money import Money, parse_money
from loyalty.programme import AppliedReward, Outcome, ProgrammeVersion
from loyalty.programme.model import Programme
from loyalty.programme.redemption import RedeemLimits, check_redemption, limits, redeem_terms
from loyalty.scans import ScanKind, classify_scan
from pos_client.approvals import Approval
from pos_client.config import QuickKey
from pos_client.errors import ReceiptNotFound, RefundRefused, SaleRefused, UnknownProduct
from pos_client.holding_use import HoldingUse
from pos_client.member_state import snapshot
from pos_client.offline_bounds import OfflineBounds
from pos_client.outcome_memo import OutcomeMemo
from pos_client.recording import action_fields, programme_ref, redeem_fields, sale_fields
from pos_client.refunding import RefundPlan, plan_refund, returned_before
from pos_client.sale_draft import AMOUNT_SKU, SaleDraft
from pos_client.sale_view import outcome_of, sale_view
from pos_client.scanning import card_of
from pos_client.spending import check_balances, wallet_name
from pos_client.token_scanning import TokenScanning
from pos_client.views import (
    MemberView,
    Receipt,
    RefundPreview,
    SaleView,
    parse_receipt_number,
)

if TYPE_CHECKING:
    from pos_client.config import TillConfig
    from pos_client.programme_book import ProgrammeBook


class Selling(HoldingUse, TokenScanning):
    """Basket, sale, refund, redemption and action operations of the Till (the
    till's state it shares with :class:`HoldingUse` is declared there)."""

    config: TillConfig
    book: ProgrammeBook
    outcomes: OutcomeMemo

    if TYPE_CHECKING:

        def _require_member(self) -> MemberView: ...
        def _view(self, card: str) -> MemberView: ...
        def _approval(
            self, action: str, amount: int, approval: Approval | None, *named: Any
        ) -> dict[str, Any]: ...
        def _record(
            self,
            kind: EventKind,
            member: MemberView,
            fields: Mapping[str, Any],
            *,
            event_id: str | None = None,
            at: datetime | None = None,
            version: ProgrammeVersion | None = None,
            also: Any = None,
            outcome: Outcome | None = None,
            lines: tuple[Any, ...] = (),
            currency: str | None = None,
        ) -> Receipt: ...

    # --- scanning ----------------------------------------------------------------------

    def scan_code(self, text: str) -> MemberView | SaleView:
        """Whatever was scanned: a member card selects the member, a product adds a
        line. A scan that fails and could have been a card clears the member, so a
        misread card never leaves the previous customer selected."""
        scan = classify_scan(text.strip())
        if scan.kind is ScanKind.PRODUCT:
            return self.add_product(scan.value)
        if scan.kind is ScanKind.VOUCHER:
            return self.use_voucher(scan.value)
        if scan.kind is ScanKind.MEMBER_QR:
            return self.select_by_token(scan.value)
        with self._lock:
            self._member = None
            return self.select_member(card_of(scan, text))

    # --- the basket --------------------------------------------------------------------

    def sale(self) -> SaleView:
        """The basket as it stands, evaluated for the member (if one is selected)."""
        with self._lock:
            return self._sale_view()

    def add_product(self, sku: str, qty: int = 1) -> SaleView:
        with self._lock:
            product = self.store.catalogue.product(sku)
            if product is None or not product.active:
                raise UnknownProduct(
                    f"Product {sku} is not in this till's catalogue. Sell it with a quick "
                    "key or as an amount."
                )
            self.draft.add(product.sku, product.name, product.price_minor, product.tags, qty)
            return self._sale_view()

    def add_amount(
        self, amount: str | Money, name: str = "Amount", tags: frozenset[str] = frozenset()
    ) -> SaleView:
        """A line for goods without a barcode: the amount typed, with these tags."""
        with self._lock:
            self._add_amount(amount, name, tags)
            return self._sale_view()

    def _add_amount(self, amount: str | Money, name: str, tags: frozenset[str]) -> None:
        money = self._money(amount)
        self.draft.add(AMOUNT_SKU, name, money.minor, tags)

    def add_quick_key(self, key: str, amount: str = "") -> SaleView:
        """The line of a configured quick key: its product, or its group at its price
        or at the typed ``amount``."""
        with self._lock:
            quick = self.quick_key(key)
            if quick.sku is not None:
                return self.add_product(quick.sku)
            if quick.price_minor is not None:
                price = Money(quick.price_minor, self.version().programme.currency)
            elif amount.strip():
                price = self._money(amount)
            else:
                raise InvalidAmount(f"Type the price of the {quick.name} first, then its key.")
            self.draft.add(AMOUNT_SKU, quick.name, price.minor, frozenset(quick.tags))
            return self._sale_view()

    def quick_key(self, key: str) -> QuickKey:
        for quick in self.config.quick_keys:
            if quick.key == key.lower():
                return quick
        raise SaleRefused(f"No quick key {key!r} is set up on this till.")

    def _money(self, amount: str | Money) -> Money:
        currency = self.version().programme.currency
        money = amount if isinstance(amount, Money) else parse_money(amount, currency)
        if money.minor <= 0:
            raise InvalidAmount("The amount must be more than zero.")
        return money

    def remove_line(self, line: int) -> SaleView:
        """Take a line off; rewards are taken off too (they may have applied to it)."""
        with self._lock:
            self.draft.remove(line)
            self.draft.rewards = []
            return self._sale_view()

    def set_quantity(self, line: int, qty: int) -> SaleView:
        with self._lock:
            self.draft.set_quantity(line, qty)
            return self._sale_view()

    def toggle_flag(self, line: int, flag: str) -> SaleView:
        with self._lock:
            self.draft.toggle_flag(line, flag)
            return self._sale_view()

    def discard_sale(self) -> None:
        with self._lock:
            self.draft = SaleDraft.empty()

    # --- rewards and points as a discount ----------------------------------------------

    def usable_rewards(self) -> list[tuple[str, str | None, str]]:
        """(reward, instance, label) the member can use now: the issued ones they hold
        and have not applied yet, then those they can claim with what their balance
        has left after what the basket already spends."""
        with self._lock:
            member = self._require_member()
            at = self.clock()
            programme = self.version(at).programme
            applied = {entry.instance for entry in self.draft.rewards}
            try:
                spent = self._outcome(member, at, strict=False).spent
            except LoyaltyError:  # the basket cannot be evaluated now: nothing spent yet
                spent = {}
            found: list[tuple[str, str | None, str]] = []
            for held in member.rewards:
                reward = programme.reward(held.reward)
                if reward is not None and held.id not in applied:
                    found.append((reward.id, held.id, reward.name))
            for reward in programme.rewards:
                wallet = reward.wallet
                left = member.total(wallet) - spent.get(wallet, 0) if wallet else 0
                if reward.cost is not None and wallet and left >= reward.cost:
                    cost = f"{reward.cost} {wallet_name(programme, wallet)}"
                    found.append((reward.id, None, f"{reward.name} ({cost})"))
            return found

    def apply_reward(self, reward: str, instance: str | None = None) -> SaleView:
        """Use a reward in the basket: an issued one (``instance``) or one claimed for
        its cost. Refused, and not applied, if it cannot apply to this basket now."""
        with self._lock:
            member = self._require_member()
            entry = AppliedReward(reward, instance)
            if entry in self.draft.rewards and instance is not None:
                raise SaleRefused("That reward is already applied.")
            self.draft.rewards.append(entry)
            try:
                outcome = self._outcome(member, self.clock(), strict=True)
                self._check_spending(member, self.version(), outcome)
            except LoyaltyError:
                self.draft.rewards.remove(entry)
                raise
            return self._sale_view()

    def remove_rewards(self) -> SaleView:
        with self._lock:
            self.draft.rewards = []
            return self._sale_view()

    def redeem_limits(self) -> RedeemLimits:
        """What bounds using points as a discount in this basket now, for the dialog."""
        with self._lock:
            member = self._require_member()
            version = self.version()
            payable = self._payable_before_points(member)
            offline = self._offline_left(member, version.programme)
            return limits(version.programme, member.balance, payable, offline)

    def set_redeem(self, points: int) -> SaleView:
        """Use ``points`` as a discount on this basket (0 takes it off again)."""
        with self._lock:
            member = self._require_member()
            if points:
                programme = self.version().programme
                payable = self._payable_before_points(member)
                check_redemption(programme, points, member.balance, payable)
                self._check_offline(member, programme, points)
            self.draft.redeem_points = points
            return self._sale_view()

    def _payable_before_points(self, member: MemberView) -> int:
        if self.draft.is_empty:
            raise SaleRefused("Points are a discount on a basket: add its lines first.")
        kept = self.draft.redeem_points
        self.draft.redeem_points = 0
        try:
            return self._outcome(member, self.clock(), strict=True).paid_minor
        finally:
            self.draft.redeem_points = kept

    # --- finishing ---------------------------------------------------------------------

    def finish_sale(self, approval: Approval | None = None) -> Receipt:
        """Record the basket as a sale for the member; durable on return. A basket
        spending more points than the programme lets a cashier alone raises
        ApprovalRequired (``redeem``, the points) unless ``approval`` covers it."""
        with self._lock:
            member = self._require_member()
            if self.draft.is_empty:
                raise SaleRefused("The basket is empty: scan a product or type an amount.")
            at = self.clock()
            version = self.version(at)
            self._fit_holdings(member, at, version)
            basket = self.draft.basket(at, self.config.store_id)
            member_snapshot = snapshot(member)
            outcome = self.outcomes.evaluate(version, basket, member_snapshot)
            self._check_spending(member, version, outcome)
            main = version.programme.main_wallet
            spent = outcome.spent.get(main.id, 0) if main is not None else 0
            approved = self._approval("redeem", spent, approval, version) if spent else {}
            event_id = str(uuid.uuid4())
            fields = sale_fields(event_id, version, basket, member_snapshot, outcome) | approved
            receipt = self._record(
                EventKind.SALE,
                member,
                fields,
                event_id=event_id,
                at=at,
                version=version,
                outcome=outcome,
                currency=version.programme.currency,
            )
            self.draft = SaleDraft.empty()
            return receipt

    def earn(self, amount: str | Money) -> Receipt:
        """The one-field flow: finish the sale with ``amount`` added as a line."""
        with self._lock:
            self._require_member()
            self._add_amount(amount, "Amount", frozenset())
            return self.finish_sale()

    def _check_spending(
        self, member: MemberView, version: ProgrammeVersion, outcome: Outcome
    ) -> None:
        """Points spent in a basket must be there, and offline within the bounds."""
        check_balances(member, version.programme, outcome)
        main = version.programme.main_wallet
        if main is not None and outcome.spent.get(main.id):
            self._check_offline(member, version.programme, outcome.spent[main.id])

    # --- standalone redemption, actions ------------------------------------------------

    def redeem(
        self, points: int, purchase: str | Money | None = None, approval: Approval | None = None
    ) -> Receipt:
        """Redeem ``points`` as a discount outside a basket (within the balance and the
        purchase, if given); durable on return. Raises ApprovalRequired (``redeem``,
        ``points``) when the programme needs a manager and ``approval`` does not cover it."""
        with self._lock:
            member = self._view(self._require_member().card)
            version = self.version()
            programme = version.programme
            if isinstance(purchase, str):
                purchase = parse_money(purchase, programme.currency) if purchase.strip() else None
            cap = None if purchase is None else purchase.minor
            discount = check_redemption(programme, points, member.balance, cap)
            self._check_offline(member, programme, points)
            wallet = redeem_terms(programme).wallet
            fields = redeem_fields(version, wallet, points, discount, cap)
            fields |= self._approval("redeem", points, approval, version)
            return self._record(EventKind.REDEEM, member, fields)

    def record_action(self, action_id: str) -> Receipt:
        """Record a non-purchase action the programme rewards (own bag, recycling)."""
        with self._lock:
            member = self._require_member()
            version = self.version()
            action = version.programme.action(action_id)
            if action is None:
                raise SaleRefused(f"The {version.programme.name} programme has no {action_id!r}.")
            return self._record(EventKind.ACTION, member, action_fields(version, action))

    def _check_offline(self, member: MemberView, programme: Programme, points: int) -> None:
        OfflineBounds(self.link, self.store, self.clock).check(member, programme, points)

    def _offline_left(self, member: MemberView, programme: Programme) -> int | None:
        return OfflineBounds(self.link, self.store, self.clock).left(member, programme)

    # --- refunds -----------------------------------------------------------------------

    def refund_preview(
        self, receipt_no: str, lines: Mapping[int, int] | None = None
    ) -> RefundPreview:
        """What refunding ``lines`` (units per line; None: all that is left) of a
        receipt takes back, without recording anything."""
        with self._lock:
            plan, member = self._refund_plan(receipt_no, lines)
            after = member.balance + plan.postings.get(member.main_wallet, 0)
            held = {reward.id for reward in member.rewards}
            return RefundPreview(
                receipt_no=receipt_no.strip(),
                member_name=member.name,
                lines=plan.lines,
                returning=plan.returning,
                postings=plan.postings,
                refund_minor=plan.refund_minor,
                currency=plan.sale.currency,
                rewards_revoked=len(plan.rewards_revoked),
                balance_after=after,
                programme=member.programme,
                rewards_already_used=sum(1 for r in plan.rewards_revoked if r not in held),
            )

    def refund(
        self,
        receipt_no: str,
        lines: Mapping[int, int] | None = None,
        approval: Approval | None = None,
    ) -> Receipt:
        """Refund ``lines`` of a sale of this till (None: everything left); the
        reversal is computed by difference. Works with or without a member selected.
        Raises ApprovalRequired (``refund``, the money given back) when the version in
        force or the sale's needs a manager and ``approval`` does not cover it."""
        with self._lock:
            plan, member = self._refund_plan(receipt_no, lines)
            ref = plan.programme
            named = self.book.by_number(int(ref["version"]), str(ref["hash"]))
            approved = self._approval("refund", plan.refund_minor, approval, named)
            earlier = self.store.journal.refunds_of(plan.sale.event_id)
            return self._record(
                EventKind.REFUND,
                member,
                plan.fields() | approved,
                also=plan.write_units(returned_before(earlier)),
                lines=plan.receipt_lines(),
                currency=plan.sale.currency,  # money goes back in the sale's currency
            )

    def _refund_plan(
        self, receipt_no: str, lines: Mapping[int, int] | None
    ) -> tuple[RefundPlan, MemberView]:
        sale = self._find_receipt(receipt_no)
        earlier = self.store.journal.refunds_of(sale.event_id)
        plan = plan_refund(sale, earlier, self.book, lines, programme_ref(self.version()))
        return plan, self._view(sale.card)

    def _find_receipt(self, receipt_no: str) -> Any:
        parsed = parse_receipt_number(receipt_no)
        if parsed is None:
            raise ReceiptNotFound(f"{receipt_no.strip()!r} is not a receipt number.")
        terminal_id, number = parsed
        if terminal_id != self.config.terminal_id:
            raise ReceiptNotFound(
                f"Receipt {receipt_no} is from till {terminal_id}; refund it there."
            )
        seq = self.store.receipt_numbering.seq_of(number)
        if seq is None:
            raise ReceiptNotFound(
                f"Receipt {receipt_no} was lost when this till's database was recovered."
            )
        event = self.store.journal.get(seq)
        if event is None:
            raise ReceiptNotFound(f"There is no receipt {receipt_no} on this till.")
        if event.kind not in (EventKind.SALE, EventKind.EARN):
            raise RefundRefused(f"Receipt {receipt_no} is a {event.kind}, not a purchase.")
        return event

    # --- the sale view -----------------------------------------------------------------

    def _outcome(self, member: MemberView | None, at: datetime, strict: bool) -> Outcome:
        self._fit_holdings(member, at)
        return outcome_of(
            self.outcomes, self.version(at), self.draft, member, at, self.config.store_id, strict
        )

    def _sale_view(self) -> SaleView:
        version = self.version()
        at = self.clock()
        self._fit_holdings(self._member, at)
        return sale_view(
            self.outcomes,
            version,
            self.book.info(version),
            self.draft,
            self._member,
            at,
            self.config.store_id,
        )
