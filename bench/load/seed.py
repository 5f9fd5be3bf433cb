"""A ledger ready for a load run: a member base and every till registered.

Terminals are registered through the storage API (:func:`ledger.terminals.add_terminal`,
what ``pos-ledger terminal add`` runs) in one write transaction: one commit for 2,000
tills instead of 2,000 processes. Members come in through the ledger's own CSV import
(:func:`ledger.admin.import_members`). PostgreSQL runs get a fresh schema (through
``search_path`` in the URL) that is dropped afterwards, so nothing else is touched.
"""

from __future__ import annotations

import contextlib
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ledger.admin import import_members
from ledger.cli import open_ledger
from ledger.terminals import add_terminal
from loyalty.cards import make_card_number

APPLICATION_NAME = "pos-load"
"""The ``application_name`` of the ledger's PostgreSQL sessions in a load run, so that
:mod:`bench.load.dbstats` samples only them in ``pg_stat_activity``."""

FIRST_CARD = 500_000_000
"""Card serials of the seeded members start here (clear of what tests use)."""


@dataclass(frozen=True)
class Till:
    """A registered terminal: its id and bearer token."""

    terminal_id: str
    token: str


def member_cards(count: int) -> list[str]:
    return [make_card_number(FIRST_CARD + n) for n in range(count)]


def seed_members(db_url: str, cards: list[str]) -> None:
    """Import ``cards`` as members through the ledger's CSV import."""
    db, _ = open_ledger(db_url)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "members.csv"
            lines = ["card,name,tier,balance", *(f"{c},Member {c[-6:]},,0" for c in cards)]
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            import_members(db, path)
    finally:
        db.close()


def register_tills(db_url: str, names: list[str]) -> list[Till]:
    """Register every terminal in ``names`` in one transaction; their tokens, in order."""
    db, _ = open_ledger(db_url)
    try:
        with db.write() as tx:
            return [Till(name, add_terminal(tx, name)) for name in names]
    finally:
        db.close()


@contextlib.contextmanager
def postgres_schema(dsn: str) -> Iterator[str]:
    """A database URL confined to a fresh schema (dropped on exit) whose sessions carry
    :data:`APPLICATION_NAME`."""
    import psycopg

    schema = f"load_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dsn, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in dsn else "?"
    try:
        yield (
            f"{dsn}{separator}options=-csearch_path%3D{schema}&application_name={APPLICATION_NAME}"
        )
    finally:
        with psycopg.connect(dsn, autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def schema_of(db_url: str) -> str | None:
    """The schema a URL made by :func:`postgres_schema` confines the ledger to."""
    marker = "search_path%3D"
    if marker not in db_url:
        return None
    return db_url.split(marker, 1)[1].split("&", 1)[0]
