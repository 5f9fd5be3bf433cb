"""A ledger database and one terminal's event chain, for tests of what the ledger
keeps between receipts (lots, tiers, settlements): events are built as a till builds
them and pushed with :func:`ledger.service.push`, no server in between."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ledger import admin, programmes
from ledger.cli import open_ledger
from ledger.db import Database
from ledger.members import member_by_card
from ledger.service import push
from ledger.terminals import add_terminal
from loyalty.events import Event, EventKind
from loyalty.programme import (
    NEW_MEMBER,
    Basket,
    Line,
    MemberSnapshot,
    ProgrammeVersion,
    evaluate,
    parse_programme,
    reverse,
)
from loyalty.programme.basket import basket_from_json, snapshot_from_json
from loyalty.programme.default import simple_programme_document
from pos_client.recording import action_fields, sale_fields
from sync.protocol import MemberState
from tests.integration.ledger.support import EventChain, fresh_terminal_name


def expiring_programme() -> dict[str, Any]:
    """The default points programme with points expiring six months after the month
    they were earned in (engine 2)."""
    document = simple_programme_document(timezone="Europe/Oslo")
    document["programme"]["engine"] = 2
    document["programme"]["id"] = "expiring"
    document["wallets"] = [{"id": "points", "expiry": {"months": 6}}]
    return document


def bonvoy() -> dict[str, Any]:
    """Marriott Bonvoy style: 10 points per USD, Gold +25 %, Platinum +50 %; tiers by
    nights in a calendar year (Silver 10, Gold 25, Platinum 50)."""
    return {
        "programme": {
            "id": "bonvoy",
            "name": "Bonvoy style",
            "engine": 2,
            "currency": "USD",
            "timezone": "America/New_York",
        },
        "tiers": {
            "levels": ["member", "silver", "gold", "platinum"],
            "qualify": {
                "metric": "units",
                "tag": "night",
                "window": "calendar_year",
                "thresholds": {"silver": 10, "gold": 25, "platinum": 50},
            },
        },
        "stack_groups": [{"id": "tier-extra", "mode": "first_by_priority"}],
        "rules": [
            {"id": "base", "kind": "earn_rate", "rate": "10"},
            {
                "id": "gold-extra",
                "kind": "multiplier",
                "increment": "0.25",
                "group": "tier-extra",
                "when": {"tiers": ["gold"]},
            },
            {
                "id": "platinum-extra",
                "kind": "multiplier",
                "increment": "0.5",
                "group": "tier-extra",
                "when": {"tiers": ["platinum"]},
            },
        ],
    }


@dataclass
class Rig:
    db: Database
    url: str
    terminal: str
    chain: EventChain
    version: ProgrammeVersion
    directory: Path | None = None
    """Where the rig writes files (member imports), when a test gives one."""

    def push(self, *events: Event) -> None:
        """Push ``events``; the ledger's own events (a voucher issued) happen at the
        chain's business time, the clock the rig controls."""
        answer = push(
            self.db, self.terminal, [e.to_dict() for e in events], clock=lambda: self.chain.at
        )
        assert answer.stopped_at is None, answer.stopped_at
        assert {r.status for r in answer.results} == {"accepted"}

    def other_till(self) -> Rig:
        """A second terminal on the same ledger and version (its own chain)."""
        terminal = fresh_terminal_name("R")
        with self.db.write() as tx:
            add_terminal(tx, terminal)
        chain = EventChain(terminal, self.version)
        chain.at = self.chain.at
        return Rig(self.db, self.url, terminal, chain, self.version, self.directory)

    def import_members(self, directory: Path | None, *rows: str) -> None:
        """Members from CSV lines (the header first)."""
        assert directory is not None, "give the rig a directory"
        path = directory / f"members-{uuid.uuid4().hex[:6]}.csv"
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        admin.import_members(self.db, path)

    def sell(
        self,
        card: str,
        *lines: Line,
        snapshot: MemberSnapshot = NEW_MEMBER,
        strict: bool = True,
        **basket: Any,
    ) -> Event:
        """A sale of ``lines`` (with ``basket``'s rewards, offers, vouchers...) to
        ``card``'s member, as a till records it."""
        event_id = f"sale-{uuid.uuid4().hex[:12]}"
        sold = Basket(self.chain.at, self.chain.store, lines, **basket)
        outcome = evaluate(
            self.version.programme, sold, snapshot, version=self.version.version, strict=strict
        )
        fields = sale_fields(event_id, self.version, sold, snapshot, outcome)
        return self.chain._append(EventKind.SALE, card, event_id=event_id, **fields)

    def act(self, card: str, action_id: str) -> Event:
        action = self.version.programme.action(action_id)
        assert action is not None
        return self.chain._append(EventKind.ACTION, card, **action_fields(self.version, action))

    def anomalies(self, card: str) -> list[tuple[str, str]]:
        """(kind, event id) of every anomaly about ``card``'s member."""
        member_id = self.member(card).member_id
        with self.db.snapshot() as tx:
            rows = tx.query(
                "SELECT kind, event_id FROM anomalies WHERE member_id = ? ORDER BY kind, event_id",
                (member_id,),
            )
        return [(str(k), str(e)) for k, e in rows]

    def own_events(self, card: str, kind: str) -> list[dict[str, Any]]:
        """The ledger's own events of ``kind`` for ``card``'s member, in its order."""
        member_id = self.member(card).member_id
        with self.db.snapshot() as tx:
            rows = tx.query(
                "SELECT document FROM events WHERE member_id = ? AND kind = ? ORDER BY ledger_seq",
                (member_id, kind),
            )
        return [json.loads(str(r[0])) for r in rows]

    def at(self, text: str) -> None:
        self.chain.at = datetime.fromisoformat(text)

    def sale(
        self,
        card: str,
        amount_minor: int,
        redeem_points: int = 0,
        store: str = "S01",
        lines: tuple[Line, ...] = (),
        who: MemberSnapshot = NEW_MEMBER,
    ) -> Event:
        """A sale as a till records it: one line of ``amount_minor`` (points as a
        discount if given), or ``lines``, in ``store``, for the member snapshot
        ``who`` (a new member's by default)."""
        event_id = f"sale-{self.terminal}-{self.chain.seq + 1}-{card}"
        basket = Basket(
            self.chain.at,
            store,
            lines or (Line(1, "AMOUNT", "Goods", 1, amount_minor),),
            redeem_points=redeem_points,
        )
        outcome = evaluate(self.version.programme, basket, who, version=self.version.version)
        fields = sale_fields(event_id, self.version, basket, who, outcome)
        self.chain.store = store
        try:
            return self.chain._append(EventKind.SALE, card, event_id=event_id, **fields)
        finally:
            self.chain.store = "S01"

    def refund(
        self,
        sale: Event,
        returning: Mapping[int, int] | None = None,
        before: Mapping[int, int] | None = None,
    ) -> Event:
        """``returning`` units per line of ``sale`` back (all of it by default) after
        ``before`` were returned, as a till computes it."""
        recorded = sale.get("basket")
        basket = basket_from_json(
            recorded, datetime.fromisoformat(sale.get("business_time")), sale.get("store")
        )
        returning = dict(returning or {line.line: line.qty for line in basket.lines})
        reversal = reverse(
            self.version.programme,
            self.version.version,
            basket,
            snapshot_from_json(sale.get("member_snapshot") or {}),
            sale.event_id,
            dict(before or {}),
            returning,
        )
        return self.chain._append(
            EventKind.REFUND,
            sale.card,
            refers_to=sale.event_id,
            returned=[{"line": line, "qty": qty} for line, qty in sorted(returning.items())],
            programme=sale.get("programme"),
            postings=dict(reversal.postings),
            refund_minor=reversal.refund_minor,
            spent_returned=reversal.spent_returned or None,
            bonuses_returned=reversal.bonuses_returned or None,
            outcome_hash=reversal.outcome_hash,
        )

    def member(self, card: str) -> MemberState:
        with self.db.snapshot() as tx:
            found = member_by_card(tx, card)
        assert found is not None
        return found

    def lots(self, card: str) -> dict[str, int]:
        member_id = self.member(card).member_id
        with self.db.snapshot() as tx:
            rows = tx.query(
                "SELECT last_day, remaining FROM lots WHERE member_id = ? AND remaining > 0 "
                "ORDER BY last_day",
                (member_id,),
            )
        return {str(day) or "never": int(n) for day, n in rows}


def open_rig(
    url: str, document: dict[str, Any], effective_from: str = "2026-01-01T00:00", prefix: str = "R"
) -> Rig:
    """A ledger at ``url`` with a new terminal and ``document`` published from
    ``effective_from`` (local, in the past allowed), and that terminal's chain."""
    db, _ = open_ledger(url)
    with db.write() as tx:
        terminal = fresh_terminal_name(prefix)
        add_terminal(tx, terminal)
        done = programmes.publish_version(
            tx, parse_programme(document, "document"), effective_from, check_lead=False
        )
    with db.snapshot() as tx:
        version = next(v for v in programmes.versions(tx) if v.version == done.version)
    return Rig(db, url, terminal, EventChain(terminal, version), version)
