"""``pos-ledger rules simulate``: what a candidate version would have given.

Every sale the ledger recorded since a date is evaluated again under the candidate
(with its own basket and member snapshot), and every refund of those sales is
reversed again by difference; the totals per member and account are set beside what
was recorded. Nothing is written: it answers "who gains, who loses, by how much"
before anyone publishes the candidate.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from ledger.db import Database
from ledger.sales import returned_lines
from loyalty.errors import LoyaltyError
from loyalty.programme import Programme, basket_from_json, evaluate, reverse, snapshot_from_json
from loyalty.programme.basket import parse_business_time
from loyalty.programme.refunds import returned_so_far
from loyalty.timezones import programme_zone


@dataclass
class MemberDifference:
    member_id: str
    recorded: dict[str, int] = field(default_factory=dict)
    candidate: dict[str, int] = field(default_factory=dict)

    def changes(self) -> dict[str, tuple[int, int]]:
        accounts = sorted(set(self.recorded) | set(self.candidate))
        return {
            a: (self.recorded.get(a, 0), self.candidate.get(a, 0))
            for a in accounts
            if self.recorded.get(a, 0) != self.candidate.get(a, 0)
        }


@dataclass
class Simulation:
    since: str
    sales: int = 0
    refunds: int = 0
    not_evaluated: list[str] = field(default_factory=list)
    """Events the candidate cannot evaluate, with the reason."""
    members: dict[str, MemberDifference] = field(default_factory=dict)

    def differences(self) -> list[tuple[str, dict[str, tuple[int, int]]]]:
        return [(m, d.changes()) for m, d in sorted(self.members.items()) if d.changes()]

    def to_json(self) -> dict[str, Any]:
        return {
            "since": self.since,
            "sales": self.sales,
            "refunds": self.refunds,
            "not_evaluated": self.not_evaluated,
            "members": [
                {
                    "member_id": member,
                    "accounts": {
                        a: {"recorded": r, "candidate": c, "difference": c - r}
                        for a, (r, c) in changes.items()
                    },
                }
                for member, changes in self.differences()
            ],
        }


def _add(totals: dict[str, int], postings: Mapping[str, int]) -> None:
    for account, amount in postings.items():
        totals[account] = totals.get(account, 0) + int(amount)


def simulate(db: Database, candidate: Programme, since: date) -> Simulation:
    """Evaluate the sales (and their refunds) since local midnight of ``since``."""
    start = datetime.combine(since, time(0), programme_zone(candidate.timezone))
    report = Simulation(since=since.isoformat())
    sales: dict[str, tuple[Mapping[str, Any], Any, dict[int, int]]] = {}
    with db.snapshot() as tx:
        rows = tx.query(
            "SELECT member_id, document FROM events WHERE kind IN ('sale', 'refund') "
            "AND business_at >= ? ORDER BY ledger_seq",
            (start.astimezone(UTC).isoformat(),),
        )
    for member_id, document in rows:
        content = json.loads(document)
        if "schema" not in content:
            continue
        member = report.members.setdefault(str(member_id), MemberDifference(str(member_id)))
        try:
            if content["kind"] == "sale":
                basket = basket_from_json(
                    content["basket"],
                    at=parse_business_time(content["business_time"]),
                    store=content["store"],
                )
                outcome = evaluate(
                    candidate, basket, snapshot_from_json(content["member_snapshot"]), strict=False
                )
                sales[content["event_id"]] = (content, basket, {})
                report.sales += 1
                _add(member.candidate, outcome.postings)
            else:
                sale = sales.get(content["refers_to"])
                if sale is None:
                    continue  # its sale was before the window
                report.refunds += 1
                sale_content, basket, returned = sale
                returning = returned_lines(content)
                reversal = reverse(
                    candidate,
                    0,
                    basket,
                    snapshot_from_json(sale_content["member_snapshot"]),
                    sale_content["event_id"],
                    returned,
                    returning,
                )
                sales[content["refers_to"]] = (
                    sale_content,
                    basket,
                    returned_so_far([returned, returning]),
                )
                _add(member.candidate, reversal.postings)
        except LoyaltyError as exc:
            report.not_evaluated.append(f"event {content['event_id']}: {exc.message}")
            continue
        _add(member.recorded, content["postings"])
    return report
