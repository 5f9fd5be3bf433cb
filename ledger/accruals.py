"""What a member dividend has accrued so far: the till shows it before it is paid.

For every ``period_percent`` settlement (:class:`loyalty.programme.settlements.
PeriodPercent`) the ledger keeps, per member and period, the qualifying spend at each
rate (a sale in the member's own society's stores at 3 %, elsewhere at 1 %):
``accruals.basis``, a JSON object rate → spend. A sale adds its qualifying spend at
the rate of its store in the period of its business time; a refund takes its own
back in its sale's period and at its sale's store. The amount accrued is the
payout's own formula (rounded once, as ``[arithmetic] rounding`` says), so the
figure the till shows is the one ``settle`` pays for the same events.

The member's ``accrued`` column lists, per settlement, the newest period not yet
paid; the changes feed carries it. Derived from the events alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ledger import programmes
from ledger.db import Tx, not_yet
from ledger.member_book import load_members_by_id
from loyalty.programme import Programme, ProgrammeVersion, version_in_force
from loyalty.programme.model import QUALIFYING_SPEND
from loyalty.programme.settlements import PeriodPercent, period_key
from loyalty.timezones import local_time

Key = tuple[str, str, str]
"""(member, settlement, period)."""


@dataclass
class AccrualKeeper:
    """The accruals of the members one transaction touches."""

    versions: Sequence[ProgrammeVersion]
    basis: dict[Key, dict[str, int]] = field(default_factory=dict)
    periods: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    """Per member, the (settlement, period) keys of ``basis`` (read per member)."""
    loaded: set[str] = field(default_factory=set)
    changed: set[Key] = field(default_factory=set)

    def load(self, tx: Tx, member_ids: Iterable[str]) -> None:
        wanted = not_yet(self.loaded, member_ids)
        if not wanted:
            return
        condition, params = tx.in_list("member_id", wanted)
        for member_id, settlement_id, period, basis in tx.query(
            f"SELECT member_id, settlement_id, period, basis FROM accruals WHERE {condition}",
            params,
        ):
            key = (str(member_id), str(settlement_id), str(period))
            self.basis[key] = {str(k): int(v) for k, v in json.loads(basis).items()}
            self.periods.setdefault(key[0], set()).add(key[1:])

    def apply(
        self, member_id: str, postings: Mapping[str, int], sale_at: datetime, store: str
    ) -> None:
        """Count a sale's (or its refund's) qualifying spend ``postings`` in the period
        of the sale's business time ``sale_at``, at its store ``store``."""
        spend = int(postings.get(QUALIFYING_SPEND, 0))
        version = version_in_force(self.versions, sale_at)
        if not spend or version is None:
            return
        programme = version.programme
        groups = programme.groups_of(store)
        day = local_time(sale_at, programme.timezone).date()
        for settlement in programme.settlements:
            if not isinstance(settlement, PeriodPercent):
                continue
            key = (member_id, settlement.id, period_key(settlement.period, day))
            rate = str(settlement.rate_for(groups))
            held = self.basis.setdefault(key, {})
            self.periods.setdefault(member_id, set()).add(key[1:])
            held[rate] = held.get(rate, 0) + spend
            if not held[rate]:
                del held[rate]
            self.changed.add(key)

    def accrued(self, member_id: str, paid: set[tuple[str, str]]) -> list[dict[str, object]]:
        """Per settlement, the member's newest period not in ``paid`` ((settlement,
        period) pairs) and what it has accrued, as the member's ``accrued`` column
        holds it."""
        newest: dict[str, str] = {}
        for settlement_id, period in self.periods.get(member_id, ()):
            if (settlement_id, period) not in paid:
                newest[settlement_id] = max(newest.get(settlement_id, ""), period)
        found = []
        for settlement_id, period in sorted(newest.items()):
            programme, settlement = self._settlement(settlement_id)
            if programme is None or settlement is None:
                continue
            basis = self.basis[(member_id, settlement_id, period)]
            amount = PeriodPercent.payout(programme.rounding, basis)
            found.append(
                {
                    "settlement": settlement_id,
                    "period": period,
                    "amount": amount,
                    "wallet": settlement.wallet,
                }
            )
        return found

    def _settlement(self, settlement_id: str) -> tuple[Programme | None, PeriodPercent | None]:
        """The newest published definition of a settlement."""
        for version in reversed(self.versions):
            for settlement in version.programme.settlements:
                if settlement.id == settlement_id and isinstance(settlement, PeriodPercent):
                    return version.programme, settlement
        return None, None

    def write(self, tx: Tx) -> None:
        rows = [
            (m, s, p, json.dumps(self.basis[(m, s, p)], sort_keys=True))
            for (m, s, p) in sorted(self.changed)
        ]
        tx.executemany(
            "INSERT INTO accruals (member_id, settlement_id, period, basis) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (member_id, settlement_id, period) DO UPDATE SET basis = excluded.basis",
            rows,
        )
        self.changed.clear()


def paid_periods(tx: Tx) -> set[tuple[str, str]]:
    """(settlement, period) pairs already settled."""
    return {
        (str(s), str(p)) for s, p in tx.query("SELECT settlement_id, period FROM settlement_runs")
    }


def refresh_accrued(tx: Tx, settlement_id: str, period: str) -> None:
    """Take a period just paid off the ``accrued`` lists of the members who had spend
    in it (each shows its next period, if any, instead)."""
    member_ids = [
        str(r[0])
        for r in tx.query(
            "SELECT member_id FROM accruals WHERE settlement_id = ? AND period = ?",
            (settlement_id, period),
        )
    ]
    book = load_members_by_id(tx, member_ids)
    keeper = AccrualKeeper(programmes.published(tx).versions)
    keeper.load(tx, member_ids)
    paid = paid_periods(tx)
    for member in book.by_id.values():
        accrued = keeper.accrued(member.member_id, paid)
        if accrued != member.accrued:
            member.accrued, member.changed = accrued, True
    book.write(tx)
