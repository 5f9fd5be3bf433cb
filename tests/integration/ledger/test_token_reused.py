"""The ``token_reused`` anomaly through the real ledger server, on SQLite and
PostgreSQL: a single-use member code that identified a member at two tills is
flagged on the later push, naming both terminals; several events of one till with
one code, and a multi-use code at two tills, are normal; concurrent pushes of one
code from many tills flag every one but the first."""

from __future__ import annotations

import itertools
import threading
import uuid

from tests.integration.ledger.support import EventChain, LedgerHandle, fresh_card, run_admin
from tests.integration.ledger.support import query_db as sql

_nonces = itertools.count(1)


def _replay_id(member_id: str, single_use: bool = True) -> str:
    type_byte = 0x82 if single_use else 0x01
    return f"{type_byte}.4711.1.1.1772449200.{next(_nonces)}.{member_id}"


def _identified(replay_id: str) -> dict[str, str]:
    return {"via": "token", "replay_id": replay_id}


def _push_sale(ledger: LedgerHandle, card: str, replay_id: str) -> tuple[str, EventChain, str, str]:
    """One sale on ``card`` identified by ``replay_id``, pushed by a new terminal: the
    terminal id, its chain, its token and the event id."""
    terminal = f"QR-{uuid.uuid4().hex[:8]}"
    token = ledger.add_terminal(terminal)
    chain = EventChain(terminal)
    event = chain.earn(card, 5000, identified_by=_identified(replay_id))
    answer = ledger.client(token).post("/v1/events", json=ledger.batch(terminal, [event]))
    assert answer.status_code == 200 and answer.json()["results"][0]["status"] == "accepted"
    return terminal, chain, token, str(event.content["event_id"])


def _reused(ledger: LedgerHandle, replay_id: str) -> list[tuple[object, ...]]:
    """The ``token_reused`` anomalies about ``replay_id``: (terminal, event, member, detail)."""
    rows = sql(
        ledger.db_url,
        "SELECT terminal_id, event_id, member_id, detail FROM anomalies "
        "WHERE kind = 'token_reused' ORDER BY terminal_id",
    )
    return [row for row in rows if f" {replay_id} " in str(row[3])]


def test_a_single_use_code_at_two_tills_is_flagged_naming_both(ledger: LedgerHandle) -> None:
    card = fresh_card()
    replay_id = _replay_id("M" + card)
    first, _, _, first_event = _push_sale(ledger, card, replay_id)
    assert _reused(ledger, replay_id) == []
    second, _, _, second_event = _push_sale(ledger, card, replay_id)
    ((terminal, event_id, member_id, detail),) = _reused(ledger, replay_id)
    ((holder,),) = sql(ledger.db_url, f"SELECT member_id FROM members WHERE card = '{card}'")
    assert (terminal, event_id, member_id) == (second, second_event, holder)
    assert first in str(detail) and second in str(detail) and first_event in str(detail)
    assert sql(
        ledger.db_url,
        f"SELECT terminal_id, event_id FROM token_uses WHERE replay_id = '{replay_id}'",
    ) == [(first, first_event)]
    listed = run_admin(ledger.db_url, "anomalies", "--kind", "token_reused")
    assert listed.returncode == 0 and second in listed.stdout
    flags = sql(ledger.db_url, f"SELECT flag_reasons FROM members WHERE card = '{card}'")
    assert "token_reused" in str(flags)


def test_one_till_using_a_code_for_several_events_is_normal(ledger: LedgerHandle) -> None:
    card = fresh_card()
    replay_id = _replay_id("M" + card)
    terminal, chain, token, _ = _push_sale(ledger, card, replay_id)
    more = [
        chain.earn(card, 1200, identified_by=_identified(replay_id)),
        chain.earn(card, 800, identified_by=_identified(replay_id)),
    ]
    answer = ledger.client(token).post("/v1/events", json=ledger.batch(terminal, more))
    assert [r["status"] for r in answer.json()["results"]] == ["accepted", "accepted"]
    assert _reused(ledger, replay_id) == []


def test_a_multi_use_code_at_two_tills_is_normal(ledger: LedgerHandle) -> None:
    card = fresh_card()
    replay_id = _replay_id("M" + card, single_use=False)
    _push_sale(ledger, card, replay_id)
    _push_sale(ledger, card, replay_id)
    assert _reused(ledger, replay_id) == []
    recorded = f"SELECT 1 FROM token_uses WHERE replay_id = '{replay_id}'"
    assert sql(ledger.db_url, recorded) == []


def test_concurrent_pushes_of_one_code_flag_all_but_the_first(ledger: LedgerHandle) -> None:
    """Tills pushing the same single-use code at the same moment (different members,
    so no member lock orders them): one use is first, every other is flagged."""
    tills = 6
    replay_id = _replay_id("M-race")
    prepared = []
    for _ in range(tills):
        terminal = f"QR-{uuid.uuid4().hex[:8]}"
        token = ledger.add_terminal(terminal)
        event = EventChain(terminal).earn(fresh_card(), 700, identified_by=_identified(replay_id))
        prepared.append((terminal, token, ledger.batch(terminal, [event])))
    start = threading.Barrier(tills)
    statuses: list[int] = []

    def push(token: str, terminal: str, body: dict[str, object]) -> None:
        client = ledger.client(token)
        start.wait()
        statuses.append(client.post("/v1/events", json=body).status_code)

    threads = [threading.Thread(target=push, args=(t, n, b)) for n, t, b in prepared]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert statuses == [200] * tills
    ((first,),) = sql(
        ledger.db_url, f"SELECT terminal_id FROM token_uses WHERE replay_id = '{replay_id}'"
    )
    flagged = [row[0] for row in _reused(ledger, replay_id)]
    assert sorted([first, *flagged]) == sorted(n for n, _, _ in prepared)
