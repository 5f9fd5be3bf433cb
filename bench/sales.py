"""Sale events as a till records them, for benchmarks that need many of them fast.

:func:`sale_chain` makes one-line baskets evaluated under the ledger's version 1 (the
default points programme); :func:`basket_sale_chain` any basket, member snapshot and
version. Both carry the same fields :meth:`pos_client.till.Till.finish_sale` writes.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from loyalty.events import GENESIS_HASH, Event, EventKind, build_event
from loyalty.programme import (
    NEW_MEMBER,
    Basket,
    Line,
    MemberSnapshot,
    ProgrammeVersion,
    evaluate,
    parse_programme,
)
from loyalty.programme.default import simple_programme_document
from loyalty.programme.versions import local_start
from pos_client.recording import sale_fields

VERSION_1 = ProgrammeVersion(
    1, local_start("2000-01-01T00:00", "UTC"), parse_programme(simple_programme_document())
)


def sale_chain(terminal_id: str, cards: list[str], count: int, amount_minor: int) -> list[Event]:
    """``count`` chained sales of one ``amount_minor`` line, cycling through ``cards``."""
    at = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    basket = Basket(at, "BENCH", (Line(1, "AMOUNT", "Amount", 1, amount_minor),))
    return basket_sale_chain(terminal_id, cards, count, VERSION_1, basket, NEW_MEMBER)


def basket_sale_chain(
    terminal_id: str,
    cards: list[str],
    count: int,
    version: ProgrammeVersion,
    basket: Basket,
    member: MemberSnapshot,
) -> list[Event]:
    """``count`` chained sales of ``basket`` for ``member`` under ``version``, cycling
    through ``cards`` (the basket is evaluated once; every event carries its outcome)."""
    outcome = evaluate(version.programme, basket, member, version=version.version)
    events, prev = [], GENESIS_HASH
    for seq in range(1, count + 1):
        event_id = str(uuid.uuid4())
        card = cards[seq % len(cards)]
        event = build_event(
            terminal_id=terminal_id,
            seq=seq,
            prev_hash=prev,
            kind=EventKind.SALE,
            event_id=event_id,
            card=card,
            member_id="M" + card,
            business_time=basket.at.isoformat(timespec="seconds"),
            store=basket.store,
            currency=version.programme.currency,
            **sale_fields(event_id, version, basket, member, outcome),
        )
        events.append(event)
        prev = event.hash
    return events
