"""Which journal events are a member's: one definition for the balance shown, the
offline bounds and the online lookup's overlap check.

An event is the member's when it carries their member id, or, for release 0.1.0's
events (written before events named the member, so ``member_id`` is empty), when
its card is one of the member's cards, current or old (``cards``). A card
replacement therefore moves nothing: what was recorded on the old card, synced or
not, stays the member's and counts once.
"""

from __future__ import annotations

from pos_client.store.settings import CONFIRMED_SEQ

MEMBER_EVENTS = (
    "(member_id IN (:member_id, '') AND (member_id != '' OR card IN "
    "(SELECT cards.card FROM cards WHERE cards.member_id = :member_id)))"
)
"""A condition on ``journal`` rows, with the named parameter ``:member_id``. (Written
with ``IN`` rather than ``OR`` so that SQLite reads both parts through
``journal_member_seq`` with the ``seq`` range of :data:`UNCONFIRMED`.)"""

UNCONFIRMED = f"seq > (SELECT CAST(value AS INTEGER) FROM settings WHERE key = '{CONFIRMED_SEQ}')"
"""A condition on ``journal`` rows: events the ledger has not confirmed yet (above
the ``confirmed_seq`` high-water mark). Read it in the same transaction as the
balances it is added to (guarantee 4)."""
