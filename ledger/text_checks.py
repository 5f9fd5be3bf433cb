"""Text the ledger refuses: control characters in any string of a request.

A NUL character cannot be stored in a PostgreSQL text column (the insert fails, and
the till would retry that failure for ever), and no field the ledger keeps has a
use for the other C0 controls (U+0000-U+001F) or DEL (U+007F): a till's note is one
line, a card or an id is printable. So every string a request carries (the body's
keys and values at any depth, the query parameters, the path) is checked at the
door, before anything is read or written, on both backends: one with such a
character is refused with 422 ``invalid``, naming the field, and nothing is stored.
TAB and line feed are refused too: nothing the tills send is more than one line.

The common case costs one scan of the body for the escapes JSON writes such
characters with; only a body that has one is parsed here to name the field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

_CONTROL = re.compile("[\x00-\x1f\x7f]")
_NOT_RAW_CONTROL = bytes(b for b in range(256) if b not in {*range(0x20), 0x7F} - {9, 10, 13})
"""Every byte but the raw control bytes that are not JSON whitespace (DEL may stand
raw in a JSON string); deleting these leaves only those (one pass in C)."""
_ESCAPE = re.compile(rb"\\(?:[bfnrt]|u00[01]|u007[fF])")
"""What may be a JSON escape of a control character (``\\\\n``, a backslash and an
``n``, matches too: the parse that follows tells them apart)."""


def body_problem(body: bytes) -> str | None:
    """Where the JSON ``body`` holds a control character, e.g. ``events[0].note``
    (with the character); None if nowhere, or if it is not JSON (its route says so)."""
    raw = body.translate(None, _NOT_RAW_CONTROL)
    if not raw and (b"\\" not in body or not _ESCAPE.search(body)):
        return None
    try:
        document = json.loads(body)
    except ValueError:
        return None
    for where, text in _strings(document, ""):
        found = _CONTROL.search(text)
        if found is not None:
            return _describe(where or "request", found.group())
    return None


def params_problem(path: str, query_string: bytes) -> str | None:
    """The same for a request's decoded path and its query parameters."""
    found = _CONTROL.search(path)
    if found is not None:
        return _describe("path", found.group())
    query = query_string.decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True, encoding="utf-8"):
        for text in (name, value):
            found = _CONTROL.search(text)
            if found is not None:
                return _describe(_CONTROL.sub("?", name) or "query", found.group())
    return None


def _describe(where: str, character: str) -> str:
    return f"{where}: control character U+{ord(character):04X} is not allowed in text."


def _strings(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """Every string in a parsed JSON document (keys too), with where it is."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            inner = f"{where}.{key}" if where else str(key)
            yield _CONTROL.sub("?", inner), key
            yield from _strings(item, inner)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{where}[{index}]")
