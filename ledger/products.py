"""The product catalogue: imported from CSV, carried to tills in the changes feed.

``pos-ledger products import FILE.csv`` takes ``sku,name,price,tags[,active]``: the
product's barcode number (EAN-13, EAN-8 or UPC-A, check digit verified; UPC-A is kept
as its EAN-13), its name, its list price in the currency (``39.90``), its tags
separated by ``;`` (what programme rules select by), and optionally ``active``
(``yes``/``no``). Importing is idempotent: an unchanged product takes no new change
number, so tills pull only what changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.csv_import import missing_and_unknown, read_csv
from ledger.db import Database, Tx, rows_where_in
from ledger.errors import AdminError
from loyalty.cards import IN_STORE_PREFIX
from loyalty.errors import LoyaltyError
from loyalty.gtin import catalogue_sku, is_valid_gtin
from loyalty.money import parse_money
from loyalty.programme.reader import LABEL

PRODUCT_COLUMNS = ("sku", "name", "price", "tags", "active")
_REQUIRED = ("sku", "name", "price")


@dataclass(frozen=True)
class ProductRow:
    sku: str
    name: str
    price_minor: int
    tags: tuple[str, ...]
    active: bool


@dataclass(frozen=True)
class ProductReport:
    created: int
    updated: int
    unchanged: int


def read_product_file(path: Path, currency: str) -> list[ProductRow]:
    """Parse and check a products CSV completely; one error lists every bad line."""
    return read_csv(
        path,
        _product_header,
        lambda values, _line: _row(values, currency),
        key=lambda row: f"sku {row.sku}",
    )


def _product_header(header: list[str]) -> str | None:
    missing, unknown = missing_and_unknown(header, _REQUIRED, PRODUCT_COLUMNS)
    if not missing and not unknown:
        return None
    return (
        "the header must be sku,name,price and optionally tags,active "
        f"(missing: {', '.join(missing) or 'none'}; unknown: {', '.join(unknown) or 'none'})."
    )


def _row(values: dict[str, str], currency: str) -> ProductRow:
    code = values["sku"]
    if not is_valid_gtin(code):
        raise AdminError(f"sku {code!r} is not an EAN-13, EAN-8 or UPC-A with a valid check digit.")
    if len(code) == 13 and code.startswith(IN_STORE_PREFIX):
        raise AdminError(f"sku {code} is in the in-store range (2...), which is for member cards.")
    if not values["name"] or len(values["name"]) > 100:
        raise AdminError("the name must be 1 to 100 characters.")
    try:
        price = parse_money(values["price"], currency).minor
    except LoyaltyError as exc:
        raise AdminError(f"price {values['price']!r}: {exc.message}") from None
    tags = tuple(sorted({t.strip() for t in values.get("tags", "").split(";") if t.strip()}))
    for tag in tags:
        if not LABEL.match(tag):
            raise AdminError(f"tag {tag!r} is not a valid tag (letters, digits, '.', '-', '_').")
    active_text = values.get("active", "") or "yes"
    if active_text.lower() not in ("yes", "no", "1", "0", "true", "false"):
        raise AdminError(f"active {active_text!r} must be yes or no.")
    return ProductRow(
        catalogue_sku(code),
        values["name"],
        price,
        tags,
        active_text.lower() in ("yes", "1", "true"),
    )


def import_products(db: Database, path: Path, currency: str) -> ProductReport:
    """Create or update the products of a CSV in one transaction."""
    rows = read_product_file(path, currency)
    with db.write() as tx:
        existing = _existing(tx, [r.sku for r in rows])
        changed = [r for r in rows if existing.get(r.sku) != _stored(r)]
        created = sum(1 for r in changed if r.sku not in existing)
        if changed:
            first = tx.allocate("changes", len(changed))
            tx.executemany(
                "INSERT INTO products (sku, name, price_minor, tags, active, change_no) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sku) DO UPDATE SET name = excluded.name, "
                "price_minor = excluded.price_minor, tags = excluded.tags, "
                "active = excluded.active, change_no = excluded.change_no",
                [(*_stored(r), first + i) for i, r in enumerate(changed)],
            )
    return ProductReport(created, len(changed) - created, len(rows) - len(changed))


def _stored(row: ProductRow) -> tuple[str, str, int, str, int]:
    return (row.sku, row.name, row.price_minor, json.dumps(list(row.tags)), int(row.active))


def _existing(tx: Tx, skus: list[str]) -> dict[str, tuple[str, str, int, str, int]]:
    select = "SELECT sku, name, price_minor, tags, active FROM products WHERE {}"
    return {
        str(sku): (str(sku), str(name), int(price), str(tags), int(active))
        for sku, name, price, tags, active in rows_where_in(tx, select, "sku", skus)
    }


def product_change(row: Any) -> dict[str, Any]:
    """A ``products`` row (sku, name, price_minor, tags, active, change_no) as the
    feed's ``ProductChange``."""
    sku, name, price, tags, active, change = row
    return {
        "type": "product",
        "sku": str(sku),
        "name": str(name),
        "price_minor": int(price),
        "tags": json.loads(tags),
        "active": bool(active),
        "change": int(change),
    }
