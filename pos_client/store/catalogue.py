"""What the till keeps of the ledger's reference data: programme versions, products.

Both arrive in the changes feed and are applied by the pull's final transaction
(:mod:`pos_client.store.sync_side`); this module reads them.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from pos_client.store.transaction import write_transaction


@dataclass(frozen=True)
class StoredVersion:
    """A programme version as the ledger sent it (not yet parsed)."""

    version: int
    effective_from: str
    """Local wall time in the programme's time zone (for people)."""
    effective_utc: str
    """The start as an instant (what counts)."""
    content_hash: str
    document: str
    """The document's JSON text."""


@dataclass(frozen=True)
class Product:
    """One product of the catalogue."""

    sku: str
    name: str
    price_minor: int
    tags: frozenset[str]
    active: bool


class Catalogue:
    """Reads ``programme_versions`` and ``products`` of one connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def versions(self) -> list[StoredVersion]:
        rows = self._conn.execute(
            "SELECT version, effective_from, effective_utc, content_hash, document "
            "FROM programme_versions ORDER BY version"
        ).fetchall()
        return [StoredVersion(int(r[0]), *(str(v) for v in r[1:])) for r in rows]

    def versions_change(self) -> int:
        """The highest change number of the stored versions (0: none)."""
        row = self._conn.execute("SELECT COALESCE(MAX(change), 0) FROM programme_versions")
        return int(row.fetchone()[0])

    def product(self, sku: str) -> Product | None:
        row = self._conn.execute(
            "SELECT sku, name, price_minor, tags, active FROM products WHERE sku = ?", [sku]
        ).fetchone()
        if row is None:
            return None
        return Product(
            str(row[0]), str(row[1]), int(row[2]), frozenset(json.loads(row[3])), bool(row[4])
        )

    def sample_products(self, limit: int) -> list[Product]:
        """A few products for sale, in sku order (the demo's help panel shows them)."""
        rows = self._conn.execute(
            "SELECT sku FROM products WHERE active = 1 ORDER BY sku LIMIT ?", [limit]
        ).fetchall()
        return [p for (sku,) in rows if (p := self.product(str(sku))) is not None]

    def upsert_products(self, products: list[Product]) -> None:
        """Write products in one transaction (a till without a ledger: the demo)."""
        with write_transaction(self._conn) as conn:
            conn.executemany(
                "INSERT INTO products VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT (sku) DO UPDATE SET "
                "name = excluded.name, price_minor = excluded.price_minor, tags = excluded.tags, "
                "active = excluded.active",
                [
                    (p.sku, p.name, p.price_minor, json.dumps(sorted(p.tags)), int(p.active))
                    for p in products
                ],
            )

    def product_count(self) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM products").fetchone()[0])
