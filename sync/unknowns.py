"""What a newer ledger sends that this till does not know: ignored, and logged once.

Rolling out a new ledger must not break the tills already in the stores. So a till
reads past what it does not know instead of failing the sync:

* a **field** it does not know, anywhere in an answer, is ignored (the answer models
  ignore extra fields; :func:`note_unknown_fields` looks at the answer and the first
  item of each kind in each list in it, so the log names the field without reading a million
  members twice);
* a **change type** it does not know is left out of the page
  (:class:`sync.protocol.UnknownChange`);
* a **member status** it does not know is read as ``blocked``: the member can neither
  earn nor redeem at this till until it is updated, which is the safe reading of a
  status that may well mean "suspended";
* a **programme version** this till cannot run (it needs a newer engine, or has a key
  this engine does not know) is stored but refused, with the reason on the cashier's
  status line, and the till keeps using the newest version it can run
  (:mod:`pos_client.programme_book`): ignoring part of a programme would compute other
  points than the ledger, so programmes are the one thing refused rather than read past.

Each kind of thing is logged once per process (logger ``sync.unknowns``), at WARNING,
so an operator learns that the tills want updating without a log line per member.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from pydantic import BaseModel

log = logging.getLogger("sync.unknowns")
_seen: set[tuple[str, str]] = set()
_seen_lock = threading.Lock()


def note_unknown(what: str, name: str, consequence: str) -> bool:
    """Log ``what`` ``name`` once per process; True the first time."""
    key = (what, name)
    with _seen_lock:
        if key in _seen:
            return False
        _seen.add(key)
    log.warning("The ledger sent a %s this till does not know: %r; %s.", what, name, consequence)
    return True


def noted() -> list[tuple[str, str]]:
    """Everything logged so far, in order of kind and name (for status and tests)."""
    with _seen_lock:
        return sorted(_seen)


def note_unknown_fields(answer: BaseModel) -> None:
    """Log the fields of ``answer`` its model does not know, looking at the answer and,
    recursively, at the first item of each kind in each list and each nested model."""
    _walk(answer, type(answer).__name__, depth=0)


def _walk(value: Any, path: str, depth: int) -> None:
    if depth > 6:
        return
    if isinstance(value, BaseModel):
        for name in value.model_extra or {}:
            note_unknown("field", f"{path}.{name}", "ignored")
        for name in type(value).model_fields:
            _walk(getattr(value, name), f"{path}.{name}", depth + 1)
    elif isinstance(value, list) and value:
        first_of_each: dict[type, Any] = {}
        for item in value:
            first_of_each.setdefault(type(item), item)
        for item in first_of_each.values():
            _walk(item, f"{path}[]", depth + 1)
