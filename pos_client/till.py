"""The headless Till service: the one object the UI and scripts drive.

A Till owns the local store and the programme rules. It answers a scan with the
member, records earns, redemptions and refunds as journal events, and reports its
status. Every recording is durable in the journal *before* the method returns, so
anything told "recorded" survives a crash (guarantee 1).

The Till is thread-safe (one lock around each operation), so the UI can call it from
worker threads. It never imports Textual.

    till = Till.open(load_config())
    member = till.scan("2900000012349")
    receipt = till.earn("149.90")
    till.redeem(100)
"""

from __future__ import annotations

import contextlib
import threading
from datetime import UTC, datetime

from loyalty.cards import validate_card_number
from loyalty.events import Event, EventKind, new_event
from loyalty.money import Money, parse_money
from loyalty.programme import ProgrammeRules
from loyalty.scans import ScanKind, classify_scan
from pos_client.config import TillConfig
from pos_client.errors import (
    CardBlocked,
    NoMemberSelected,
    ReceiptNotFound,
    RefundRefused,
    UnknownCard,
    UnsupportedScan,
)
from pos_client.ledger_link import LedgerLink
from pos_client.receipt_printing import ReceiptPrinter
from pos_client.store import LocalStore
from pos_client.store.sync_side import LAST_SYNC_AT
from pos_client.views import MemberView, Receipt, TillStatus, parse_receipt_number


class Till:
    """Scan, earn, redeem, refund; the member currently at the till."""

    def __init__(self, config: TillConfig, store: LocalStore) -> None:
        self.config = config
        self.store = store
        self._lock = threading.RLock()
        self._member: MemberView | None = None
        self.link: LedgerLink | None = None
        """The ledger link when ``[ledger]`` is configured; None runs offline only."""
        self.printer: ReceiptPrinter | None = None
        """The receipt printer when ``[printer]`` is configured."""

    @classmethod
    def open(cls, config: TillConfig) -> Till:
        """Open the till's store under ``config.data_dir`` (created if needed).

        With a ``[ledger] url`` the till gets a ledger link, not yet started: the
        app starts background sync; scripts may call ``till.link.sync_now()``.
        """
        till = cls(config, LocalStore.open(config.database_path, config.terminal_id))
        if config.ledger.url:
            till.link = LedgerLink(till.store, config.terminal_id, config.ledger)
        if config.printer.url:
            till.printer = ReceiptPrinter(config.printer, config.store_name)
        return till

    def close(self) -> None:
        if self.printer is not None:
            self.printer.close()
        if self.link is not None:
            self.link.close()
        self.store.close()

    @property
    def rules(self) -> ProgrammeRules:
        """Rules from the ledger when it has sent some, else the configured ones."""
        return self.store.rules(self.config.rules)

    @property
    def member(self) -> MemberView | None:
        """The member currently at the till, as of the last operation."""
        return self._member

    # --- members -------------------------------------------------------------------

    def scan(self, text: str) -> MemberView:
        """Identify a member from a scanned or typed card number and select them.

        Raises InvalidCardNumber (mistyped), UnsupportedScan (a member QR or a
        voucher, not yet accepted here), UnknownCard or CardBlocked.
        """
        card = self._card_from_scan(text)
        with self._lock:
            try:
                member = self._view(card)
            except UnknownCard:
                # Not cached: ask the ledger briefly; offline, the error stands.
                if self.link is None or not self.link.lookup(card):
                    raise
                member = self._view(card)
            if member.blocked:
                raise CardBlocked(
                    f"Card {member.masked_card} is blocked. Ask a manager; the member "
                    "may have a replacement card."
                )
            self._member = member
            return member

    @staticmethod
    def _card_from_scan(text: str) -> str:
        scan = classify_scan(text.strip())
        if scan.kind is ScanKind.MEMBER_CARD:
            return scan.value
        if scan.kind is ScanKind.MEMBER_QR:
            raise UnsupportedScan(
                "Member QR codes are not accepted at this till yet. Scan the member's card."
            )
        if scan.kind is ScanKind.VOUCHER:
            raise UnsupportedScan("Vouchers are not accepted at this till yet.")
        return validate_card_number(text)  # raises with the reason a cashier understands

    def refresh_member(self) -> MemberView | None:
        """Re-read the current member (a sync may have confirmed or changed points)."""
        with self._lock:
            if self._member is not None:
                with contextlib.suppress(UnknownCard):
                    self._member = self._view(self._member.card)
            return self._member

    def clear_member(self) -> None:
        """Finish with the current member (next customer)."""
        with self._lock:
            self._member = None

    def lookup(self, card: str) -> MemberView:
        """A member's current view without selecting them."""
        return self._view(validate_card_number(card))

    def _view(self, card: str) -> MemberView:
        with self.store.lock:
            found = self.store.members.get_with_unconfirmed(card)
        if found is None:
            raise UnknownCard(
                f"Card •••• {card[-4:]} is not registered with this till. Check the "
                "card, or ask the member to sign up."
            )
        cached, unconfirmed = found
        return MemberView(
            card=card,
            member_id=cached.member_id,
            name=cached.name,
            tier=cached.tier,
            confirmed_points=cached.confirmed_points,
            unconfirmed_points=unconfirmed,
            blocked=cached.blocked,
        )

    def _require_member(self) -> MemberView:
        if self._member is None:
            raise NoMemberSelected()
        return self._member

    # --- recording -----------------------------------------------------------------

    def earn(self, amount: str | Money) -> Receipt:
        """Record points earned on a purchase of ``amount``; durable on return."""
        with self._lock:
            member = self._require_member()
            rules = self.rules
            money = amount if isinstance(amount, Money) else parse_money(amount, rules.currency)
            points = rules.earn_points(money)
            return self._record(member, EventKind.EARN, points, money.minor, rules)

    def redeem(self, points: int, purchase: str | Money | None = None) -> Receipt:
        """Redeem ``points`` as a discount, within the balance and the purchase."""
        with self._lock:
            member = self._refresh(self._require_member())
            rules = self.rules
            if isinstance(purchase, str):
                purchase = parse_money(purchase, rules.currency) if purchase.strip() else None
            discount = rules.check_redemption(points, member.balance, purchase)
            self._check_offline_bounds(member, points, rules)
            return self._record(member, EventKind.REDEEM, -points, discount.minor, rules)

    def _check_offline_bounds(self, member: MemberView, points: int, rules: ProgrammeRules) -> None:
        """Guarantee 5: offline, redeem within a daily cap and a maximum offline age.

        A till with no ledger configured runs the programme alone and has no bounds.
        """
        if self.link is None:
            return
        offline_hours = self.link.offline_hours(self.store.settings.get(LAST_SYNC_AT))
        if offline_hours == 0.0:
            return  # synced recently: the ledger's balance is fresh
        local_midnight = (
            datetime.now().astimezone().replace(hour=0, minute=0, second=0, microsecond=0)
        )
        since = local_midnight.astimezone(UTC).isoformat(timespec="milliseconds")
        with self.store.lock:
            redeemed = self.store.journal.unconfirmed_redeemed_since(
                member.card, since.replace("+00:00", "Z")
            )
        rules.check_offline_redemption(points, redeemed, offline_hours)

    def refund(self, receipt_no: str) -> Receipt:
        """Take back the points of an earlier earn, found by its receipt number.

        Refuses a receipt of another till, an unknown one, one that is not an earn,
        and an earn already refunded. Works with or without a member selected.
        """
        with self._lock:
            original = self._find_receipt(receipt_no)
            if original.kind is not EventKind.EARN:
                raise RefundRefused(f"Receipt {receipt_no} is a {original.kind}, not a purchase.")
            if self.store.journal.refund_of(original.event_id) is not None:
                raise RefundRefused(f"Receipt {receipt_no} has already been refunded.")
            member = self._view(original.card)
            rules = self.rules
            return self._record(
                member,
                EventKind.REFUND,
                -original.points,
                original.amount_minor,
                rules,
                refers_to=original.event_id,
                rule_version=original.rule_version,
            )

    def _find_receipt(self, receipt_no: str) -> Event:
        parsed = parse_receipt_number(receipt_no)
        if parsed is None:
            raise ReceiptNotFound(f"{receipt_no.strip()!r} is not a receipt number.")
        terminal_id, seq = parsed
        if terminal_id != self.config.terminal_id:
            raise ReceiptNotFound(
                f"Receipt {receipt_no} is from till {terminal_id}; refund it there."
            )
        with self.store.lock:
            event = self.store.journal.get(seq)
        if event is None:
            raise ReceiptNotFound(f"There is no receipt {receipt_no} on this till.")
        return event

    def _record(
        self,
        member: MemberView,
        kind: EventKind,
        points: int,
        amount_minor: int,
        rules: ProgrammeRules,
        refers_to: str | None = None,
        rule_version: int | None = None,
    ) -> Receipt:
        def build(seq: int, prev_hash: str) -> Event:
            return new_event(
                terminal_id=self.config.terminal_id,
                seq=seq,
                prev_hash=prev_hash,
                kind=kind,
                card=member.card,
                points=points,
                amount_minor=amount_minor,
                currency=rules.currency,
                rule_version=rule_version or rules.version,
                refers_to=refers_to,
            )

        event = self.store.append(build)  # durable from here on
        if self.link is not None:
            self.link.trigger()
        updated = self._refresh(member)
        if self._member is not None and self._member.card == member.card:
            self._member = updated
        receipt = Receipt.from_event(event, member.name, balance_after=updated.balance)
        if self.printer is not None:
            self.printer.submit(receipt)
        return receipt

    def _refresh(self, member: MemberView) -> MemberView:
        return self._view(member.card)

    # --- reading -------------------------------------------------------------------

    def last_receipts(self, limit: int = 10) -> list[Receipt]:
        """The newest receipts of this till, newest first."""
        with self.store.lock:
            events = self.store.journal.recent(limit)
            names = {}
            for event in events:
                if event.card not in names:
                    cached = self.store.members.get(event.card)
                    names[event.card] = cached.name if cached else ""
        return [Receipt.from_event(e, names[e.card]) for e in events]

    def status(self) -> TillStatus:
        """Pending events and the ledger link's state, read now."""
        printer_error = self.printer.last_error if self.printer else None
        if self.link is None:
            return TillStatus(
                terminal_id=self.config.terminal_id,
                pending_events=self.store.pending_count(),
                ledger_state="offline (no ledger configured)",
                members_cached=self.store.members.count(),
                printer_error=printer_error,
            )
        sync = self.link.status
        state = sync.state if self.link.connected else "offline (cut)"
        return TillStatus(
            terminal_id=self.config.terminal_id,
            pending_events=sync.pending,
            ledger_state=state,
            members_cached=self.store.members.count(),
            last_sync=sync.last_success or self.store.settings.get(LAST_SYNC_AT),
            last_error=sync.last_error,
            parked_events=len(sync.parked),
            oldest_pending_at=sync.oldest_pending_at,
            oldest_pending_age_s=sync.oldest_pending_age(),
            printer_error=printer_error,
        )
