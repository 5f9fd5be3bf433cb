"""A form sent twice does its work once.

Every form that changes something carries a one-time ``form_id`` (the ``csrf_field``
macro adds it). The first request with it records it in ``web_form_uses`` in the
same transaction as its work, with where its answer leads; a second request with the
same id (a double click, a resend after a slow answer) finds it there and is given
the first one's answer instead of doing the work again. The unique key makes this
hold for requests arriving at once too: the second insert waits for the first
transaction and then finds the id taken.
"""

from __future__ import annotations

from datetime import datetime

from ledger.db import Tx
from ledger.web.accounts import stamp
from ledger.web.sessions import Session

MAX_FORM_ID = 64


def claim(tx: Tx, session: Session, fields: dict[str, str], now: datetime) -> str | None:
    """Claim this form's one use, first thing in the work's transaction: None when
    this request is the first (do the work, then :func:`settle`); else where the
    earlier use's answer led. A form without an id is not guarded."""
    form_id = fields.get("form_id", "")
    if not form_id or len(form_id) > MAX_FORM_ID:
        return None
    claimed = tx.execute(
        "INSERT INTO web_form_uses (form_id, login, used_at, outcome) VALUES (?, ?, ?, '') "
        "ON CONFLICT DO NOTHING",
        (form_id, session.person.login, stamp(now)),
    )
    if claimed:
        return None
    row = tx.one("SELECT outcome FROM web_form_uses WHERE form_id = ?", (form_id,))
    return str(row[0]) if row is not None and row[0] else ""


def settle(tx: Tx, fields: dict[str, str], outcome: str) -> None:
    """Where this form's answer led, for a second sending of it."""
    form_id = fields.get("form_id", "")
    if form_id and len(form_id) <= MAX_FORM_ID:
        tx.execute("UPDATE web_form_uses SET outcome = ? WHERE form_id = ?", (outcome, form_id))
