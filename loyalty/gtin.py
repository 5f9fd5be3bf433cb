"""Product barcodes: EAN-13, EAN-8 and UPC-A numbers (GTINs) and their check digit.

The check digit is computed here and a wrong one is *rejected*, never repaired (a
misread code repaired into a valid one would be another product). A UPC-A number
is an EAN-13 with a leading zero; the catalogue keeps it in that 13-digit form, so
either scan of the same product finds it.
"""

from __future__ import annotations

from typing import Final

PRODUCT_LENGTHS: Final = (8, 12, 13)


def gtin_check_digit(body: str) -> int:
    """The check digit for the digits of a GTIN without its check digit.

    From the right, digits are weighted 3, 1, 3, 1, ...; the check digit brings the
    weighted sum up to a multiple of ten (the same rule for EAN-8, UPC-A, EAN-13).
    """
    if not body or not (body.isascii() and body.isdigit()):
        raise ValueError("a check digit needs digits only")
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def is_valid_gtin(code: str) -> bool:
    """True for 8, 12 or 13 digits whose last digit is the right check digit."""
    return (
        len(code) in PRODUCT_LENGTHS
        and code.isascii()
        and code.isdigit()
        and gtin_check_digit(code[:-1]) == int(code[-1])
    )


def catalogue_sku(code: str) -> str:
    """The catalogue's form of a product barcode: UPC-A becomes its EAN-13."""
    return "0" + code if len(code) == 12 else code
