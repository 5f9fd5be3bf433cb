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
        └── StoreError         the local database cannot be opened or trusted
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
