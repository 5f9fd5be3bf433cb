"""Release 0.1.0's rules versions, which its events (schema 1) name.

They are stored once and never rewritten; no new ones are made (new events name
programme versions, :mod:`ledger.programmes`). Parsed versions are cached for the
life of the process, by ledger (its ``ledger_id``) and version: one process may
serve several ledgers (the tests do), whose version 1 need not be the same rules.
A database restored from a backup keeps its ledger id and its rules, so the cache
stays right across a restore.
"""

from __future__ import annotations

import json
import threading

from ledger.db import Tx
from loyalty.legacy_rules import ProgrammeRules

_cache: dict[tuple[str, int], ProgrammeRules] = {}
_cache_lock = threading.Lock()


def rules_version(tx: Tx, version: int) -> ProgrammeRules | None:
    """The rules of ``version``, or None if the ledger never had that version."""
    ledger = tx.one("SELECT value FROM meta WHERE key = 'ledger_id'")
    key = (str(ledger[0]) if ledger is not None else "", version)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    row = tx.one("SELECT rules_json FROM rules WHERE version = ?", (version,))
    if row is None:
        return None
    rules = ProgrammeRules.from_dict(json.loads(row[0]))
    with _cache_lock:
        _cache[key] = rules
    return rules
