"""The manager's member desk at the till: search, a member's status, their history.

:class:`MemberDesk` is part of :class:`pos_client.till.Till`; with
:class:`~pos_client.manager_actions.ManagerActions` (corrections, card replacement
and blocking) and :class:`~pos_client.enrolling.Enrolling` (sign-up, card numbers,
member cards) it is everything a manager does with members. Search and status read
the local cache only (offline too); the history asks the ledger briefly and falls
back to this till's own journal.

    hits = till.search_members("912 34 567")
    status = till.member_status(hits[0].member_id)
    page = till.member_history(hits[0].member_id)
"""

from __future__ import annotations

from loyalty.programme.model import QUALIFYING_SPEND, STAMPS_PREFIX
from pos_client.enrolling import Enrolling
from pos_client.errors import ManagerActionRefused
from pos_client.manager_actions import ManagerActions
from pos_client.member_desk_views import (
    AccountLine,
    CardState,
    HistoryPage,
    HistoryRow,
    MemberCard,
    MemberHit,
    MemberStatus,
    StampLine,
    mask_phone,
)
from pos_client.member_history import row_of_event, row_of_ledger_event
from pos_client.store.journal import row_to_event
from pos_client.store.member_search import member_journal, search
from pos_client.store.transaction import read_transaction
from pos_client.tier_progress import way_to_next_tier
from sync.errors import SyncError

MAX_PAGE_SIZE = 200
_CARD_STATES: dict[str, CardState] = {
    "active": "active",
    "replaced": "replaced",
    "revoked": "revoked",
}


class MemberDesk(ManagerActions, Enrolling):
    """Search, status and history of members (see the module doc)."""

    def search_members(self, text: str, limit: int = 20) -> list[MemberHit]:
        """Members whose member id, card (whole, or its last 4+ digits), phone (any
        format) or name (every word, any case) matches ``text``; best keys first,
        at most ``limit``. Reads the local cache only."""
        with read_transaction(self.store.conn):
            found = search(self.store.conn, text, limit)
            cached = {f.member_id: self.store.members.get_by_id(f.member_id) for f in found}
        hits = []
        for hit in found:
            member = cached[hit.member_id]
            if member is None:
                continue
            hits.append(
                MemberHit(
                    member_id=hit.member_id,
                    name=member.name,
                    card=hit.card,
                    card_state=_CARD_STATES.get(hit.card_state or ""),
                    masked_phone=mask_phone(member.phone),
                    tier=member.tier,
                    blocked=member.blocked,
                )
            )
        return hits

    def member_status(self, member_id: str) -> MemberStatus:
        """Everything the till knows of the member now, read offline: balances
        confirmed and pending per account, tier and the way to the next, stamps,
        vouchers, offers, expiring points, flags, cards and phone."""
        with self._lock:
            member = self._member_by_id(member_id)
            cached = self.store.members.get_by_id(member.member_id)
            cards = self._cards_of(member.member_id)
        if cached is None:  # pragma: no cover - the view was just read from the cache
            raise ManagerActionRefused(f"No member {member_id!r} at this till.")
        info = member.programme
        wallets = [w.id for w in info.wallets] if info is not None else [member.main_wallet]
        others = sorted(
            account
            for account in {*member.confirmed, *member.unconfirmed}
            if account not in wallets
            and account != QUALIFYING_SPEND
            and not account.startswith(STAMPS_PREFIX)
        )
        today = self.clock().date()
        return MemberStatus(
            member=member,
            accounts=tuple(
                AccountLine(a, member.confirmed.get(a, 0), member.unconfirmed.get(a, 0))
                for a in [*wallets, *others]
            ),
            tier=member.tier,
            next_tier=way_to_next_tier(member, today),
            stamps=tuple(
                StampLine(c.card, member.stamps(c.card), c.goal, c.reward_name)
                for c in (info.stamp_cards if info is not None else ())
            ),
            vouchers=member.vouchers,
            offers=member.offers,
            expiring=member.expiring,
            flagged=cached.flagged,
            flag_reasons=cached.flag_reasons,
            cards=tuple(MemberCard(card, _CARD_STATES[state]) for card, state in cards),
            phone=cached.phone,
            pending_events=len(member.unsynced),
        )

    def member_history(self, member_id: str, page: int = 0, page_size: int = 20) -> HistoryPage:
        """Page ``page`` (0: the newest) of the member's events, newest first. From the
        ledger when it answers within the lookup timeout (this till's events it has
        not confirmed yet head page 0); otherwise, or on any error, this till's own
        events of the member (``source`` says which)."""
        if page < 0 or not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ManagerActionRefused(
                f"A history page is a page number from 0 and 1 to {MAX_PAGE_SIZE} rows."
            )
        member = self._member_by_id(member_id)
        if self.link is not None and self.link.connected:
            try:
                return self._ledger_history(member.member_id, page, page_size)
            except SyncError:
                pass
        return self._till_history(member.member_id, page, page_size)

    def _till_history(self, member_id: str, page: int, page_size: int) -> HistoryPage:
        with read_transaction(self.store.conn):
            rows = member_journal(self.store.conn, member_id, page * page_size, page_size + 1)
            confirmed = self.store.confirmed_seq
        zone = self.clock().tzinfo
        events = [row_to_event(r) for r in rows]
        return HistoryPage(
            rows=tuple(
                row_of_event(e, confirmed, zone, self.store.receipt_numbering)
                for e in events[:page_size]
            ),
            page=page,
            has_more=len(events) > page_size,
            source="this till (offline)",
        )

    def _ledger_history(self, member_id: str, page: int, page_size: int) -> HistoryPage:
        """One page from the ledger. Pages are cut by the ledger's ``before``; the
        start of each page found is remembered, and page 0 (which new events change)
        starts the walk afresh."""
        assert self.link is not None
        client, timeout = self.link.client, self.link.config.lookup_timeout
        starts = self._history_starts(member_id, page_size, fresh=page == 0)
        while len(starts) <= page:
            walked = client.member_events(member_id, starts[-1], page_size, timeout=timeout)
            if walked.next_before is None:
                return HistoryPage((), page, False, "ledger")
            starts.append(walked.next_before)
        answer = client.member_events(member_id, starts[page], page_size, timeout=timeout)
        if len(starts) == page + 1 and answer.next_before is not None:
            starts.append(answer.next_before)
        zone = self.clock().tzinfo
        numbering = self.store.receipt_numbering
        rows = [
            row_of_ledger_event(e, self.config.terminal_id, zone, numbering) for e in answer.events
        ]
        if page == 0:
            held = {(e.terminal_id, e.seq) for e in answer.events}
            rows = self._pending_rows(member_id, held) + rows
        return HistoryPage(tuple(rows), page, answer.next_before is not None, "ledger")

    def _pending_rows(self, member_id: str, held: set[tuple[str, int]]) -> list[HistoryRow]:
        """This till's events of the member the ledger has not confirmed (and its
        answer did not list), newest first."""
        with read_transaction(self.store.conn):
            events = self.store.journal.unconfirmed(member_id)
            confirmed = self.store.confirmed_seq
        zone = self.clock().tzinfo
        return [
            row_of_event(e, confirmed, zone, self.store.receipt_numbering)
            for e in reversed(events)
            if (e.terminal_id, e.seq) not in held
        ]

    def _history_starts(self, member_id: str, page_size: int, fresh: bool) -> list[int | None]:
        """The ``before`` of each page of the member's ledger history found so far
        (page 0: None); ``fresh`` forgets them."""
        memo: dict[tuple[str, int], list[int | None]] = vars(self).setdefault(
            "_history_page_starts", {}
        )
        if fresh:
            memo.clear()
        return memo.setdefault((member_id, page_size), [None])
