"""What the sync engine needs from the till's local store, as a Protocol.

The engine lives in ``sync`` and may not import the till (``pos_client``); the till's
store implements this interface. Every method that writes does so in ONE local
transaction, which is what makes settling atomic (guarantee 4).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from loyalty.events import Event
from sync.protocol import CardRange, Change, MemberState, Void


@dataclass(frozen=True)
class ParkedEvent:
    """An event the ledger refused; kept locally, shown to a manager."""

    seq: int
    event_id: str
    code: str
    """``gap``, ``fork``, ``conflict``, ``malformed`` or ``refused``."""
    reason: str
    """The ledger's words."""


class LocalSide(Protocol):
    """The till's half of sync: its journal (the outbox) and its member cache."""

    def exclusive(self) -> AbstractContextManager[bool]:
        """Hold this till's sync lock for one run; yields False if another process
        (the app's background sync, ``pos-client sync``) holds it."""
        ...

    def confirmed_seq(self) -> int:
        """The highest sequence number the ledger has confirmed."""
        ...

    def chain_agrees(self, seq: int, event_hash: str) -> bool:
        """True when this till's event ``seq`` has ``event_hash`` (seq 0: the genesis
        hash): the ledger's record of this till is this till's own journal."""
        ...

    def events_after(self, seq: int, limit: int) -> list[Event]:
        """Up to ``limit`` journal events after ``seq``, in order."""
        ...

    def settle(self, high_water: int, members: Sequence[MemberState]) -> None:
        """In one transaction: store these confirmed balances (newer versions only)
        and raise the confirmed high-water mark to ``high_water``."""
        ...

    def park(self, event: ParkedEvent) -> None:
        """Remember that the ledger refused this event, with its reason."""
        ...

    def parked(self) -> list[ParkedEvent]: ...

    def voids(self, first: int, last: int) -> list[Void]:
        """The voids a manager decided for events ``first`` to ``last``: each goes to
        the ledger with its event, which the ledger then keeps but does not apply."""
        ...

    def pull_cursor(self) -> str | None:
        """Where the last completed pull ended (None: never pulled)."""
        ...

    def begin_pull(self) -> None:
        """Forget changes staged by an unfinished pull."""
        ...

    def stage_changes(self, changes: Sequence[Change]) -> None:
        """Keep one page of changes aside; they do not affect balances yet."""
        ...

    def finish_pull(self, next_cursor: str, high_water: int, fresh: bool = True) -> int:
        """In one transaction: apply every staged change, store the cursor and raise
        the high-water mark (after a new epoch, set it: the cache now holds exactly
        the ledger's states). ``fresh``: this sync's push reached the journal's tip,
        so the offline limits count from now. Returns the number of members updated."""
        ...

    def ledger_epoch(self) -> str | None:
        """The ledger epoch this till last saw (None: never told one)."""
        ...

    def remember_epoch(self, epoch: str) -> None:
        """Keep the epoch of a ledger met for the first time."""
        ...

    def push_position(self) -> int:
        """The last of this till's events the ledger holds, as far as the till knows:
        the confirmed mark, or lower while events lost by the ledger go again."""
        ...

    def begin_epoch(self, epoch: str, high_water: int) -> None:
        """The ledger lost data (a new epoch): in one transaction keep ``epoch``, push
        again from ``high_water`` (the ledger's, checked to be this till's own), forget
        the cursor, and mark every cached member, programme version and product as
        from the old epoch, so the next pull (a full one) replaces them and removes
        those the ledger no longer has. Balances shown keep counting each event once
        in the meantime."""
        ...

    def pending(self) -> tuple[int, str | None]:
        """(number of unconfirmed events, recorded_at of the oldest of them)."""
        ...

    def cache_member(self, member: MemberState, high_water: int) -> bool:
        """Add a member found by an online lookup; False if it could double-count."""
        ...

    def store_card_ranges(self, ranges: Sequence[CardRange]) -> None:
        """Keep the card number ranges the ledger gave this till for enrolments
        (ranges already held keep the next number to give out)."""
        ...

    def card_numbers_left(self) -> int:
        """How many card numbers this till may still give new members."""
        ...
