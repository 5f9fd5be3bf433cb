"""The ledger evaluates every schema 2 event again, with the till's own inputs.

Sales are evaluated by the same :func:`loyalty.programme.evaluate` the till ran, on
the basket and member snapshot the event recorded, under the programme with the
content hash it names; refunds are reversed by difference under their sale's
version; redemptions and actions are priced again. Findings never change a balance:

* ``computation_mismatch`` — the ledger's result differs from what the till
  recorded (a bug or tampering);
* ``stale_version`` — the version used was not the one in force at the business
  time (a till that missed a new version while offline);
* ``unknown_programme`` — no published version has the content hash named, so the
  event cannot be recomputed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ledger.checks import EventInputs
from ledger.sales import Sale, returned_lines
from loyalty.canonical import sha256_hex
from loyalty.errors import LoyaltyError
from loyalty.event_fields import PRICED_KINDS
from loyalty.programme import (
    Programme,
    ProgrammeVersion,
    basket_from_json,
    evaluate,
    reverse,
    snapshot_from_json,
)
from loyalty.programme.basket import parse_business_time
from loyalty.programme.outcome import SALE_OUTPUTS, sale_record
from loyalty.programme.redemption import redemption_value
from loyalty.programme.refunds import legacy_reversal, reversal_content
from loyalty.programme.versions import stale_use

Finding = tuple[str, str]
"""(anomaly kind, detail)."""


class Recomputer:
    """Recomputes one batch's events; programmes are looked up by content hash."""

    def __init__(self, versions: list[ProgrammeVersion], by_hash: Mapping[str, Programme]) -> None:
        self.versions = versions
        self.by_hash = by_hash

    def findings(
        self, content: Mapping[str, Any], sale: Sale | None, inputs: EventInputs | None = None
    ) -> list[Finding]:
        """What is wrong with a schema 2 event's figures (``sale``: a refund's sale as
        it was before this refund; ``inputs``: what the form check already read of
        ``content``, so it is not read again)."""
        ref = content.get("programme")
        kind = content["kind"]
        if ref is None or kind not in PRICED_KINDS:
            return []  # a correction's postings are what the manager decided; a sign-up,
            # a card replaced or blocked post nothing
        programme = self.by_hash.get(ref["hash"])
        at = inputs.at if inputs is not None else parse_business_time(content["business_time"])
        found: list[Finding] = []
        if kind != "refund":
            stale = stale_use(self.versions, int(ref["version"]), str(ref["hash"]), at)
            if stale is not None:
                found.append(("stale_version", stale))
        if kind == "refund" and sale is not None and sale.content["kind"] == "earn":
            mismatch = _legacy_refund(content, sale)
        elif programme is None:
            return [*found, ("unknown_programme", f"no version has hash {ref['hash'][:12]}…")]
        elif kind == "sale":
            mismatch = _sale(programme, int(ref["version"]), content, at, inputs)
        elif kind == "refund":
            mismatch = _refund(programme, content, sale)
        elif kind == "redeem":
            mismatch = _redeem(programme, content)
        else:
            mismatch = _action(programme, content)
        if mismatch is not None:
            found.append(("computation_mismatch", mismatch))
        return found


def _differs(name: str, recorded: Any, computed: Any) -> str | None:
    if recorded == computed:
        return None
    return f"{name}: the till recorded {recorded}, the ledger computes {computed}"


def _first(*problems: str | None) -> str | None:
    return next((p for p in problems if p is not None), None)


def _sale(
    programme: Programme,
    version: int,
    content: Mapping[str, Any],
    at: Any,
    inputs: EventInputs | None,
) -> str | None:
    try:
        if inputs is not None and inputs.basket is not None and inputs.snapshot is not None:
            basket, snapshot = inputs.basket, inputs.snapshot
        else:
            basket = basket_from_json(content["basket"], at=at, store=content["store"])
            snapshot = snapshot_from_json(content["member_snapshot"])
        outcome = evaluate(programme, basket, snapshot, version=version)
    except LoyaltyError as exc:
        return f"the programme refuses this basket: {exc.message}"
    expected = sale_record(content["event_id"], outcome)
    return _first(
        *(
            _differs(name.replace("_", " "), content.get(name), expected.get(name))
            for name in SALE_OUTPUTS
            if name not in BONUS_FIELDS or name in content or programme.engine >= 2
        )
    )


BONUS_FIELDS = ("bonuses", "bonuses_returned")
"""Fields added with caps: tills from before them run engine 1 only and record
neither, so under engine 1 an absent one is not compared (the ledger needs them for
caps, which are engine 2)."""


def _refund(programme: Programme, content: Mapping[str, Any], sale: Sale | None) -> str | None:
    if sale is None:
        return "the refund's sale is unknown"
    ref = sale.content["programme"]
    if content["programme"] != ref:
        return "the refund names another programme version than its sale"
    read = sale.inputs
    try:
        if read is not None and read.basket is not None and read.snapshot is not None:
            basket, snapshot = read.basket, read.snapshot  # a sale earlier in this batch
        else:
            basket = basket_from_json(
                sale.content["basket"],
                at=parse_business_time(sale.content["business_time"]),
                store=sale.content["store"],
            )
            snapshot = snapshot_from_json(sale.content["member_snapshot"])
        reversal = reverse(
            programme,
            int(ref["version"]),
            basket,
            snapshot,
            str(sale.content["event_id"]),
            sale.returned,
            returned_lines(content),
        )
    except LoyaltyError as exc:
        return f"the refund cannot be computed: {exc.message}"
    return _first(
        _differs("postings", content["postings"], dict(reversal.postings)),
        _differs("refund", content["refund_minor"], reversal.refund_minor),
        _differs(
            "rewards revoked", content.get("rewards_revoked", []), list(reversal.rewards_revoked)
        ),
        _differs(
            "rewards restored",
            content.get("rewards_restored", []),
            [r.to_json() for r in reversal.rewards_restored],
        ),
        _differs("spent returned", content.get("spent_returned", {}), reversal.spent_returned),
        _bonuses_returned(programme, content, reversal.bonuses_returned),
        _differs("outcome hash", content["outcome_hash"], reversal.outcome_hash),
    )


def _bonuses_returned(
    programme: Programme, content: Mapping[str, Any], expected: list[dict[str, Any]]
) -> str | None:
    """The fixed bonuses a refund takes back (see :data:`BONUS_FIELDS`)."""
    if "bonuses_returned" not in content and programme.engine < 2:
        return None
    return _differs("bonuses returned", content.get("bonuses_returned", []), expected)


def _legacy_refund(content: Mapping[str, Any], sale: Sale) -> str | None:
    """A schema 2 refund of a release 0.1.0 earn takes back all of it."""
    points = int(sale.content["points"])
    expected = legacy_reversal(
        {"points": points} if points else {}, int(sale.content["amount_minor"])
    )
    recorded = reversal_content(
        returned_lines(content),
        content["postings"],
        content["refund_minor"],
        content.get("rewards_revoked", []),
        content.get("rewards_restored", []),
    )
    return _first(
        _differs("postings", recorded["postings"], expected["postings"]),
        _differs("refund", recorded["refund_minor"], expected["refund_minor"]),
        _differs("outcome hash", content["outcome_hash"], sha256_hex(expected)),
    )


def _redeem(programme: Programme, content: Mapping[str, Any]) -> str | None:
    terms = programme.redeem
    if terms is None:
        return f"the {programme.name} programme has no points discount"
    spent = -content["postings"].get(terms.wallet, 0)
    if set(content["postings"]) != {terms.wallet} or spent < terms.min_points:
        return f"a redemption spends at least {terms.min_points} of {terms.wallet}, nothing else"
    return _differs("discount", content["discount_minor"], redemption_value(terms, spent))


def _action(programme: Programme, content: Mapping[str, Any]) -> str | None:
    action = programme.action(content["action"])
    if action is None:
        return f"the {programme.name} programme has no action {content['action']!r}"
    return _differs("postings", content["postings"], {action.wallet: action.amount})
