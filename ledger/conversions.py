"""Bonus vouchers at thresholds (H&M style): a wallet that holds enough is converted.

After every push (for the members it touched) and every settlement payment, the
ledger looks at each ``threshold_voucher`` settlement of the version in force: a
member whose wallet holds at least ``threshold`` gets one voucher of
``value_minor`` for every ``threshold`` units, and those units are taken from the
wallet (soonest-expiring lots first), in one ledger ``settlement`` event that lists
the vouchers (:mod:`ledger.vouchers`). The vouchers reach the member's tills in the
changes feed. A balance that reached the threshold before the settlement was
published is converted at the member's next event.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from ledger.member_book import WorkingMember
from ledger.own_events import OwnEvent
from ledger.vouchers import voucher_entry
from loyalty.events import EventKind
from loyalty.programme import ProgrammeVersion, version_in_force
from loyalty.programme.settlements import ThresholdVoucher
from loyalty.timezones import local_time

MAX_VOUCHERS_PER_EVENT = 50
"""A member holding more converts the rest at their next event."""


def conversions_due(
    versions: Sequence[ProgrammeVersion], members: Iterable[WorkingMember], now: datetime
) -> list[OwnEvent]:
    """The conversion events due for ``members`` under the version in force at
    ``now`` (the event's business time)."""
    version = version_in_force(versions, now)
    if version is None:
        return []
    programme = version.programme
    thresholds = [s for s in programme.settlements if isinstance(s, ThresholdVoucher)]
    if not thresholds:
        return []
    today = local_time(now, programme.timezone).date()
    due = []
    for member in sorted(members, key=lambda m: m.member_id):
        left = dict(member.accounts)
        for settlement in thresholds:
            held = left.get(settlement.wallet, 0)
            count = min(held // settlement.threshold, MAX_VOUCHERS_PER_EVENT)
            if count <= 0:
                continue
            left[settlement.wallet] = held - count * settlement.threshold
            vouchers = [
                voucher_entry(settlement.value_minor, settlement.terms, today) for _ in range(count)
            ]
            due.append(
                OwnEvent(
                    str(uuid.uuid4()),
                    member,
                    EventKind.SETTLEMENT,
                    {
                        "settlement": {"id": settlement.id},
                        "postings": {settlement.wallet: -count * settlement.threshold},
                        "vouchers_issued": vouchers,
                    },
                    local_time(now, programme.timezone),
                    programme.currency,
                )
            )
    return due
