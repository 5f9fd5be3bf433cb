"""The two kinds of wire model: requests (strict, closed) and answers (strict, open).

A request forbids unknown fields, so a till's mistake is a clear 422 rather than a
field silently dropped; an answer reads past them, so a newer ledger may add a field
without breaking older tills. An answer keeps what it did not know in
``model_extra`` (nothing else reads it) only so that :mod:`sync.unknowns` can log it
once.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _Answer(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True, frozen=True)
