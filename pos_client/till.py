"""The headless Till service: the one object the UI and scripts drive.

A Till owns the local store, the programme versions it holds and the sale being
built. It answers a scan with the member (or a basket line), evaluates the basket
under the version in force, and records sales, redemptions, refunds and actions as
journal events. Every recording is durable in the journal *before* the method
returns, so anything told "recorded" survives a crash (guarantee 1).

The Till is thread-safe (one lock around each operation), so the UI can call it from
worker threads. It never imports Textual.

    till = Till.open(load_config())
    till.scan("2900000012349")            # the member
    till.add_product("7038010009457")     # a line from the catalogue
    till.add_amount("149.90")             # a line for goods without a barcode
    receipt = till.finish_sale()
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from loyalty.cards import mask_card_number
from loyalty.events import Event, EventKind, build_event
from loyalty.programme import Outcome, ProgrammeVersion
from loyalty.programme.model import QUALIFYING_SPEND
from loyalty.scans import ScanKind, classify_scan
from pos_client.config import TillConfig
from pos_client.day_desk import DayDesk
from pos_client.errors import CardBlocked, CardReplaced, NoMemberSelected, UnknownCard
from pos_client.holdings import accrued_unsynced
from pos_client.ledger_link import LedgerLink
from pos_client.member_desk import MemberDesk
from pos_client.member_state import after_event, member_view
from pos_client.outcome_memo import OutcomeMemo
from pos_client.programme_book import ProgrammeBook
from pos_client.receipt_printing import ReceiptPrinter
from pos_client.receipts import receipt_of
from pos_client.sale_draft import SaleDraft
from pos_client.scanning import card_from_scan
from pos_client.selling import Selling
from pos_client.staffing import Staffing
from pos_client.store import LocalStore
from pos_client.store.member_states import REPLACED, REVOKED
from pos_client.store.members import Pending
from pos_client.store.sync_side import LAST_SYNC_AT
from pos_client.store.transaction import read_transaction
from pos_client.token_scanning import token_fields
from pos_client.views import MemberView, ProgrammeInfo, Receipt, ReceiptLine, TillStatus

Clock = Callable[[], datetime]


def local_now() -> datetime:
    """The till's wall clock: local time with its UTC offset (the business time)."""
    return datetime.now().astimezone()


class Till(Selling, MemberDesk, Staffing, DayDesk):
    """Scan, sell, redeem, refund; the member and the basket currently at the till."""

    def __init__(self, config: TillConfig, store: LocalStore, clock: Clock = local_now) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        self.book = ProgrammeBook(store, config.programme)
        self._lock = threading.RLock()
        self._member: MemberView | None = None
        self._identified: dict[str, str] | None = None
        self.draft = SaleDraft.empty()
        self.outcomes = OutcomeMemo()
        self.operator = config.operator
        """Who is signed in; every event names them."""
        self.link: LedgerLink | None = None
        """The ledger link when ``[ledger]`` is configured; None runs offline only."""
        self.printer: ReceiptPrinter | None = None
        """The receipt printer when ``[printer]`` is configured."""

    @classmethod
    def open(cls, config: TillConfig, clock: Clock = local_now) -> Till:
        """Open the till's store under ``config.data_dir`` (created if needed).

        With a ``[ledger] url`` the till gets a ledger link, not yet started: the
        app starts background sync; scripts may call ``till.link.sync_now()``.
        """
        till = cls(config, LocalStore.open(config.database_path, config.terminal_id), clock)
        if config.ledger.url:
            till.link = LedgerLink(
                till.store,
                config.terminal_id,
                config.ledger,
                config.member_qr.root_key,
                store_id=config.store_id,
                programme_version=lambda: till.version().version,
            )
        if config.printer.url:
            till.printer = ReceiptPrinter(config.printer, config.store_name)
        return till

    def close(self) -> None:
        if self.printer is not None:
            self.printer.close()
        if self.link is not None:
            self.link.close()
        self.store.close()

    # --- the programme ---------------------------------------------------------------

    def version(self, at: datetime | None = None) -> ProgrammeVersion:
        """The programme version in force now (or at ``at``)."""
        return self.book.in_force(at or self.clock()).version

    @property
    def programme_info(self) -> ProgrammeInfo:
        return self.book.info(self.version())

    # --- members ---------------------------------------------------------------------

    @property
    def member(self) -> MemberView | None:
        """The member currently at the till, as of the last operation."""
        return self._member

    def scan(self, text: str) -> MemberView:
        """Identify a member from a scanned or typed card number and select them.

        A member QR token is checked offline (:meth:`select_by_token`). Raises
        InvalidCardNumber (mistyped), TokenRefused (a QR token not accepted, in the
        cashier's words), UnsupportedScan (a voucher), UnknownCard, CardReplaced or
        CardBlocked; any of them clears the member who was selected.
        """
        with self._lock:
            self._member = None
            if classify_scan(text.strip()).kind is ScanKind.MEMBER_QR:
                return self.select_by_token(text.strip())
            return self.select_member(card_from_scan(text))

    def select_member(self, card: str) -> MemberView:
        """Select the member with this (valid) card, looking them up online if the
        cache lacks them. Raises UnknownCard, CardReplaced (a card the member no
        longer uses) or CardBlocked (a blocked member); each clears the member that
        was selected, so the next sale never goes to the previous customer."""
        with self._lock:
            self._member, self._identified = None, None
            try:
                member = self._view(card)
            except UnknownCard:
                # Not cached: ask the ledger briefly; offline, the error stands.
                if self.link is None or not self.link.lookup(card):
                    raise
                member = self._view(card)
            self._member = self._selectable(card, member)
            return self._member

    def _selectable(self, card: str, member: MemberView) -> MemberView:
        """``member`` (found by ``card``), unless the card is out of use or the
        member blocked: CardReplaced, CardBlocked."""
        if member.card_replaced:
            raise self._card_out_of_use(card, member.member_id)
        if member.blocked:
            raise CardBlocked(
                f"Card {member.masked_card} is blocked. Ask a manager; the member "
                "may have a replacement card."
            )
        return member

    def refresh_member(self) -> MemberView | None:
        """Re-read the current member (a sync may have confirmed or changed points)
        through the card they were identified by. Cards are never dropped from the
        cache, so this finds the same member id after their card was replaced too
        (and, should the ledger file that card under a member id other than the
        till's, the ledger's member: the one whose points those are). A member whose
        card was replaced while at the till stays selected (``card_replaced`` says
        so; the ledger flags what is recorded on it); the next scan of it is refused."""
        with self._lock:
            if self._member is not None:
                with contextlib.suppress(UnknownCard):
                    self._member = self._view(self._member.card)
            return self._member

    def clear_member(self) -> None:
        """Finish with the current member and the basket (next customer)."""
        with self._lock:
            self._member, self._identified = None, None
            self.draft = SaleDraft.empty()

    def lookup(self, card: str) -> MemberView:
        """A member's current view without selecting them."""
        return self._view(card)

    def _card_out_of_use(self, card: str, member_id: str) -> CardReplaced:
        """The refusal of a card the member no longer uses: replaced by a new card, or
        blocked (lost, stolen) while the member has no card in use."""
        has_card = self.store.members.has_active_card(member_id)
        if not has_card:
            return CardReplaced(
                f"Card {mask_card_number(card)} is blocked (reported lost or stolen). The "
                "member keeps their points: a manager can give them a new card."
            )
        return CardReplaced.of(card)

    def _view(self, card: str) -> MemberView:
        """The member who has or had ``card``, as the cashier sees them. Raises
        UnknownCard when they are not cached, and CardReplaced for a card the ledger
        took out of use whose member this till never cached (an online lookup would
        not find it either)."""
        with read_transaction(self.store.conn):
            found = self.store.members.find(card)
            state = self.store.members.card_state(card) if found is None else None
        if found is None:
            if state in (REPLACED, REVOKED):
                raise CardReplaced.of(card)
            raise UnknownCard(
                f"Card •••• {card[-4:]} is not registered with this till. Check the "
                "card, or ask the member to sign up."
            )
        return self._estimated(member_view(found, self.programme_info, self.clock().date()))

    def _estimated(self, member: MemberView) -> MemberView:
        """``member`` with the dividend this till's unsynced sales add."""
        return replace(member, accrued_unsynced=self._accrued(member))

    def _accrued(
        self, member: MemberView, version: ProgrammeVersion | None = None
    ) -> dict[str, int]:
        """The dividend this till's unsynced sales add (``version``: the one in force
        now, when the caller has it already)."""
        spend = member.unconfirmed.get(QUALIFYING_SPEND, 0)
        if not spend:
            return {}
        programme = (self.version() if version is None else version).programme
        return accrued_unsynced(programme, self.config.store_id, spend)

    def _require_member(self) -> MemberView:
        if self._member is None:
            raise NoMemberSelected()
        return self._member

    # --- recording -------------------------------------------------------------------

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
        lines: tuple[ReceiptLine, ...] = (),
        currency: str | None = None,
    ) -> Receipt:
        """Append one event for ``member``; durable on return. Prints and syncs after.

        ``outcome`` (a sale) or ``lines`` (a refund) give the receipt its lines;
        ``currency``: a refund's is its sale's (else the version's in force). The member
        after the event is shown under the version in force (``version``, when the
        caller has it already)."""
        business = at or self.clock()
        version = self.version(business) if version is None else version
        common = {
            "card": member.card,
            "member_id": member.member_id,
            "business_time": business.isoformat(timespec="seconds"),
            "store": self.config.store_id,
            "currency": currency or version.programme.currency,
            "operator": self.operator,
            **token_fields(self._identified, member, self._member),
        }

        def build(seq: int, prev_hash: str) -> Event:
            return build_event(
                terminal_id=self.config.terminal_id,
                seq=seq,
                prev_hash=prev_hash,
                kind=kind,
                event_id=event_id,
                **common,
                **fields,
            )

        event = self.store.append(build, also)  # durable from here on
        if self.link is not None:
            self.link.trigger()
        shown = after_event(member, Pending.of(event), self.book.info(version))
        updated = replace(
            shown, as_of=business.date(), accrued_unsynced=self._accrued(shown, version)
        )
        current = self._member
        if current is not None and current.member_id == member.member_id:
            # The same member (a refund of a sale on another of their cards, say)
            # stays under the card they were identified by.
            same = (current.card, current.card_replaced) == (updated.card, updated.card_replaced)
            self._member = (
                updated
                if same
                else replace(updated, card=current.card, card_replaced=current.card_replaced)
            )
        receipt = receipt_of(
            event, member.name, updated, outcome, lines, self.store.receipt_numbering
        )
        if self.printer is not None:
            self.printer.submit(receipt)
        return receipt

    # --- reading ---------------------------------------------------------------------

    def last_receipts(self, limit: int = 10) -> list[Receipt]:
        """The newest receipts of this till, newest first, with their member's name
        (found by member id; release 0.1.0's events by their card)."""
        names: dict[tuple[str, str], str] = {}
        with read_transaction(self.store.conn):
            events = self.store.journal.recent(limit)
            for event in events:
                key = _member_key(event)
                if key not in names:
                    members = self.store.members
                    cached = (
                        members.get_by_id(event.member_id)
                        if event.member_id
                        else members.get(event.card)
                    )
                    names[key] = cached.name if cached else ""
        numbering = self.store.receipt_numbering
        return [receipt_of(e, names[_member_key(e)], numbering=numbering) for e in events]

    def status(self) -> TillStatus:
        """Pending events, the ledger link's state and the programme, read now."""
        printer_error = self.printer.last_error if self.printer else None
        in_force = self.book.in_force(self.clock())
        programme = f"{in_force.version.programme.name} v{in_force.version.version}"
        common = {
            "terminal_id": self.config.terminal_id,
            "members_cached": self.store.members.count(),
            "printer_error": printer_error,
            "programme": programme,
            "programme_warning": in_force.warning,
        }
        if self.link is None:
            return TillStatus(
                pending_events=self.store.pending_count(),
                ledger_state="offline (no ledger configured)",
                **common,  # type: ignore[arg-type]
            )
        sync = self.link.status
        state = sync.state if self.link.connected else "offline (cut)"
        return TillStatus(
            pending_events=sync.pending,
            ledger_state=state,
            last_sync=sync.last_success or self.store.settings.get(LAST_SYNC_AT),
            last_error=sync.last_error,
            parked_events=len(sync.parked),
            oldest_pending_at=sync.oldest_pending_at,
            oldest_pending_age_s=sync.oldest_pending_age(),
            **common,  # type: ignore[arg-type]
        )


def _member_key(event: Event) -> tuple[str, str]:
    """Whose an event is: its member id, or a release 0.1.0 event's card."""
    return ("member", event.member_id) if event.member_id else ("card", event.card)
