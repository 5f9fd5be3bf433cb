"""The one canonical JSON encoding that everything hashed is written in.

Events, programme documents and outcomes are hashed over this encoding: JSON with
sorted keys, compact separators and ASCII output, so the till and the ledger (in any
language) produce the same bytes for the same content. Floats never appear in
hashed content: money and points are integers, rates are decimal strings.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def canonical_json(content: Any) -> str:
    """``content`` in the canonical encoding, as text."""
    return _ENCODER.encode(content)


def canonical_bytes(content: Any) -> bytes:
    """``content`` in the canonical encoding, as the bytes that are hashed."""
    return _ENCODER.encode(content).encode("ascii")


def sha256_hex(content: Any) -> str:
    """SHA-256 (hex) of the canonical encoding of ``content``."""
    return sha256_of_encoded(canonical_json(content))


def sha256_of_encoded(encoded: str) -> str:
    """SHA-256 (hex) of a canonical encoding already made (:func:`canonical_json`)."""
    return hashlib.sha256(encoded.encode("ascii")).hexdigest()
