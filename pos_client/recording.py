"""The fields a till records for each kind of event, from what it evaluated.

The common fields (card, member, business time, store, currency, operator) are the
Till's; these functions add what is particular to a sale, a redemption or an
action. A sale records every input the ledger needs to evaluate it again (basket,
member snapshot, programme version and hash) and what it gave (postings, spent,
rewards, outcome hash).
"""

from __future__ import annotations

from typing import Any

from loyalty.programme import Basket, MemberSnapshot, Outcome, ProgrammeVersion
from loyalty.programme.model import Action
from loyalty.programme.outcome import sale_record


def programme_ref(version: ProgrammeVersion) -> dict[str, Any]:
    """The ``programme`` field: which version an event was computed under."""
    return {
        "id": version.programme.id,
        "version": version.version,
        "hash": version.content_hash,
    }


def sale_fields(
    event_id: str,
    version: ProgrammeVersion,
    basket: Basket,
    member: MemberSnapshot,
    outcome: Outcome,
) -> dict[str, Any]:
    return {
        "programme": programme_ref(version),
        "member_snapshot": member.to_json(),
        "basket": basket.to_json(with_context=False),
        **sale_record(event_id, outcome),
    }


def redeem_fields(
    version: ProgrammeVersion, wallet: str, points: int, discount: int, purchase: int | None
) -> dict[str, Any]:
    return {
        "programme": programme_ref(version),
        "postings": {wallet: -points},
        "discount_minor": discount,
        "purchase_minor": purchase,
    }


def action_fields(version: ProgrammeVersion, action: Action) -> dict[str, Any]:
    return {
        "programme": programme_ref(version),
        "action": action.id,
        "postings": {action.wallet: action.amount},
    }
