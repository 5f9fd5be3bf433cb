"""The till's identity file: what an empty or replaced database cannot hide.

The database holds the journal, and with it the sequence numbers and receipt numbers
this till has used. If the file is truncated, replaced by another till's file or by
an older copy, the database itself can no longer tell that anything is wrong; so the
till keeps a small JSON file beside it (``<database>.identity.json``) that says:

* which terminal this data directory belongs to, and the random id of its database
  (also stored in the database's settings, :data:`DATABASE_ID`), so a replaced file
  is recognised;
* the ledger it syncs with, when known;
* the highest sequence number and receipt number the till is known to have recorded,
  and how its receipt numbers follow from sequence numbers after earlier recoveries.

The file is written atomically (a temporary file, fsync, rename, fsync of the
directory), so it is either the old or the new version, never half of one. It is
refreshed after a sync and at a clean shutdown, never when an event is recorded: an
earn costs what it did (docs/PERFORMANCE.md, "Recording an earn"). Its known tip may
therefore lag the journal, never lead it.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

DATABASE_ID = "database_id"
"""The settings key holding the database's random id (the identity file's too)."""
IDENTITY_FORMAT = 1


class IdentityUnreadable(Exception):
    """The identity file exists but is not one this till wrote."""


@dataclass(frozen=True)
class Identity:
    """What the till knows about itself, independently of its database file."""

    terminal_id: str
    database_id: str
    known_seq: int = 0
    """The highest sequence number the till is known to have recorded."""
    known_receipt: int = 0
    """The highest receipt number the till is known to have printed."""
    ledger_url: str = ""
    ledger_id: str = ""
    receipt_shifts: tuple[tuple[int, int], ...] = ()
    """The database's receipt numbering (:mod:`pos_client.store.receipt_shift`), kept
    here too so that a recovery after a recovery numbers old receipts as printed."""

    @classmethod
    def new(cls, terminal_id: str, ledger_url: str = "") -> Identity:
        return cls(terminal_id, new_database_id(), ledger_url=ledger_url)

    def advanced(self, seq: int, receipt: int) -> Identity:
        """This identity with the known tip raised to ``seq``/``receipt`` (never lowered)."""
        return replace(
            self, known_seq=max(self.known_seq, seq), known_receipt=max(self.known_receipt, receipt)
        )


def new_database_id() -> str:
    return secrets.token_hex(16)


def identity_path(database: Path) -> Path:
    """The identity file of the database at ``database``: beside it, named after it."""
    return database.with_name(database.name + ".identity.json")


def read_identity(database: Path) -> Identity | None:
    """The identity of ``database``, or None when there is no identity file.

    Raises :class:`IdentityUnreadable` when the file is there but unreadable.
    """
    path = identity_path(database)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise IdentityUnreadable(f"cannot read {path}: {error}") from error
    try:
        data = json.loads(text)
        return _from_mapping(data)
    except (ValueError, TypeError, KeyError) as error:
        raise IdentityUnreadable(f"{path} is not a till identity file ({error})") from error


def _from_mapping(data: Any) -> Identity:
    if not isinstance(data, dict) or data.get("format") != IDENTITY_FORMAT:
        raise ValueError("unknown format")
    text_fields = ("terminal_id", "database_id", "ledger_url", "ledger_id")
    number_fields = ("known_seq", "known_receipt")
    for name in text_fields:
        if not isinstance(data.get(name, ""), str):
            raise TypeError(f"{name} must be text")
    for name in number_fields:
        value = data.get(name, 0)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise TypeError(f"{name} must be a whole number")
    if not data.get("terminal_id") or not data.get("database_id"):
        raise KeyError("terminal_id and database_id are required")
    shifts = tuple((int(s), int(d)) for s, d in data.get("receipt_shifts", []))
    fields = {k: data[k] for k in (*text_fields, *number_fields) if k in data}
    return Identity(**fields, receipt_shifts=shifts)


def write_identity(database: Path, identity: Identity) -> None:
    """Replace the identity file of ``database`` atomically and durably."""
    path = identity_path(database)
    temporary = path.with_name(path.name + ".tmp")
    document = {"format": IDENTITY_FORMAT, **asdict(identity)}
    data = (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("utf-8")
    with temporary.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
