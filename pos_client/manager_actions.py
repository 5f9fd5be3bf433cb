"""A manager's actions on a member at the till: points corrections, card replacement
and card blocking.

Each checks everything first and records nothing when anything is wrong
(:class:`~pos_client.errors.ManagerActionRefused` says what, in a manager's words).
Then the programme version in force says whether a manager must approve
(:func:`pos_client.approvals.approval_fields` raises
:class:`~pos_client.errors.ApprovalRequired` before anything is recorded); the event
names that version, so the ledger judges the approval by the same rules. Events go
through the Till's ``_record``: durable, journalled, synced. A replacement or a block
changes this till's member cache in the same transaction as its event
(:mod:`pos_client.store.card_events`), so the old card is refused here at once.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Mapping
from typing import Any, Final

from loyalty.cards import validate_card_number
from loyalty.errors import InvalidCardNumber
from loyalty.events import Event, EventKind
from loyalty.programme.approvals import ADJUST_REASONS
from pos_client.approvals import Approval, approval_fields
from pos_client.desk_base import DeskBase
from pos_client.errors import ManagerActionRefused, UnknownCard
from pos_client.member_desk_views import CARD_REASONS
from pos_client.recording import programme_ref
from pos_client.store.card_events import apply_block, apply_replace
from pos_client.store.member_states import REPLACED, REVOKED
from pos_client.views import MemberView, Receipt

MAX_CORRECTION: Final = 1_000_000
"""The largest correction of one wallet at once, in its units (points, or minor units
of a money wallet): anything larger is a typing mistake, not a correction."""
NOTE_LENGTH: Final = 1000
"""The longest note an event carries (``loyalty.event_fields``)."""


def checked_reason(reason: str, note: str, reasons: Mapping[str, str], what: str) -> str:
    """``reason`` if it is one of ``reasons`` and the note says why when it is
    ``other``; raises ManagerActionRefused naming what is missing."""
    reason = reason.strip()
    choices = ", ".join(reasons)
    if not reason:
        raise ManagerActionRefused(f"Choose a reason for the {what} ({choices}).")
    if reason not in reasons:
        raise ManagerActionRefused(f"{reason!r} is not a reason for the {what}: use {choices}.")
    if reason == "other" and not note.strip():
        raise ManagerActionRefused(f"Say in the note why the {what} is made (reason: other).")
    if len(note.strip()) > NOTE_LENGTH:
        raise ManagerActionRefused(f"The note is longer than {NOTE_LENGTH} characters.")
    return reason


def _card(text: str, which: str) -> str:
    try:
        return validate_card_number(text)
    except InvalidCardNumber as error:
        raise ManagerActionRefused(f"The {which} is not a valid card number: {error}") from None


class ManagerActions(DeskBase):
    """Corrections, card replacement and blocking (see the module doc)."""

    def correct_points(
        self,
        member_id: str,
        wallet: str,
        points: int,
        reason: str,
        note: str,
        approval: Approval | None,
    ) -> Receipt:
        """Record an ``adjust`` of ``points`` (signed, non-zero, at most
        :data:`MAX_CORRECTION` in size) on ``wallet`` of the member, for ``reason``
        (one of ``loyalty.programme.approvals.ADJUST_REASONS``; ``other`` needs a
        note). A correction that would make the shown balance negative is refused."""
        with self._lock:
            member = self._member_by_id(member_id)
            version = self.version()
            programme = version.programme
            reason = checked_reason(reason, note, ADJUST_REASONS, "correction")
            if programme.wallet(wallet) is None:
                names = ", ".join(w.id for w in programme.wallets)
                raise ManagerActionRefused(
                    f"The {programme.name} programme has no wallet {wallet!r} (it has {names})."
                )
            if isinstance(points, bool) or not isinstance(points, int) or points == 0:
                raise ManagerActionRefused("A correction changes the balance: give the points.")
            if abs(points) > MAX_CORRECTION:
                raise ManagerActionRefused(
                    f"A correction is at most {MAX_CORRECTION:,} at once; check the figure."
                )
            balance = member.total(wallet)
            if balance + points < 0:
                raise ManagerActionRefused(
                    f"The correction would make the balance negative: the member has "
                    f"{balance} and the correction takes {-points}."
                )
            fields = {
                "programme": programme_ref(version),
                "postings": {wallet: points},
                "reason": reason,
                "note": note.strip() or None,
                **approval_fields(programme.approvals, "adjust", abs(points), approval),
            }
            return self._record(EventKind.ADJUST, member, fields, also=None)

    def replace_card(
        self, old_card: str, new_card: str, reason: str, note: str, approval: Approval | None
    ) -> MemberView:
        """Record a ``replace`` of the member's ``old_card`` by ``new_card`` (a valid
        card number this till does not know) for ``reason`` (lost, stolen, damaged,
        other with a note). From now on a scan of the old card is refused here and
        the new card selects the member, offline too. Returns the member under the
        new card."""
        with self._lock:
            old = _card(old_card, "old card")
            new = _card(new_card, "new card")
            member = self._known_card(old)
            if self._card_state(old) == REPLACED:
                raise ManagerActionRefused(
                    f"Card {member.masked_card} was already replaced; replace the member's "
                    "current card instead."
                )
            if new == old or self._card_state(new) is not None:
                raise ManagerActionRefused(
                    f"The new card {new[-4:]} is already known to this till: give the "
                    "member an unused card."
                )
            fields = {
                **self._card_fields("card replacement", reason, note, approval),
                "new_card": new,
            }

            def replace_here(conn: sqlite3.Connection, event: Event) -> None:
                apply_replace(conn, event.member_id, new)

            self._record(EventKind.REPLACE, member, fields, also=replace_here)
            self._refresh_selected(member.member_id)
            return self._view(new)

    def block_card(
        self, card: str, reason: str, note: str, approval: Approval | None
    ) -> MemberView:
        """Record a ``block`` of ``card`` for ``reason`` (lost, stolen, damaged, other
        with a note): refused at this till at once, at every till once they sync.
        The member and their points are not affected. Returns the member (under
        their active card if they have another one)."""
        with self._lock:
            blocked = _card(card, "card")
            member = self._known_card(blocked)
            if self._card_state(blocked) == REVOKED:
                raise ManagerActionRefused(f"Card {member.masked_card} is already blocked.")
            fields = self._card_fields("card block", reason, note, approval)

            def block_here(conn: sqlite3.Connection, event: Event) -> None:
                apply_block(conn, event.member_id, event.card, event.recorded_at)

            self._record(EventKind.BLOCK, member, fields, also=block_here)
            self._refresh_selected(member.member_id)
            return self._member_by_id(member.member_id)

    def _card_fields(
        self, what: str, reason: str, note: str, approval: Approval | None
    ) -> dict[str, Any]:
        """The fields of a ``replace`` or ``block`` (an approval of ``replace_card``)."""
        version = self.version()
        return {
            "programme": programme_ref(version),
            "postings": {},
            "reason": checked_reason(reason, note, CARD_REASONS, what),
            "note": note.strip() or None,
            **approval_fields(version.programme.approvals, "replace_card", 0, approval),
        }

    def _card_state(self, card: str) -> str | None:
        return self.store.members.card_state(card)

    def _known_card(self, card: str) -> MemberView:
        """The member who has or had ``card``, under that card."""
        try:
            return self._view(card)
        except UnknownCard:
            raise ManagerActionRefused(
                f"Card {card[-4:]} is not known to this till: search for the member."
            ) from None

    def _refresh_selected(self, member_id: str) -> None:
        """The member at the till, if it is this one, read again (their card may have
        changed state)."""
        selected = self._member
        if selected is not None and selected.member_id == member_id:
            with contextlib.suppress(UnknownCard):
                self._member = self._view(selected.card)
