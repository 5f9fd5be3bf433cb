"""Finding members in the till's cache for a manager: by member id, card, phone or name.

Every search reads the local cache only, so it works offline. Each key is tried in
turn and the hits are kept in that order, once per member:

1. the member id, exactly;
2. a whole card number, exactly (a replaced or blocked card finds its member too);
3. a phone number: exactly once normalised (``+47 912 34 567``), else its digits
   anywhere in the number (``912 34 567`` typed without the country code);
4. the last four or more digits of a card;
5. a name containing every word typed, whatever the case (``casefold``, so ``ø``
   matches ``Ø``).

An exact key (1, 2, or a whole phone number) answers alone; only without one are
3 (digits), 4 and 5 tried, which scan the table (LIMIT keeps them short).
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

from loyalty.cards import CARD_LENGTH
from loyalty.enrolment import EnrolmentError, normal_phone
from pos_client.store.member_events import MEMBER_EVENTS
from pos_client.store.member_states import ACTIVE

MIN_DIGITS = 4
"""The fewest digits a search by card end or phone digits takes."""
_NOT_DIGITS = re.compile(r"[\s().+-]")


@dataclass(frozen=True)
class Found:
    """One hit: the member, and the card it is shown with ('' when none)."""

    member_id: str
    card: str
    card_state: str | None


def _casefold(text: str | None) -> str:
    return "" if text is None else text.casefold()


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(conn: sqlite3.Connection, text: str, limit: int) -> list[Found]:
    """Members matching ``text``, best keys first (see the module doc)."""
    text = " ".join(text.split())
    if not text or limit <= 0:
        return []
    found: dict[str, Found] = {}

    def keep(rows: list[tuple[object, ...]]) -> None:
        for member_id, card, state in rows:
            if len(found) < limit and str(member_id) not in found:
                found[str(member_id)] = Found(
                    str(member_id), str(card or ""), None if state is None else str(state)
                )

    active = (
        f"SELECT m.member_id, c.card, c.state FROM members m LEFT JOIN cards c "
        f"ON c.member_id = m.member_id AND c.state = '{ACTIVE}'"
    )
    keep(conn.execute(f"{active} WHERE m.member_id = ?", [text]).fetchall())
    digits = _NOT_DIGITS.sub("", text)
    typed_digits = digits.isdigit() and digits.isascii()
    if typed_digits and len(digits) == CARD_LENGTH:
        keep(_by_cards(conn, "c.card = ?", [digits], limit))
    phone = _phone(text) if typed_digits else ""
    if phone:
        keep(
            conn.execute(
                f"{active} WHERE m.phone = ? AND m.phone != '' LIMIT ?", [phone, limit]
            ).fetchall()
        )
    if found:
        return list(found.values())  # an exact key: no need to scan
    if typed_digits and len(digits) >= MIN_DIGITS:
        keep(
            conn.execute(
                f"{active} WHERE m.phone != '' AND instr(m.phone, ?) > 0 LIMIT ?",
                [digits, limit],
            ).fetchall()
        )
        keep(_by_cards(conn, "c.card LIKE ? ESCAPE '\\'", ["%" + _like_escaped(digits)], limit))
    words = [w.casefold() for w in text.split()]
    if any(c.isalpha() for c in text):
        keep(_by_name(conn, active, words, limit))
    return list(found.values())


def _by_name(
    conn: sqlite3.Connection, select: str, words: list[str], limit: int
) -> list[tuple[object, ...]]:
    """Members whose name holds every word, whatever the case. A word in ASCII is
    matched by SQLite's LIKE (case-blind for ASCII, and fast); any other word by
    Python's ``casefold``."""
    conn.create_function("casefold", 1, _casefold, deterministic=True)
    conditions, params = [], []
    for word in words:
        if word.isascii():
            conditions.append("m.name LIKE ? ESCAPE '\\'")
            params.append(f"%{_like_escaped(word)}%")
        else:
            conditions.append("instr(casefold(m.name), ?) > 0")
            params.append(word)
    return conn.execute(
        f"{select} WHERE {' AND '.join(conditions)} ORDER BY m.name LIMIT ?", [*params, limit]
    ).fetchall()


def _phone(text: str) -> str:
    try:
        return normal_phone(text)
    except EnrolmentError:
        return ""


def _by_cards(
    conn: sqlite3.Connection, condition: str, params: list[object], limit: int
) -> list[tuple[object, ...]]:
    """Members by one of their cards (any state), shown with that card."""
    return conn.execute(
        f"SELECT c.member_id, c.card, c.state FROM cards c JOIN members m "
        f"ON m.member_id = c.member_id WHERE {condition} "
        "ORDER BY c.state = 'active' DESC, c.card LIMIT ?",
        [*params, limit],
    ).fetchall()


def cards_of(conn: sqlite3.Connection, member_id: str) -> list[tuple[str, str]]:
    """``(card, state)`` of every card of the member this till knows, active first,
    then replaced, then revoked."""
    rows = conn.execute(
        "SELECT card, state FROM cards WHERE member_id = ? ORDER BY "
        f"CASE state WHEN '{ACTIVE}' THEN 0 WHEN 'replaced' THEN 1 ELSE 2 END, card",
        [member_id],
    ).fetchall()
    return [(str(card), str(state)) for card, state in rows]


def member_journal(
    conn: sqlite3.Connection, member_id: str, offset: int, limit: int
) -> list[tuple[str, str]]:
    """``(document, hash)`` of this till's events of the member, newest first: a page
    of ``limit`` from ``offset``."""
    return conn.execute(
        f"SELECT document, hash FROM journal WHERE {MEMBER_EVENTS} "
        "ORDER BY seq DESC LIMIT :limit OFFSET :offset",
        {"member_id": member_id, "limit": limit, "offset": offset},
    ).fetchall()
