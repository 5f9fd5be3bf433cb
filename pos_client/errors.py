"""The till's exceptions, each with a message a cashier or manager can act on.

    LoyaltyError (loyalty.errors)
    └── TillError
        ├── NoMemberSelected   an operation needs a member and none is shown
        ├── UnknownCard        a valid card number this till does not know
        ├── UnsupportedScan    a code the till recognises but does not accept yet
        ├── CardBlocked        the card is blocked by the programme
        │   └── CardReplaced   the member has a new card; this one is no longer used
        ├── ReceiptNotFound    a receipt number that is not in this till's journal
        ├── RefundRefused      a refund that cannot be made (wrong kind, twice)
        ├── SaleRefused        the basket cannot be sold or changed as asked
        ├── UnknownProduct     a product barcode that is not in the catalogue
        ├── StoreError         the local database cannot be opened or trusted
        ├── StaffRefused       a sign-in or approval refused
        │   ├── UnknownStaff   no such staff number or badge at this store
        │   ├── WrongPin       the PIN does not match (tries left)
        │   ├── LockedOut      too many wrong PINs at this till (until when)
        │   └── NotAManager    a manager's action with a cashier's PIN
        ├── NotSignedIn        nobody is signed in
        ├── ApprovalRequired   the action needs a manager's approval
        ├── ManagerActionRefused  a manager's action that cannot be recorded as asked
        └── NoCardNumbers      no card numbers left for enrolments
    ConfigError                the configuration file is missing or wrong

Domain errors (``InvalidCardNumber``, ``InvalidAmount``, ``RedemptionRefused``) pass
through the till unchanged; the UI catches ``LoyaltyError`` and shows the message.
"""

from __future__ import annotations

from loyalty.cards import mask_card_number
from loyalty.errors import LoyaltyError


class TillError(LoyaltyError):
    """Base of the till's own errors."""


class NoMemberSelected(TillError):
    def __init__(self) -> None:
        super().__init__("Scan a member card first.")


class UnknownCard(TillError):
    """A well-formed card number that is not in this till's member cache."""


class UnsupportedScan(TillError):
    """A member QR token or a voucher: recognised, not yet accepted at the till."""


class CardBlocked(TillError):
    """The programme has blocked this card (lost, replaced or misused)."""


class CardReplaced(CardBlocked):
    """A card the member no longer uses: the ledger gave them a new one. Only the
    card is refused; the member and their points are on the new card."""

    @classmethod
    def of(cls, card: str) -> CardReplaced:
        return cls(
            f"Card {mask_card_number(card)} was replaced by a new card and can no longer "
            "be used. Ask the member for their new card; their points are on it."
        )


class ReceiptNotFound(TillError):
    """No event of this till carries that receipt number."""


class RefundRefused(TillError):
    """The receipt exists but cannot be refunded (not a sale, or nothing left)."""


class SaleRefused(TillError):
    """The basket cannot be changed or finished as asked (the message says why)."""


class UnknownProduct(TillError):
    """A valid product barcode that is not in the till's catalogue."""


class StoreError(TillError):
    """The local database cannot be opened with the durability the till needs."""


class ConfigError(Exception):
    """The configuration is missing or wrong; the message names the file and the key."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class StaffRefused(TillError):
    """A sign-in or approval that cannot be accepted (the message says why)."""


class UnknownStaff(StaffRefused):
    """No active staff member of this store has that number or badge."""


class WrongPin(StaffRefused):
    """The PIN does not match; ``tries_left`` before the lockout."""

    def __init__(self, message: str, tries_left: int) -> None:
        super().__init__(message)
        self.tries_left = tries_left


class LockedOut(StaffRefused):
    """Too many wrong PINs at this till: refused until ``until`` (ISO 8601)."""

    def __init__(self, message: str, until: str) -> None:
        super().__init__(message)
        self.until = until


class NotAManager(StaffRefused):
    """A manager's action attempted with a cashier's PIN."""


class NotSignedIn(TillError):
    """Nobody is signed in at this till: sign in first."""


class ApprovalRequired(TillError):
    """The programme says this action needs a manager's approval and none was given:
    the UI asks a manager for their PIN and tries again with the approval."""

    def __init__(self, action: str, amount: int, message: str) -> None:
        super().__init__(message)
        self.action = action
        self.amount = amount


class ManagerActionRefused(TillError):
    """A manager's action that cannot be recorded as asked (a correction without a
    reason, a card already in use, ...); the message says why and nothing is recorded."""


class NoCardNumbers(TillError):
    """This till has no card numbers left for enrolments (the ledger gives more when
    it syncs)."""
