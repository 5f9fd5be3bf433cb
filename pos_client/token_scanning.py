"""Identifying a member by the QR token on their phone or card, offline.

A scanned ``LTY1:`` token is checked with the keyset this till trusts
(:mod:`loyalty.token_check`, :mod:`pos_client.store.token_memory`): its programme,
key, signature, time window, the member's minimum card generation and, for a
single-use token, whether it identified someone here before. Then:

* a member this till has cached is selected as by their card;
* a member it has never seen is asked of the ledger when it can be reached, and
  otherwise cached from the token itself: member id, card, tier and the certified
  balance, at version 0 so that any state from the ledger replaces it. The member
  earns at once; what they may redeem is the certified balance minus what this till
  has recorded for them and not yet had confirmed, within the offline daily cap
  (:mod:`pos_client.offline_bounds`).

Every event recorded for the member while they stay selected carries
``identified_by: {via: token, replay_id}``; the ledger flags a single-use token that
identified a member at two tills. A single-use token is remembered only once the
member is selected (a refusal for a blocked member does not use it up), and scanning
it again while its member is still at the till selects them again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from loyalty.field_checks import IDENTIFIED_BY_TOKEN
from loyalty.member_token import MemberToken, TokenFormatError, read
from loyalty.token_check import check_token
from pos_client.errors import UnknownCard, UnsupportedScan
from pos_client.store import CachedMember
from pos_client.store.member_states import store_states
from pos_client.store.token_memory import held_keyset, min_generation, remember_use, used_here
from pos_client.store.transaction import read_transaction, write_transaction
from pos_client.views import MemberView

if TYPE_CHECKING:
    from loyalty.programme import ProgrammeVersion
    from pos_client.config import TillConfig
    from pos_client.ledger_link import LedgerLink
    from pos_client.store import LocalStore


class TokenScanning:
    """The Till's scan of a member QR token."""

    config: TillConfig
    store: LocalStore
    link: LedgerLink | None
    clock: Callable[[], datetime]
    _lock: threading.RLock
    _member: MemberView | None
    _identified: dict[str, str] | None
    """``identified_by`` of the member selected, when a token identified them."""

    if TYPE_CHECKING:

        def version(self, at: datetime | None = None) -> ProgrammeVersion: ...
        def _view(self, card: str) -> MemberView: ...
        def _selectable(self, card: str, member: MemberView) -> MemberView: ...

    def select_by_token(self, text: str) -> MemberView:
        """Select the member a QR token names; raises :class:`TokenRefused` (with the
        cashier's words), UnsupportedScan (no root key configured) or the card errors
        of :meth:`select_member`. The member who was selected is cleared first."""
        with self._lock:
            again = self._identified
            self._member, self._identified = None, None
            root_key = self.config.member_qr.root_key
            if root_key is None:
                raise UnsupportedScan(
                    "Member QR codes are not set up at this till. Scan the member's card."
                )
            now = int(self.clock().timestamp())
            with read_transaction(self.store.conn):
                keyset = held_keyset(self.store.settings, root_key)
                generation, seen = self._member_facts(text, again)
            token = check_token(text, keyset, now, min_generation=generation, seen=seen).token
            member = self._selectable(token.card, self._member_of(token))
            if token.single_use and not seen:
                with write_transaction(self.store.conn) as conn:
                    if not used_here(conn, token.replay_id):
                        remember_use(
                            conn,
                            token.replay_id,
                            token.member_id,
                            token.expires_at,
                            now,
                            datetime.fromtimestamp(now, UTC).isoformat(),
                        )
            self._member = member
            self._identified = {"via": IDENTIFIED_BY_TOKEN, "replay_id": token.replay_id}
            return member

    def _member_facts(self, text: str, again: dict[str, str] | None) -> tuple[int, set[str]]:
        """The member's minimum card generation and, for a single-use token used here
        before by someone not still at the till, its replay id (as the seen set)."""
        try:
            token = read(text).token
        except TokenFormatError:
            return 1, set()  # the check refuses it as damaged
        generation = min_generation(self.store.conn, token.member_id)
        if again is not None and again["replay_id"] == token.replay_id:
            return generation, set()  # scanned again while its member is at the till
        seen = {token.replay_id} if used_here(self.store.conn, token.replay_id) else set()
        return generation, seen

    def _member_of(self, token: MemberToken) -> MemberView:
        """The member as this till knows them; one never seen is asked of the ledger,
        and otherwise cached from the token."""
        try:
            return self._view(token.card)
        except UnknownCard:
            pass
        cached = self.store.members.get_by_id(token.member_id)
        if cached is not None and cached.card:
            return self._view(cached.card)  # a card newer than the token's, known here
        if cached is None and (self.link is None or not self.link.lookup(token.card)):
            self._cache_from_token(token)
        return self._view(token.card)

    def _cache_from_token(self, token: MemberToken) -> None:
        wallet = self.version().programme.main_wallet
        certified = CachedMember(
            card=token.card,
            member_id=token.member_id,
            name="",
            tier=token.tier,
            status="active",
            flagged=False,
            updated_at=datetime.fromtimestamp(token.balance_as_of, UTC).isoformat(),
            version=0,
            accounts={wallet.id if wallet else "points": token.balance} if token.balance else {},
        )
        with write_transaction(self.store.conn) as conn:
            store_states(conn, [certified.row()], newer_only=True)


def token_fields(
    identified: dict[str, str] | None, member: MemberView, selected: MemberView | None
) -> dict[str, Any]:
    """``identified_by`` for an event of ``member`` when a token identified the member
    ``selected`` at the till and it is the same member; else nothing."""
    if identified is None or selected is None or selected.member_id != member.member_id:
        return {}
    return {"identified_by": dict(identified)}
