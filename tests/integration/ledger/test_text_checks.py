"""Control characters in any text of a request are refused with 422, naming the
field, before anything is written; on SQLite and PostgreSQL alike (PostgreSQL
cannot store a NUL at all, which used to end in a 500 the till retried for ever)."""

from __future__ import annotations

import json

import pytest

from tests.integration.ledger.support import (
    EventChain,
    LedgerHandle,
    fresh_card,
    fresh_terminal_name,
    query_db,
)


def _stored(ledger: LedgerHandle, terminal: str) -> int:
    rows = query_db(ledger.db_url, f"SELECT count(*) FROM events WHERE terminal_id = '{terminal}'")
    return int(str(rows[0][0]))


@pytest.mark.parametrize("character", ["\x00", "\x01", "\t", "\n", "\x1f", "\x7f"])
def test_a_note_with_a_control_character_is_refused(ledger: LedgerHandle, character: str) -> None:
    name = fresh_terminal_name("X")
    client = ledger.client(ledger.add_terminal(name))
    chain = EventChain(name)
    card = fresh_card()
    body = LedgerHandle.batch(name, [chain.earn(card, 1_000), chain.adjust(card, 5, "a b")])
    body["events"][1]["note"] = f"a{character}b"  # as a till that does not check would send
    answer = client.post("/v1/events", content=json.dumps(body, ensure_ascii=False).encode())
    assert answer.status_code == 422
    assert answer.json()["error"] == "invalid"
    assert answer.json()["reason"].startswith("events[1].note: control character U+")
    assert f"U+{ord(character):04X}" in answer.json()["reason"]
    assert _stored(ledger, name) == 0  # not even the clean event before it


def test_a_backslash_before_a_letter_is_text_not_a_control(ledger: LedgerHandle) -> None:
    name = fresh_terminal_name("X")
    client = ledger.client(ledger.add_terminal(name))
    chain = EventChain(name)
    card = fresh_card()
    body = LedgerHandle.batch(
        name, [chain.earn(card, 1_000), chain.adjust(card, 5, "C:\\new\\tab")]
    )
    answer = client.post("/v1/events", json=body)
    assert answer.status_code == 200, answer.text
    assert [r["status"] for r in answer.json()["results"]] == ["accepted", "accepted"]


def test_a_key_with_a_control_character_is_refused(ledger: LedgerHandle) -> None:
    name = fresh_terminal_name("X")
    client = ledger.client(ledger.add_terminal(name))
    body = LedgerHandle.batch(name, [EventChain(name).earn(fresh_card(), 1_000)])
    body["events"][0]["ex\x00tra"] = "x"
    answer = client.post("/v1/events", json=body)
    assert answer.status_code == 422
    assert answer.json()["reason"].startswith("events[0].ex?tra: control character U+0000")
    assert _stored(ledger, name) == 0


def test_query_and_path_parameters_with_control_characters_are_refused(
    ledger: LedgerHandle,
) -> None:
    client = ledger.client(ledger.add_terminal())
    answer = client.get("/v1/changes", params={"since": "abc\x00.1"})
    assert (answer.status_code, answer.json()["error"]) == (422, "invalid")
    assert answer.json()["reason"].startswith("since: control character U+0000")
    answer = client.get("/v1/members/1234%0A5678")
    assert (answer.status_code, answer.json()["error"]) == (422, "invalid")
    assert answer.json()["reason"].startswith("path: control character U+000A")
