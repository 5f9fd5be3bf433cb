"""Programme rules versions: stored once, never rewritten (guarantee 6).

A new version is a new row with a new change number, so the changes feed carries it
to every till. Because a stored version never changes, parsed versions are cached
for the life of the process.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from ledger.db import Tx
from ledger.errors import AdminError
from loyalty.errors import LoyaltyError
from loyalty.events import utc_now_iso
from loyalty.programme import ProgrammeRules

_cache: dict[int, ProgrammeRules] = {}
_cache_lock = threading.Lock()


def rules_version(tx: Tx, version: int) -> ProgrammeRules | None:
    """The rules of ``version``, or None if the ledger never had that version."""
    with _cache_lock:
        cached = _cache.get(version)
    if cached is not None:
        return cached
    row = tx.one("SELECT rules_json FROM rules WHERE version = ?", (version,))
    if row is None:
        return None
    rules = ProgrammeRules.from_dict(json.loads(row[0]))
    with _cache_lock:
        _cache[version] = rules
    return rules


def current_rules(tx: Tx) -> tuple[int, dict[str, Any]]:
    """The newest version and its rules as a mapping."""
    row = tx.one("SELECT version, rules_json FROM rules ORDER BY version DESC LIMIT 1")
    if row is None:
        raise AdminError("The ledger has no programme rules; the schema is damaged.")
    return int(row[0]), dict(json.loads(row[1]))


def add_rules(tx: Tx, settings: dict[str, Any]) -> int:
    """Store ``settings`` as the next version and return that version number.

    The version is the ledger's to give: a ``version`` key in ``settings`` is
    refused unless it equals the next number.
    """
    latest, _ = current_rules(tx)
    version = latest + 1
    given = settings.get("version", version)
    if given != version:
        raise AdminError(
            f"The rules file says version {given}, but the next version is {version}. "
            "Remove the version line; the ledger numbers versions itself."
        )
    try:
        rules = ProgrammeRules.from_dict({**settings, "version": version})
    except (TypeError, ValueError, LoyaltyError) as exc:
        raise AdminError(f"The rules are not valid: {exc}") from exc
    change = tx.allocate("changes", 1)
    tx.execute(
        "INSERT INTO rules (version, rules_json, created_at, change_no) VALUES (?, ?, ?, ?)",
        (version, json.dumps(rules.to_dict(), sort_keys=True), utc_now_iso(), change),
    )
    return version
