"""What the till shows: immutable views the UI and scripts read, never rows or SQL."""

from __future__ import annotations

from dataclasses import dataclass

from loyalty.cards import mask_card_number
from loyalty.events import Event, EventKind
from loyalty.money import Money


@dataclass(frozen=True)
class MemberView:
    """A member as the cashier sees them."""

    card: str
    member_id: str
    name: str
    tier: str
    confirmed_points: int
    """Balance the ledger has confirmed."""
    unconfirmed_points: int
    """This till's events the ledger has not confirmed yet (may be negative)."""
    blocked: bool = False

    @property
    def balance(self) -> int:
        """The balance shown: confirmed + unconfirmed (guarantee 4)."""
        return self.confirmed_points + self.unconfirmed_points

    @property
    def masked_card(self) -> str:
        return mask_card_number(self.card)


@dataclass(frozen=True)
class Receipt:
    """One recorded transaction, as printed and as listed under "last receipts"."""

    receipt_no: str
    """``TERMINAL-000042``: the terminal id and the event's sequence number."""
    kind: EventKind
    card: str
    member_name: str
    points: int
    """Signed change to the balance."""
    amount: Money
    """Purchase amount (earn, refund) or discount given (redeem)."""
    balance_after: int | None
    """Balance shown right after this event (None for a receipt listed later)."""
    recorded_at: str
    event_id: str

    @property
    def masked_card(self) -> str:
        return mask_card_number(self.card)

    @classmethod
    def from_event(
        cls, event: Event, member_name: str, balance_after: int | None = None
    ) -> Receipt:
        return cls(
            receipt_no=receipt_number(event.terminal_id, event.seq),
            kind=event.kind,
            card=event.card,
            member_name=member_name,
            points=event.points,
            amount=Money(abs(event.amount_minor), event.currency),
            balance_after=balance_after,
            recorded_at=event.recorded_at,
            event_id=event.event_id,
        )


@dataclass(frozen=True)
class TillStatus:
    """The status bar's facts."""

    terminal_id: str
    pending_events: int
    """Events recorded here and not yet confirmed by the ledger."""
    ledger_state: str
    """``offline (no ledger configured)``, ``online``, ``offline``, ..."""
    members_cached: int
    last_sync: str | None = None
    """When the last sync succeeded (UTC, ISO 8601), None if never."""
    last_error: str | None = None
    """Why the last sync failed, in words, None after a success."""
    parked_events: int = 0
    """Events the ledger refused, waiting for a manager."""
    oldest_pending_at: str | None = None
    """When the oldest unconfirmed event was recorded."""
    oldest_pending_age_s: float | None = None
    """How long ago that was, in seconds (how far behind the ledger this till is)."""
    printer_error: str | None = None
    """Why the last receipt did not print; None when printing works or is off."""


def receipt_number(terminal_id: str, seq: int) -> str:
    return f"{terminal_id}-{seq:06d}"


def parse_receipt_number(text: str) -> tuple[str, int] | None:
    """``("OSLO01-T1", 42)`` from ``"OSLO01-T1-000042"``, or None if malformed."""
    terminal_id, sep, number = text.strip().rpartition("-")
    if not sep or not terminal_id or not number.isdigit():
        return None
    return terminal_id, int(number)
