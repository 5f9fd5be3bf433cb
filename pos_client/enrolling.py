"""Signing up a new member at the till, offline like everything else.

The form is checked by :meth:`loyalty.enrolment.Enrolment.checked` (an
:class:`~loyalty.enrolment.EnrolmentError` names the field; nothing is recorded).
The member gets a member id made here (``m-`` and a random UUID, unique without
asking anyone) and the next card number of this till's ranges
(:mod:`pos_client.store.card_ranges`, set aside for this till by the ledger, so two
offline tills never give out the same one). The ``enrol`` event, the number used up
and the member in the cache are one local transaction: the member can earn at once,
and a scan of the new card selects them, offline.

The card is printed on the receipt printer (Code 128 of the 13 digits, which the
till's scanners read as the card) and shown on screen by
:func:`pos_client.card_barcode.card_barcode_text`.
"""

from __future__ import annotations

import sqlite3
import uuid

from devices.escpos import ReceiptLines
from devices.printer import print_receipt
from loyalty.cards import card_of_body, mask_card_number
from loyalty.enrolment import Enrolment
from loyalty.events import Event, EventKind
from pos_client.approvals import Approval
from pos_client.card_barcode import card_digits
from pos_client.desk_base import DeskBase
from pos_client.errors import ManagerActionRefused, NoCardNumbers
from pos_client.member_desk_views import Enrolled
from pos_client.recording import programme_ref
from pos_client.store.card_events import cache_enrolled
from pos_client.store.card_ranges import next_number, numbers_left, take
from pos_client.store.member_states import ACTIVE
from pos_client.store.transaction import write_transaction
from pos_client.views import MemberView


def new_member_id() -> str:
    """A member id made at the till: ``m-`` and 32 hex digits of a random UUID."""
    return "m-" + uuid.uuid4().hex


class Enrolling(DeskBase):
    """Enrolment and member cards (see the module doc)."""

    def card_numbers_left(self) -> int:
        """How many new members this till can still give a card number."""
        return numbers_left(self.store.conn)

    def enrol(
        self,
        *,
        name: str,
        phone: str,
        email: str,
        birth_date: str,
        privacy_accepted: bool,
        marketing: bool,
        approval: Approval | None = None,
    ) -> Enrolled:
        """Sign up a member (see the module doc); durable on return. Raises
        EnrolmentError (its ``field`` names the part of the form) or NoCardNumbers,
        recording nothing. The new member is not selected: scan or select their card.

        No action of the programme's ``[approvals]`` covers enrolment, so
        ``approval`` is not needed and, when given, not recorded."""
        del approval
        with self._lock:
            at = self.clock()
            enrolment = Enrolment.checked(
                name=name,
                phone=phone,
                email=email,
                birth_date=birth_date,
                privacy_accepted=privacy_accepted,
                marketing=marketing,
                at=at.isoformat(timespec="seconds"),
                today=at.date(),
            )
            with write_transaction(self.store.conn) as conn:
                found = next_number(conn)
            if found is None:
                raise NoCardNumbers(
                    "This till has no card numbers left for new members. Sync with the "
                    "ledger to get more, or sign the member up at another till."
                )
            first, body = found
            card, member_id = card_of_body(body), new_member_id()
            version = self.version(at)
            member = MemberView(
                card=card,
                member_id=member_id,
                name=enrolment.name,
                tier="",
                confirmed={},
                unconfirmed={},
                programme=self.programme_info,
            )
            fields = {
                "programme": programme_ref(version),
                "postings": {},
                "enrolment": enrolment.to_json(),
            }

            def take_number(conn: sqlite3.Connection, event: Event) -> None:
                if not take(conn, first, body):
                    raise ManagerActionRefused(
                        "The card number was just given out by another program on this "
                        "till; nothing was recorded. Try again."
                    )
                cache_enrolled(
                    conn, member_id, card, enrolment.name, enrolment.phone, event.recorded_at
                )

            self._record(EventKind.ENROL, member, fields, also=take_number)
            return Enrolled(
                member=self._view(card), card=card, numbers_left=self.card_numbers_left()
            )

    def print_member_card(self, card: str) -> str:
        """Print a member card on the receipt printer (name, number, Code 128 of the
        number); returns what happened, in words. Waits for the printer (at most its
        timeout): call it from a worker."""
        member = self._member_card(card)
        if self.printer is None:
            return (
                "No receipt printer is set up: show the card on screen, or write the "
                f"number down for the member ({card_digits(member.card)})."
            )
        lines = ReceiptLines(
            header=[self.config.store_name or "Loyalty till"],
            lines=["Member card", member.name, card_digits(member.card)],
            barcodes=[member.card],
            footer=["Show this card when you shop."],
        )
        config = self.printer.config
        result = print_receipt(
            lines, str(config.url), timeout=config.timeout, baudrate=config.baudrate
        )
        if not result.ok:
            return result.error or "The card could not be printed."
        return f"Card {mask_card_number(member.card)} printed for {member.name}."

    def _member_card(self, card: str) -> MemberView:
        """The member whose active card ``card`` is; refused otherwise."""
        number = card.strip()
        state = self.store.members.card_state(number)
        if state != ACTIVE:
            raise ManagerActionRefused(
                f"Card {mask_card_number(number)} is not a member's current card here: "
                "print the member's active card."
            )
        return self._view(number)
