"""A past for the demo's ledger, so that a settle run has points to expire.

``python -m ledger.demo_history --db URL --members FILE`` (run once by the demo when
it creates its ledger, as a separate process like every ``pos-ledger`` command)
publishes the Starbucks example as a version that started nine months ago and
pushes, from a terminal of its own (``DEMO00-HIST``), a few sales of some members
dated eight, seven and two months ago, exactly as an offline till would push
receipts that old. Stars expire six months after the month they were earned in, so
when the demo runs ``--programme starbucks``, the first two lots are past their last
day: ``settle`` (the demo's F12) expires them, and the panel shows what expires next.

Nothing here runs in a store: it writes a made-up history into a demo database.
"""

from __future__ import annotations

import argparse
import csv
import sys
import uuid
from collections.abc import Sequence
from datetime import date, datetime, time
from pathlib import Path

from ledger import programmes
from ledger.cli import open_ledger
from ledger.service import push
from ledger.terminals import add_terminal
from loyalty.events import GENESIS_HASH, Event, EventKind, build_event
from loyalty.programme import NEW_MEMBER, Basket, Line, evaluate, load_programme_file
from loyalty.programme.outcome import sale_record
from loyalty.timezones import programme_zone

TERMINAL = "DEMO00-HIST"
MONTHS_AGO = (8, 7, 2)
"""When the history's sales happened, in months before today."""
AMOUNTS = (4000, 3000, 2500)
"""What each of them paid, in cents (1 star per USD at the Green rate)."""
MEMBERS_WITH_HISTORY = 12


def months_back(today: date, months: int) -> date:
    index = today.year * 12 + today.month - 1 - months
    return date(index // 12, index % 12 + 1, min(today.day, 28))


def seed(db_url: str, starbucks: Path, members: Sequence[tuple[str, str]], today: date) -> int:
    """Publish the past version and push the sales (see the module doc); how many."""
    programme = load_programme_file(starbucks)
    zone = programme_zone(programme.timezone)
    db, _ = open_ledger(db_url)
    try:
        start = months_back(today, 9).isoformat() + "T00:00"
        with db.write() as tx:
            add_terminal(tx, TERMINAL)
            done = programmes.publish_version(tx, programme, start, check_lead=False)
        with db.snapshot() as tx:
            version = next(v for v in programmes.versions(tx) if v.version == done.version)
        ref = {"id": programme.id, "version": version.version, "hash": version.content_hash}
        events: list[Event] = []
        prev = GENESIS_HASH
        for card, member_id in members[:MEMBERS_WITH_HISTORY]:
            for months, amount in zip(MONTHS_AGO, AMOUNTS, strict=True):
                at = datetime.combine(months_back(today, months), time(10), tzinfo=zone)
                basket = Basket(at, "DEMO00", (Line(1, "DEMO-LATTE", "Latte", 1, amount),))
                outcome = evaluate(programme, basket, NEW_MEMBER, version=version.version)
                event_id = str(uuid.uuid4())
                event = build_event(
                    terminal_id=TERMINAL,
                    seq=len(events) + 1,
                    prev_hash=prev,
                    kind=EventKind.SALE,
                    event_id=event_id,
                    card=card,
                    member_id=member_id,
                    business_time=at.isoformat(timespec="seconds"),
                    store="DEMO00",
                    currency=programme.currency,
                    programme=ref,
                    basket=basket.to_json(with_context=False),
                    member_snapshot=NEW_MEMBER.to_json(),
                    **sale_record(event_id, outcome),
                )
                prev = event.hash
                events.append(event)
        answer = push(db, TERMINAL, [e.to_dict() for e in events])
        return sum(1 for r in answer.results if r.status == "accepted")
    finally:
        db.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ledger.demo_history")
    parser.add_argument("--db", required=True)
    parser.add_argument("--members", required=True, type=Path, help="the members CSV imported")
    parser.add_argument("--programme", required=True, type=Path, help="starbucks.toml")
    args = parser.parse_args(argv)
    with args.members.open(newline="", encoding="utf-8") as handle:
        rows = [(r["card"], r.get("member_id") or "M" + r["card"]) for r in csv.DictReader(handle)]
    pushed = seed(args.db, args.programme, rows, date.today())
    print(f"Pushed {pushed} sales of a made-up past for the demo.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
