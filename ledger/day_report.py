"""A business day across the chain, from the events the ledger holds: per store, per
till and per cashier, with the same counting as a till's own end-of-day report
(:func:`loyalty.day_tally.tally`).

The day is a calendar day in the programme's time zone (the version in force at its
start); an event belongs to it by its business time. The ledger's own events
(expiries, settlements, corrections, head office's adjustments) are the store
``ledger``. :data:`CSV_COLUMNS` and :func:`csv_rows` are the one layout of the export:
one row per store, till and cashier.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

from ledger.db import Tx
from loyalty.day_tally import CashierDay, tally
from loyalty.events import Event
from loyalty.timezones import programme_zone

CSV_COLUMNS: Final = (
    "date",
    "store",
    "till",
    "cashier",
    "sales",
    "refunds",
    "redemptions",
    "corrections",
    "actions",
    "enrolments",
    "members_served",
    "earned",
    "redeemed",
    "returned",
    "corrected",
    "refunded_minor",
)


@dataclass(frozen=True)
class DayLine:
    """What one cashier did at one till of one store."""

    store: str
    till: str
    cashier: str
    day: CashierDay


@dataclass(frozen=True)
class ChainDay:
    day: date
    timezone: str
    lines: list[DayLine]
    by_store: list[CashierDay]
    """One per store (``operator`` holds the store id)."""
    by_till: list[tuple[str, CashierDay]]
    """(store, the till's day with ``operator`` holding the till id)."""
    by_cashier: list[CashierDay]
    """One per cashier across the stores shown."""
    totals: CashierDay


def day_bounds(day: date, timezone: str) -> tuple[str, str]:
    """The UTC instants (ISO 8601, as ``events.business_at`` holds them) where the
    local ``day`` begins and the next begins."""
    zone = programme_zone(timezone)
    start = datetime.combine(day, time(0), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC)
    return start.isoformat(), end.isoformat()


def chain_day(tx: Tx, day: date, timezone: str, stores: Iterable[str] | None = None) -> ChainDay:
    """The day's figures, of ``stores`` only when given (a store manager's)."""
    start, end = day_bounds(day, timezone)
    wanted = None if stores is None else frozenset(stores)
    rows = tx.query(
        "SELECT document, hash FROM events WHERE business_at >= ? AND business_at < ? "
        "ORDER BY ledger_seq",
        (start, end),
    )
    events = [Event.from_dict({**json.loads(str(r[0])), "hash": str(r[1])}) for r in rows]
    if wanted is not None:
        events = [e for e in events if str(e.get("store", "")) in wanted]
    groups: dict[tuple[str, str, str], list[Event]] = {}
    for event in events:
        key = (str(event.get("store", "")), event.terminal_id, str(event.get("operator") or ""))
        groups.setdefault(key, []).append(event)
    lines = [DayLine(s, t, c, tally(group, c, c)) for (s, t, c), group in sorted(groups.items())]
    return ChainDay(
        day,
        timezone,
        lines,
        _grouped(events, lambda e: str(e.get("store", ""))),
        [
            (store, till_day)
            for store in sorted({str(e.get("store", "")) for e in events})
            for till_day in _grouped(
                [e for e in events if str(e.get("store", "")) == store], lambda e: e.terminal_id
            )
        ],
        _grouped(events, lambda e: str(e.get("operator") or "")),
        tally(events, "", "all"),
    )


def _grouped(events: list[Event], key: Callable[[Event], str]) -> list[CashierDay]:
    groups: dict[str, list[Event]] = {}
    for event in events:
        groups.setdefault(key(event), []).append(event)
    return [tally(group, name, name) for name, group in sorted(groups.items())]


def units(counts: Mapping[str, int]) -> str:
    """``points=120;stars=3``: per-account figures in one cell."""
    return ";".join(f"{account}={value}" for account, value in sorted(counts.items()))


def csv_rows(report: ChainDay) -> list[dict[str, object]]:
    """One row per store, till and cashier, keyed by :data:`CSV_COLUMNS`."""
    rows = []
    for line in report.lines:
        day = line.day
        rows.append(
            {
                "date": report.day.isoformat(),
                "store": line.store,
                "till": line.till,
                "cashier": line.cashier,
                "sales": day.sales,
                "refunds": day.refunds,
                "redemptions": day.redemptions,
                "corrections": day.corrections,
                "actions": day.actions,
                "enrolments": day.enrolments,
                "members_served": day.members_served,
                "earned": units(day.earned),
                "redeemed": units(day.redeemed),
                "returned": units(day.returned),
                "corrected": units(day.corrected),
                "refunded_minor": units(day.refunded),
            }
        )
    return rows


def csv_text(report: ChainDay) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(csv_rows(report))
    return out.getvalue()
