"""A till's events about members and their cards: ``enrol``, ``replace``, ``block``.

They carry no postings; what they change are facts no other event changes, so they
are kept here, outside :meth:`ledger.accounts.Accounts.apply` (which only notes
the member as touched): a replay of the events gives the same derived tables
whether these facts were written live or not.

* ``enrol`` creates the member the till made (its ``member_id``, its ``card`` from
  the till's enrolment range, the details and consent of ``enrolment``) with the
  default tier, so later events on that card apply to them. A card or member id
  already in use creates nobody (anomaly ``card_in_use``; the event counts for the
  card's member). A phone or e-mail another member has is flagged
  ``duplicate_member`` naming them, for a manager to merge (``pos-ledger member
  merge``); a card outside the till's ranges is flagged ``card_outside_range``.
* ``replace`` revokes ``card`` (the member is kept) and gives the member
  ``new_card``; a new card already in use moves nothing (``card_in_use``).
* ``block`` revokes ``card``; the member keeps their account, and a later
  ``replace`` of that card works.

Revoked cards travel to the tills (``revoked_card`` changes) with the member's
change, so the old card is refused everywhere once they sync; events recorded
offline on it still count for the member (flagged ``revoked_card``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ledger.card_ranges import in_ranges
from ledger.db import Tx
from ledger.member_book import MemberBook, WorkingMember, member_of, new_member
from loyalty.canonical import canonical_json
from loyalty.events import utc_now_iso

Flag = tuple[str, str]


def enrolment_problem(content: Mapping[str, Any]) -> str | None:
    """Why an ``enrol`` is malformed for its business day, the till's local date (a
    birth date after it: the till refuses that, :mod:`loyalty.enrolment`), or None."""
    born = content.get("enrolment", {}).get("birth_date") if content["kind"] == "enrol" else None
    if born and str(born) > str(content["business_time"])[:10]:
        return f"Event {content['seq']}: the birth date {born} is after the day of the enrolment."
    return None


@dataclass
class _Enrolled:
    member: WorkingMember
    email: str
    consent: str
    enrolled_at: str
    enrolled_by: str


@dataclass
class MemberEvents:
    """What one batch's member events change, written after its members."""

    tx: Tx
    terminal_id: str
    enrolled: list[_Enrolled] = field(default_factory=list)
    revoked: dict[str, str] = field(default_factory=dict)
    """Card → member id, in the order revoked."""
    moved: dict[str, str] = field(default_factory=dict)
    """Member id → new card."""

    def member(
        self, book: MemberBook, content: Mapping[str, Any]
    ) -> tuple[WorkingMember, list[Flag]]:
        """The member an event applies to and the flags of its member facts (for an
        ``enrol``: the member it creates)."""
        if content["kind"] != "enrol":
            return member_of(book, content), []
        card, member_id = str(content["card"]), str(content["member_id"])
        taken = book.by_card.get(card) or book.by_id.get(member_id)
        if taken is not None:
            return taken, [
                (
                    "card_in_use",
                    f"enrolment of member {member_id} with card {card}: the card or member "
                    f"id already belongs to member {taken.member_id}; nobody was created",
                )
            ]
        return self._enrol(book, content)

    def _enrol(
        self, book: MemberBook, content: Mapping[str, Any]
    ) -> tuple[WorkingMember, list[Flag]]:
        details = content["enrolment"]
        card, member_id = str(content["card"]), str(content["member_id"])
        member = new_member(
            member_id,
            card,
            name=str(details["name"]),
            birth_date=str(details.get("birth_date", "")),
            phone=str(details.get("phone", "")),
        )
        book.add(member)
        email = str(details.get("email", ""))
        flags = [
            (
                "duplicate_member",
                f"member {other} has the same {what}; merge them if they are one person "
                f"(pos-ledger member merge {other} {member_id})",
            )
            for other, what in self._duplicates(member_id, member.phone, email)
        ]
        if not in_ranges(self.tx, self.terminal_id, card):
            flags.append(
                (
                    "card_outside_range",
                    f"card {card} is not in the enrolment ranges of terminal {self.terminal_id}",
                )
            )
        consent = {
            "privacy_accepted_at": details["privacy_accepted_at"],
            "marketing": details["marketing"],
        }
        self.enrolled.append(
            _Enrolled(
                member,
                email,
                canonical_json(consent),
                str(content.get("business_time", "")),
                self.terminal_id,
            )
        )
        return member, flags

    def _duplicates(self, member_id: str, phone: str, email: str) -> list[tuple[str, str]]:
        """Other members (stored, or enrolled earlier in this batch) with this phone or
        e-mail."""
        found: dict[str, str] = {}
        for what, value in (("phone", phone), ("e-mail", email)):
            if not value:
                continue
            column = "phone" if what == "phone" else "email"
            for (other,) in self.tx.query(
                f"SELECT member_id FROM members WHERE {column} = ? AND merged_into IS NULL "
                "AND member_id <> ? ORDER BY member_id",
                (value, member_id),
            ):
                found.setdefault(str(other), what)
            for earlier in self.enrolled:
                held = earlier.member.phone if column == "phone" else earlier.email
                if held == value and earlier.member.member_id != member_id:
                    found.setdefault(earlier.member.member_id, what)
        return sorted(found.items())

    def apply(
        self, book: MemberBook, member: WorkingMember, content: Mapping[str, Any]
    ) -> list[Flag]:
        """A ``replace`` or ``block``: revoke the card, move the member to the new one."""
        kind, card = content["kind"], str(content["card"])
        if kind == "replace":
            new_card = str(content["new_card"])
            holder = book.by_card.get(new_card)
            if holder is not None and (holder is not member or new_card in book.revoked):
                return [
                    (
                        "card_in_use",
                        f"new card {new_card} already belongs to member {holder.member_id} "
                        "or was revoked; nothing was moved",
                    )
                ]
            if holder is None:
                book.by_card[new_card] = member
                member.card = new_card
                self.moved[member.member_id] = new_card
        if card not in book.revoked and (kind == "block" or card != member.card):
            book.revoked.add(card)
            self.revoked[card] = member.member_id
        return []

    def write(self) -> None:
        """Store the enrolled members' details, the revoked cards and the moves (after
        the members themselves: :meth:`ledger.member_book.MemberBook.write`)."""
        tx = self.tx
        tx.executemany(
            "UPDATE members SET name = ?, phone = ?, email = ?, consent = ?, enrolled_at = ?, "
            "enrolled_by = ?, birth_date = ? WHERE member_id = ?",
            [
                (
                    e.member.name,
                    e.member.phone,
                    e.email,
                    e.consent,
                    e.enrolled_at,
                    e.enrolled_by,
                    e.member.birth_date,
                    e.member.member_id,
                )
                for e in self.enrolled
            ],
        )
        if self.revoked:
            first = tx.allocate("changes", len(self.revoked))
            now = utc_now_iso()
            tx.executemany(
                "INSERT INTO revoked_cards (card, member_id, revoked_at, change_no) "
                "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [(c, m, now, first + i) for i, (c, m) in enumerate(self.revoked.items())],
            )
        tx.executemany(
            "UPDATE members SET card = ? WHERE member_id = ?",
            [(card, member_id) for member_id, card in self.moved.items()],
        )
