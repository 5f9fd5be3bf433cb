"""The domain's exceptions.

Every error carries a message a cashier or a store manager can act on: it says what
is wrong in plain words, never a stack trace or an internal code.

    LoyaltyError
    ├── InvalidCardNumber      a scanned or typed card number is not a valid member card
    ├── InvalidAmount          an amount cannot be read as money
    ├── RedemptionRefused      the programme does not allow this redemption
    └── ChainBroken            the journal's sequence or hash chain is not intact
"""

from __future__ import annotations


class LoyaltyError(Exception):
    """Base of the domain's errors; ``str(error)`` is the message for people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidCardNumber(LoyaltyError):
    """A card number failed validation; the message says which rule failed."""


class InvalidAmount(LoyaltyError):
    """An amount of money could not be parsed or is out of range."""


class RedemptionRefused(LoyaltyError):
    """A redemption breaks a programme rule (too few points, below the minimum, ...)."""


class ChainBroken(LoyaltyError):
    """The per-terminal sequence has a gap or a hash does not match its event."""
