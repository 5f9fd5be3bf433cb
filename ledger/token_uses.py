"""A single-use member token used at two tills: the ``token_reused`` anomaly.

A till refuses a single-use token it has accepted before, but two offline tills
cannot know of each other's scans. Each event says how its member was identified
(``identified_by: {"via": "token", "replay_id": ...}``, docs/PROTOCOL.md); the
replay id begins with the token's type byte, whose bit 0x80 marks a single-use token
(:attr:`loyalty.member_token.MemberToken.replay_id`). When such an event is applied,
``token_uses`` keeps the first terminal and event that reported the replay id; an
event from another terminal with the same replay id is flagged ``token_reused``,
naming both terminals. Several events from one terminal are normal (a sale and a
redemption for one customer) and are not flagged.

It holds under concurrent pushes on PostgreSQL: the first use is claimed with
``INSERT ... ON CONFLICT DO NOTHING`` and then read. A push that inserts the same
replay id while another push's insert is not committed waits for it (the primary
key's uniqueness check), then finds its row; if that push rolls back, the insert
goes through. So exactly one terminal is first, and every other is flagged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ledger.db import Tx
from loyalty.events import utc_now_iso
from loyalty.field_checks import IDENTIFIED_BY_TOKEN
from loyalty.member_token import SINGLE_USE

TOKEN_REUSED: Final = "token_reused"


def single_use_replay_id(content: Mapping[str, Any]) -> str | None:
    """The replay id of the single-use token that identified the event's member, or
    None (no token, a multi-use one, or a replay id not of the form documented)."""
    identified = content.get("identified_by")
    if not isinstance(identified, Mapping) or identified.get("via") != IDENTIFIED_BY_TOKEN:
        return None
    replay_id = identified.get("replay_id")
    if not isinstance(replay_id, str):
        return None
    first = replay_id.partition(".")[0]
    if not first.isascii() or not first.isdigit():
        return None
    return replay_id if int(first) & SINGLE_USE else None


def token_use_flags(
    tx: Tx, terminal_id: str, member_id: str, content: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """Record the use of a single-use token by an event being applied to
    ``member_id``; the ``token_reused`` flag when another terminal used it first."""
    replay_id = single_use_replay_id(content)
    if replay_id is None:
        return []
    event_id = str(content["event_id"])
    tx.execute(
        "INSERT INTO token_uses (replay_id, terminal_id, event_id, member_id, recorded_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (replay_id) DO NOTHING",
        (replay_id, terminal_id, event_id, member_id, utc_now_iso()),
    )
    row = tx.one("SELECT terminal_id, event_id FROM token_uses WHERE replay_id = ?", (replay_id,))
    if row is None or str(row[0]) == terminal_id:
        return []
    return [
        (
            TOKEN_REUSED,
            f"single-use member code {replay_id} was used at terminal {row[0]} (event "
            f"{row[1]}) and again at terminal {terminal_id}",
        )
    ]
