"""Checking a scanned member token offline, step by step, with the cashier's words.

The steps run in a fixed order (:data:`STEPS`) and stop at the first that fails:

1. ``format``: the prefix, canonical Base45, the length and every field's range
   (:func:`loyalty.member_token.read`);
2. ``programme``: the token's issuer is the keyset's;
3. ``key``: its key id is in the keyset, not revoked, and of the token's use;
4. ``signature``: Ed25519 over the domain and the body;
5. ``key_period``: the key's validity period holds the token's issue time;
6. ``time``: now is within the token's window, give or take :data:`CLOCK_TOLERANCE`;
7. ``generation``: the card generation is not below the member's minimum (a card
   replaced or reported lost raises it);
8. ``replay``: a single-use token has not identified a member at this till before.

The same order is in docs/MEMBER_QR.md and in the test vectors (tests/vectors/), which
record the outcome of every step. Nothing here reads a clock or a database: the caller
passes the time, the member's minimum generation and the replay ids it remembers.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from cryptography.exceptions import InvalidSignature

from loyalty.errors import LoyaltyError
from loyalty.member_token import MemberToken, TokenFormatError, read, signed_message
from loyalty.token_keys import Keyset, public_key_of

CLOCK_TOLERANCE: Final = 300
"""Seconds a till's clock may be off either way: a token issued up to five minutes
"in the future", or expired up to five minutes ago, is still accepted."""

STEPS: Final = (
    "format",
    "programme",
    "key",
    "signature",
    "key_period",
    "time",
    "generation",
    "replay",
)


class Refusal(StrEnum):
    """Why a token is refused (the vectors' ``result``)."""

    DAMAGED = "damaged"
    OTHER_PROGRAMME = "other_programme"
    UNKNOWN_KEY = "unknown_key"
    REVOKED = "revoked"
    BAD_SIGNATURE = "bad_signature"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    OLD_CARD = "old_card"
    REPLAYED = "replayed"


WORDS: Final[dict[Refusal, str]] = {
    Refusal.DAMAGED: "This member code is damaged and cannot be read. Scan the card, "
    "or ask the member to show the code again.",
    Refusal.OTHER_PROGRAMME: "This member code is from another programme.",
    Refusal.UNKNOWN_KEY: "This member code is newer than this till knows. Scan the card, "
    "or try again after the till has synced.",
    Refusal.REVOKED: "This member code is revoked. Ask the member for a new code or their card.",
    Refusal.BAD_SIGNATURE: "This member code is damaged or altered. Scan the card, "
    "or ask the member to show the code again.",
    Refusal.EXPIRED: "This member code has expired. Ask the member to refresh it in the app.",
    Refusal.NOT_YET_VALID: "This member code is not valid yet. Check the till's clock, or "
    "ask the member to refresh it.",
    Refusal.OLD_CARD: "This member code belongs to a card the member no longer uses. Ask for "
    "their current card or a new code.",
    Refusal.REPLAYED: "This member code was already used. Ask the member to refresh it in the app.",
}
"""What the cashier reads for each refusal."""


class TokenRefused(LoyaltyError):
    """A member token the till does not accept, with the reason and the steps run."""

    def __init__(self, refusal: Refusal, detail: str, steps: dict[str, str]) -> None:
        super().__init__(WORDS[refusal])
        self.refusal, self.detail, self.steps = refusal, detail, steps


@dataclass(frozen=True, slots=True)
class Accepted:
    """A token that passed every step."""

    token: MemberToken
    steps: dict[str, str] = field(default_factory=dict)


def check_token(
    text: str,
    keyset: Keyset | None,
    now: int,
    *,
    min_generation: int = 1,
    seen: Container[str] = (),
) -> Accepted:
    """Run every step on ``text`` at Unix time ``now``; :class:`TokenRefused` at the
    first that fails. ``keyset`` None (none received yet) refuses as an unknown key."""
    steps: dict[str, str] = {}

    def refuse(step: str, refusal: Refusal, detail: str) -> TokenRefused:
        steps[step] = refusal.value
        return TokenRefused(refusal, detail, steps)

    try:
        read_token = read(text)
    except TokenFormatError as exc:
        raise refuse("format", Refusal.DAMAGED, str(exc)) from None
    token = read_token.token
    steps["format"] = "ok"
    if keyset is None:
        raise refuse("programme", Refusal.UNKNOWN_KEY, "This till holds no keyset yet.")
    if token.issuer != keyset.issuer:
        raise refuse(
            "programme",
            Refusal.OTHER_PROGRAMME,
            f"Issuer {token.issuer}, this programme is {keyset.issuer}.",
        )
    steps["programme"] = "ok"
    if token.key_id in keyset.revoked:
        raise refuse("key", Refusal.REVOKED, f"Key {token.key_id} is revoked.")
    key = keyset.key(token.key_id)
    if key is None:
        raise refuse(
            "key", Refusal.UNKNOWN_KEY, f"Key {token.key_id} is not in keyset {keyset.number}."
        )
    if key.use is not token.use:
        raise refuse("key", Refusal.BAD_SIGNATURE, f"Key {key.key_id} signs {key.use.name} tokens.")
    steps["key"] = "ok"
    try:
        public_key_of(key.public_key).verify(read_token.signature, signed_message(read_token.body))
    except InvalidSignature:
        raise refuse("signature", Refusal.BAD_SIGNATURE, "The signature does not match.") from None
    steps["signature"] = "ok"
    if not key.not_before <= token.issued_at <= key.not_after:
        raise refuse(
            "key_period",
            Refusal.EXPIRED if token.issued_at > key.not_after else Refusal.NOT_YET_VALID,
            f"Issued at {token.issued_at}, key {key.key_id} signs from {key.not_before} "
            f"to {key.not_after}.",
        )
    steps["key_period"] = "ok"
    if now + CLOCK_TOLERANCE < token.issued_at:
        raise refuse("time", Refusal.NOT_YET_VALID, f"Issued at {token.issued_at}, now {now}.")
    if now - CLOCK_TOLERANCE > token.expires_at:
        raise refuse("time", Refusal.EXPIRED, f"Expired at {token.expires_at}, now {now}.")
    steps["time"] = "ok"
    if token.card_generation < min_generation:
        raise refuse(
            "generation",
            Refusal.OLD_CARD,
            f"Card generation {token.card_generation}, the member's is {min_generation}.",
        )
    steps["generation"] = "ok"
    if token.single_use and token.replay_id in seen:
        raise refuse("replay", Refusal.REPLAYED, f"{token.replay_id} was used here before.")
    steps["replay"] = "ok"
    return Accepted(token, steps)
