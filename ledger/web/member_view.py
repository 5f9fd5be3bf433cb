"""What the members section reads: the search, and everything about one member.

The search takes one text and finds members by exact card (a revoked card finds
its owner), exact member id, phone (the digits given, 6 or more, at the end of the
stored number) or a part of the name (any case). The member's view is the member's
state as the tills receive it (:class:`sync.protocol.MemberState`: accounts, tier and
progress, rewards and stamps, vouchers, offers, expiring lots, flags), their cards,
every lot with its last day, and their history (:func:`ledger.history.member_history_page`),
optionally of one till.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from ledger.db import Tx
from ledger.history import member_history_page
from ledger.members import MEMBER_COLUMNS, member_state, revoked_card_owner
from ledger.web.accounts import Person
from ledger.web.scope import may_see_member
from loyalty.programme import Programme
from loyalty.tier_windows import is_current
from loyalty.tiers import progress
from sync.protocol import MemberState

MAX_RESULTS: Final = 50
HISTORY_ROWS: Final = 100


@dataclass(frozen=True)
class Found:
    members: list[MemberState]
    more: bool
    """True when more members matched than are listed."""


def search(tx: Tx, person: Person, text: str) -> Found:
    """The members matching ``text`` that ``person`` may see, at most
    :data:`MAX_RESULTS`, by name."""
    q = " ".join(text.split())
    if not q:
        return Found([], False)
    conditions = ["card = ?", "member_id = ?", "LOWER(name) LIKE ?"]
    params: list[object] = [q, q, f"%{_like(q.lower())}%"]
    digits = "".join(c for c in q if c.isdigit())
    if len(digits) >= 6 and len(digits) >= len(q.replace(" ", "").replace("+", "")) - 1:
        conditions.append("phone LIKE ?")
        params.append(f"%{digits}")
    owner = revoked_card_owner(tx, q)
    if owner is not None:
        conditions.append("member_id = ?")
        params.append(owner)
    rows = tx.query(
        f"SELECT {MEMBER_COLUMNS} FROM members WHERE merged_into IS NULL AND "
        f"({' OR '.join(conditions)}) ORDER BY name, member_id LIMIT ?",
        [*params, MAX_RESULTS * 4 + 1],
    )
    states = [member_state(r) for r in rows]
    visible = [s for s in states if may_see_member(tx, person, s.member_id)]
    return Found(visible[:MAX_RESULTS], len(visible) > MAX_RESULTS or len(rows) > MAX_RESULTS * 4)


def _like(text: str) -> str:
    """``text`` as a literal inside a LIKE pattern ('%' and '_' have no meaning)."""
    return text.replace("%", "").replace("_", "")


@dataclass(frozen=True)
class MemberView:
    state: MemberState
    facts: dict[str, Any]
    """Contact and enrolment: ``email``, ``consent``, ``enrolled_at``, ``enrolled_by``."""
    revoked_cards: list[tuple[str, str]]
    """(card, revoked at) of every card the member no longer uses."""
    lots: list[tuple[str, str, int]]
    """(wallet, last day, remaining) of every lot still holding units, soonest first."""
    history: list[dict[str, Any]]
    tills: list[str]
    """Every till in the member's history shown, for the filter."""


def member_view(tx: Tx, member_id: str, till: str = "") -> MemberView | None:
    """Everything about the member (None when the ledger has no such member)."""
    row = tx.one(f"SELECT {MEMBER_COLUMNS} FROM members WHERE member_id = ?", (member_id,))
    if row is None:
        return None
    revoked = [
        (str(r[0]), str(r[1]))
        for r in tx.query(
            "SELECT card, revoked_at FROM revoked_cards WHERE member_id = ? ORDER BY revoked_at",
            (member_id,),
        )
    ]
    lots = [
        (str(r[0]), str(r[1]), int(r[2]))
        for r in tx.query(
            "SELECT wallet, last_day, remaining FROM lots WHERE member_id = ? AND remaining > 0 "
            "ORDER BY last_day, wallet",
            (member_id,),
        )
    ]
    events = member_history_page(tx, member_id, None, HISTORY_ROWS)["events"]
    tills = sorted({str(e["terminal_id"]) for e in events})
    if till:
        events = [e for e in events if e["terminal_id"] == till]
    extra = tx.one(
        "SELECT email, consent, enrolled_at, enrolled_by FROM members WHERE member_id = ?",
        (member_id,),
    )
    keys = ("email", "consent", "enrolled_at", "enrolled_by")
    facts = {k: ("" if v is None else v) for k, v in zip(keys, extra or (), strict=False)}
    return MemberView(member_state(row), facts, revoked, lots, events, tills)


def consent_text(facts: dict[str, Any]) -> str:
    consent = facts.get("consent")
    if isinstance(consent, str):
        try:
            consent = json.loads(consent)
        except ValueError:
            return consent
    if not isinstance(consent, dict) or not consent:
        return ""
    marketing = "yes" if consent.get("marketing") else "no"
    return f"privacy accepted {consent.get('privacy_accepted_at', '?')}, marketing {marketing}"


def way_to_next_tier(
    programme: Programme, state: MemberState, today: date
) -> tuple[str, int] | None:
    """The next level above the member's tier and what today's window still needs
    for it (:func:`loyalty.tiers.progress`, the tills' rule); None at the top, when
    the programme qualifies no tiers, or when the ledger's count is of another
    rolling window than today's."""
    rules = programme.tier_qualification
    if rules is None:
        return None
    known = state.progress
    if known is not None and is_current(known.window, today):
        counted = known.count
    elif known is not None and len(known.window) == 7:
        return None  # a rolling window ending another month: its count is not today's
    else:
        counted = 0
    return progress(rules, programme.tiers, state.tier, counted)
