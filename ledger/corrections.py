"""The ledger's own corrections: an award over its cap, a sale under a stale version.

A ``correction`` event (the ledger's, terminal ``LEDGER``) posts a difference to a
member's accounts and says why (``reason``) and which event it corrects
(``refers_to``); its business time is that event's, so it counts in the same tier
window. Three reasons:

* ``cap``: an award over its cap (:mod:`ledger.caps`) is taken back (what the
  action or fixed bonus gave);
* ``cap_refund``: a refund took back a capped bonus the ledger had already taken
  back: it is given back, once;
* ``stale_version``: a sale computed under a version no longer in force, when the
  version in force says ``[offline] stale = "rerate"``: the ledger evaluates the
  same basket and member snapshot under the version in force and posts the
  difference (wallets, stamps, qualifying spend; the rewards the sale issued stand).
  A later refund of that sale is rerated the same way, so a full return nets to
  zero under the version that counted.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from ledger.accounts import CapDecision
from ledger.caps import cap_note, reversal_postings
from ledger.checks import EventInputs
from ledger.db import Tx
from ledger.member_book import WorkingMember
from ledger.own_events import OwnEvent
from ledger.sales import Sale, returned_lines
from loyalty.errors import LoyaltyError
from loyalty.events import EventKind
from loyalty.programme import (
    Programme,
    ProgrammeVersion,
    basket_from_json,
    evaluate,
    reverse,
    snapshot_from_json,
    version_in_force,
)
from loyalty.programme.basket import parse_business_time
from loyalty.programme.outcome import subtract

STALE = "stale_version"
CAP = "cap"
CAP_REFUND = "cap_refund"


def cap_correction(over: CapDecision) -> OwnEvent:
    """The correction that takes back the awards of one event that were over caps."""
    note = "; ".join(cap_note(a) for a in over.awards)
    return _cap_event(over, CAP, note, reversal_postings(over.awards))


def cap_refund_correction(twice: CapDecision) -> OwnEvent:
    """The correction that gives back capped awards a refund took back after the
    ledger had already taken them back over their caps."""
    names = ", ".join(a.name for a in twice.awards)
    note = f"{names}: already taken back over the cap; the refund took it again"
    given = {wallet: -amount for wallet, amount in reversal_postings(twice.awards).items()}
    return _cap_event(twice, CAP_REFUND, note, given)


def _cap_event(
    decision: CapDecision, reason: str, note: str, postings: Mapping[str, int]
) -> OwnEvent:
    return OwnEvent(
        str(uuid.uuid4()),
        decision.member,
        EventKind.CORRECTION,
        {
            "refers_to": str(decision.event["event_id"]),
            "reason": reason,
            "note": note,
            "postings": dict(postings),
        },
        decision.at,
        str(decision.event["currency"]),
    )


def _ref(version: ProgrammeVersion) -> dict[str, Any]:
    return {"id": version.programme.id, "version": version.version, "hash": version.content_hash}


def _rerating(versions: Sequence[ProgrammeVersion], at: datetime) -> ProgrammeVersion | None:
    """The version in force at ``at`` if its policy is to rerate stale sales."""
    version = version_in_force(versions, at)
    if version is None or version.programme.offline.stale != "rerate":
        return None
    return version


def rerate_sale(
    versions: Sequence[ProgrammeVersion],
    member: WorkingMember,
    content: Mapping[str, Any],
    inputs: EventInputs | None,
) -> OwnEvent | None:
    """The correction for a stale sale under a rerating version, if it differs."""
    at = inputs.at if inputs is not None else parse_business_time(content["business_time"])
    version = _rerating(versions, at)
    if version is None:
        return None
    try:
        if inputs is not None and inputs.basket is not None and inputs.snapshot is not None:
            basket, snapshot = inputs.basket, inputs.snapshot
        else:
            basket = basket_from_json(content["basket"], at=at, store=content["store"])
            snapshot = snapshot_from_json(content["member_snapshot"])
        outcome = evaluate(
            version.programme, basket, snapshot, version=version.version, strict=False
        )
    except LoyaltyError:
        return None  # the version in force cannot price it: honoured as recorded
    return _correction(
        member, content, version, subtract(outcome.postings, content["postings"]), at
    )


def rerate_refund(
    tx: Tx,
    versions: Sequence[ProgrammeVersion],
    by_hash: Mapping[str, Programme],
    member: WorkingMember,
    content: Mapping[str, Any],
    sale: Sale,
    decided: Sequence[OwnEvent] = (),
) -> OwnEvent | None:
    """The correction for a refund of a sale the ledger rerated (stored, or decided
    earlier in the same push, ``decided``): the refund's reversal under the version
    the sale was rerated under, less what the refund recorded."""
    sale_id = str(sale.content["event_id"])
    found = next(
        (
            own.fields
            for own in decided
            if own.fields.get("refers_to") == sale_id and own.fields.get("reason") == STALE
        ),
        None,
    )
    if found is None:
        if not any(v.programme.offline.stale == "rerate" for v in versions):
            return None  # no version ever rerated a sale: nothing to look for
        row = tx.one(
            "SELECT document FROM events WHERE refers_to = ? AND kind = 'correction' "
            "AND terminal_id = 'LEDGER' ORDER BY ledger_seq",
            (sale_id,),
        )
        if row is None:
            return None
        found = json.loads(str(row[0]))
    rerated = found
    ref = rerated.get("programme")
    if rerated.get("reason") != STALE or not ref or ref["hash"] not in by_hash:
        return None
    programme = by_hash[ref["hash"]]
    at = parse_business_time(sale.content["business_time"])
    try:
        reversal = reverse(
            programme,
            int(ref["version"]),
            basket_from_json(sale.content["basket"], at=at, store=sale.content["store"]),
            snapshot_from_json(sale.content["member_snapshot"]),
            str(sale.content["event_id"]),
            sale.returned,
            returned_lines(content),
        )
    except LoyaltyError:
        return None
    version = ProgrammeVersion(int(ref["version"]), at, programme)
    difference = subtract(dict(reversal.postings), content["postings"])
    return _correction(member, content, version, difference, at)


def _correction(
    member: WorkingMember,
    content: Mapping[str, Any],
    version: ProgrammeVersion,
    difference: dict[str, int],
    at: datetime,
) -> OwnEvent | None:
    if not difference:
        return None
    return OwnEvent(
        str(uuid.uuid4()),
        member,
        EventKind.CORRECTION,
        {
            "refers_to": str(content["event_id"]),
            "reason": STALE,
            "note": f"rerated under version {version.version}, in force at the time",
            "programme": _ref(version),
            "postings": difference,
        },
        at,
        str(content["currency"]),
    )
