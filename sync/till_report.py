"""The till's report on itself, which a push may carry (docs/PROTOCOL.md, "The till's
report"): one model, used by the till to send it and by the ledger to read it."""

from __future__ import annotations

from pydantic import Field

from sync.wire_base import _Request

MAX_REPORT_TEXT = 64
"""The longest ``store`` or ``software`` a till's report may carry."""
_INSTANT = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$"


class TillReport(_Request):
    """What a till says about itself with a push (docs/PROTOCOL.md, "The till's
    report"): the ledger keeps the latest one per terminal for head office's
    terminals page. Sent only to a ledger whose push answer said it keeps them
    (:attr:`PushResponse.reports`, :attr:`ChangesResponse.reports`), so an older
    ledger never sees the field."""

    store: str = Field(min_length=1, max_length=MAX_REPORT_TEXT)
    """The store the till records events for (its configuration's store id)."""
    software: str = Field(min_length=1, max_length=MAX_REPORT_TEXT)
    """The till's release (its package version), or ``unknown``."""
    programme_version: int = Field(ge=0)
    """The programme version in force at the till (0: its built-in programme)."""
    keyset_number: int | None = Field(default=None, ge=0)
    """The member QR keyset the till holds (None: none)."""
    pending: int = Field(ge=0)
    """The till's events the ledger has not confirmed, apart from this push's own."""
    oldest_pending_at: str | None = Field(default=None, max_length=40, pattern=_INSTANT)
    """When the oldest of those was recorded (the till's clock, UTC ISO 8601)."""
