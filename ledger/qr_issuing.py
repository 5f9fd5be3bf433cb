"""Issuing a member QR token: the member's fields as the ledger knows them, signed.

Both ``pos-ledger qr CARD`` (a printed card, or an app token by hand) and the
member app's ``POST /v1/member-app/token`` (:mod:`ledger.member_app_route`) come
here. A token (:class:`loyalty.member_token.MemberToken`) certifies, at the moment
it is issued:

* the member's id, current card and tier;
* the **card generation**: 1 + the number of ``revoked_cards`` rows of the member
  (:func:`card_generation`). This is THE rule: a till counts the cards it knows out of
  use for the member the same way (``pos_client/store/token_memory.min_generation``),
  so a card replaced, reported lost or merged away raises the generation and every
  token issued before it is refused once a till has learnt of it;
* the **balance**: the member's confirmed account of the main wallet of the
  programme in force (``points`` when it has none), clamped to the token's int32,
  as of the issue time.

It is signed by the newest key of its use that signs now (:func:`ledger.qr_keys.
signing_key`). A printed card's token is multi-use and valid :data:`ledger.qr_keys.
TOKEN_HOURS` (730 days), an app token single-use unless asked otherwise and valid 48
hours. The nonce is random, drawn again while the text would end in a space
(scanners and input fields trim a trailing space, and Base45 has one; its last
character can never be a space today, docs/MEMBER_QR.md section 1, but the issuer
does not rest on that).

A blocked or merged member, a card no member holds, or ids too long for a token
raise :class:`IssueRefused` with the reason; nothing is written by issuing.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import programmes
from ledger.db import Tx
from ledger.errors import AdminError
from ledger.members import POINTS, decode_accounts
from ledger.qr_keys import TOKEN_HOURS, required_settings, signing_key
from loyalty.member_token import MAX_NAMES, MemberToken, TokenFormatError, TokenUse, issue

INT32: Final = (-(2**31), 2**31 - 1)
MAX_GENERATION: Final = 255
"""The card generation is one byte in a token."""


class IssueRefused(AdminError):
    """The ledger issues no token for this member or card (blocked, merged, unknown,
    ids too long for a token); the reason says why."""


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token issued, and its QR text."""

    token: MemberToken
    text: str

    @property
    def replay_id(self) -> str:
        return self.token.replay_id

    @property
    def expires_at(self) -> int:
        return self.token.expires_at


@dataclass(frozen=True, slots=True)
class MemberFacts:
    """What a token certifies about a member, read in one transaction."""

    member_id: str
    card: str
    tier: str
    card_generation: int
    balance: int


def random_nonces() -> Iterator[int]:
    """Random 16-bit nonces, for ever."""
    while True:
        yield secrets.randbelow(0x10000)


def sign_token(
    token: MemberToken, key: Ed25519PrivateKey, nonces: Iterable[int] | None = None
) -> IssuedToken:
    """``token`` signed with ``key``, its nonce the first of ``nonces`` (random by
    default; tests and the vectors pass theirs) whose text does not end in a space.
    Every other field is signed as given."""
    for nonce in random_nonces() if nonces is None else nonces:
        candidate = replace(token, nonce=nonce)
        try:
            text = issue(candidate, key)
        except TokenFormatError as exc:
            raise IssueRefused(f"Member {token.member_id}: {exc}") from None
        if not text.endswith(" "):
            return IssuedToken(candidate, text)
    raise IssueRefused("Every nonce given makes a token text that ends in a space.")


def issue_token(
    tx: Tx,
    use: TokenUse,
    *,
    card: str | None = None,
    member_id: str | None = None,
    single_use: bool | None = None,
    now: int | None = None,
    nonces: Iterable[int] | None = None,
) -> IssuedToken:
    """A fresh token of ``use`` for the member holding ``card`` (or with ``member_id``),
    issued at ``now`` (Unix seconds; the clock by default). ``single_use`` defaults to
    True for an app token and False for a card's. See the module doc for the fields."""
    at = int(time.time()) if now is None else now
    issuer = required_settings(tx).issuer
    member = member_facts(tx, card=card, member_id=member_id, now=at)
    key = signing_key(tx, use, at)
    token = MemberToken(
        use=use,
        single_use=(use is TokenUse.APP) if single_use is None else single_use,
        issuer=issuer,
        key_id=key.key_id,
        issued_at=at,
        valid_hours=TOKEN_HOURS[use],
        card=member.card,
        card_generation=member.card_generation,
        balance=member.balance,
        balance_as_of=at,
        nonce=0,
        tier=member.tier,
        member_id=member.member_id,
    )
    return sign_token(token, key.private_key(), nonces)


def member_facts(
    tx: Tx, *, card: str | None = None, member_id: str | None = None, now: int
) -> MemberFacts:
    """The member holding ``card`` (or with ``member_id``) as a token certifies them at
    ``now``; :class:`IssueRefused` for an unknown, replaced, blocked or merged one,
    or ids a token cannot hold."""
    select = "SELECT member_id, card, tier, status, merged_into, accounts FROM members WHERE "
    if card is not None:
        row = tx.one(select + "card = ?", (card,))
        if row is None:
            raise IssueRefused(_unknown_card(tx, card))
    else:
        row = tx.one(select + "member_id = ?", (member_id,))
        if row is None:
            raise IssueRefused(f"There is no member {member_id}.")
    found, current_card, tier, status, merged_into, accounts = row
    if merged_into is not None:
        raise IssueRefused(
            f"Member {found} was merged into {merged_into}: issue for {merged_into}'s card."
        )
    if status == "blocked":
        raise IssueRefused(
            f"Member {found} is blocked: no member code is issued until they are unblocked."
        )
    names = len(str(tier).encode()) + len(str(found).encode())
    if names > MAX_NAMES:
        raise IssueRefused(
            f"Member {found}'s tier id ({tier!r}) and member id take {names} bytes; a member "
            f"code holds {MAX_NAMES}. The member uses their card."
        )
    generation = card_generation(tx, str(found))
    if generation > MAX_GENERATION:
        raise IssueRefused(
            f"Member {found} has had {generation - 1} cards taken out of use; a member code "
            f"counts up to {MAX_GENERATION - 1}."
        )
    wallet = main_wallet(tx, now)
    balance = decode_accounts(str(accounts)).get(wallet, 0)
    return MemberFacts(
        member_id=str(found),
        card=str(current_card),
        tier=str(tier),
        card_generation=generation,
        balance=min(max(balance, INT32[0]), INT32[1]),
    )


def card_generation(tx: Tx, member_id: str) -> int:
    """1 + the number of the member's cards out of use (``revoked_cards`` rows of the
    member: replaced, reported lost, or a merged member's cards). The till counts the
    cards it knows out of use for the member the same way."""
    row = tx.one("SELECT COUNT(*) FROM revoked_cards WHERE member_id = ?", (member_id,))
    return 1 + (int(row[0]) if row else 0)


def main_wallet(tx: Tx, now: int) -> str:
    """The main wallet of the programme in force at ``now`` (the one a cashier talks
    about and a member redeems: :attr:`loyalty.programme.Programme.main_wallet`), or
    ``points`` when it has none."""
    moment = datetime.fromtimestamp(now, UTC).isoformat()
    row = tx.one(
        "SELECT document, content_hash FROM programme_versions WHERE effective_utc <= ? "
        "ORDER BY effective_utc DESC, version DESC LIMIT 1",
        (moment,),
    )
    if row is None:
        return POINTS
    wallet = programmes.parsed(str(row[0]), str(row[1])).main_wallet
    return POINTS if wallet is None else wallet.id


def _unknown_card(tx: Tx, card: str) -> str:
    row = tx.one(
        "SELECT m.member_id, m.card FROM revoked_cards r JOIN members m "
        "ON m.member_id = r.member_id WHERE r.card = ?",
        (card,),
    )
    if row is not None:
        return (
            f"Card {card} is out of use (replaced); member {row[0]}'s card is now {row[1]}: "
            "issue for that card."
        )
    return f"No member has card {card}."
