"""GET /v1/changes: upserts in ledger order behind an opaque, monotonic cursor."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from ledger import feed
from ledger.db import connect
from loyalty.canonical import sha256_hex
from sync.protocol import ChangesResponse, MemberState
from tests.integration.ledger.support import (
    EventChain,
    LedgerHandle,
    fresh_card,
    fresh_terminal_name,
)
from tests.integration.ledger.test_products import ean13

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "programmes"


def _terminal(ledger: LedgerHandle) -> tuple[str, httpx.Client, EventChain]:
    name = fresh_terminal_name()
    return name, ledger.client(ledger.add_terminal(name)), EventChain(name)


def _pull(
    client: httpx.Client, since: str | None = None, limit: int | None = None
) -> ChangesResponse:
    params: dict[str, Any] = {}
    if since is not None:
        params["since"] = since
    if limit is not None:
        params["limit"] = limit
    answer = client.get("/v1/changes", params=params)
    assert answer.status_code == 200, answer.text
    return ChangesResponse.model_validate_json(answer.content)


def _pull_all(
    client: httpx.Client, since: str | None = None, limit: int = 3
) -> tuple[dict[str, MemberState], str, list[int]]:
    """Drain the feed in small pages; return members by card, the last cursor, the versions."""
    members: dict[str, MemberState] = {}
    versions: list[int] = []
    cursor = since
    for _ in range(10_000):
        page = _pull(client, cursor, limit)
        for change in page.changes:
            if change.type == "member":
                members[change.member.card] = change.member
                versions.append(change.member.version)
            else:
                versions.append(change.change)
        cursor = page.next_cursor
        if not page.has_more:
            return members, cursor, versions
    raise AssertionError("the feed never ended")


def _post(client: httpx.Client, name: str, events: list[Any]) -> None:
    answer = client.post("/v1/events", json=LedgerHandle.batch(name, events))
    assert answer.status_code == 200 and answer.json()["stopped_at"] is None, answer.text


def test_a_first_pull_carries_the_programme_and_members(ledger: LedgerHandle) -> None:
    name, client, chain = _terminal(ledger)
    card = fresh_card()
    _post(client, name, [chain.earn(card, 25_000)])
    members, _, _ = _pull_all(client)
    assert members[card].balance == 250
    assert members[card].accounts == {"points": 250, "qualifying_spend": 25_000}
    first = _pull(client, limit=1)
    assert first.changes[0].type == "programme"
    assert first.changes[0].version == 1


def test_changes_come_in_ledger_order_with_a_cursor_that_never_goes_back(
    ledger: LedgerHandle,
) -> None:
    name, client, chain = _terminal(ledger)
    cards = [fresh_card() for _ in range(5)]
    _post(client, name, [chain.earn(card, 10_000) for card in cards])
    _, cursor, versions = _pull_all(client)
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
    _post(client, name, [chain.earn(cards[0], 10_000)])
    page = _pull(client, cursor)
    assert [c.member.card for c in page.changes if c.type == "member"] == [cards[0]]
    assert int(page.next_cursor.rsplit(".", 1)[1]) > int(cursor.rsplit(".", 1)[1])
    quiet = _pull(client, page.next_cursor)
    assert (quiet.changes, quiet.next_cursor, quiet.has_more) == ([], page.next_cursor, False)


def test_pulling_twice_or_from_the_start_again_gives_the_same_state(ledger: LedgerHandle) -> None:
    name, client, chain = _terminal(ledger)
    cards = [fresh_card() for _ in range(4)]
    _post(client, name, [chain.earn(card, 10_000 * (i + 1)) for i, card in enumerate(cards)])
    once, cursor, _ = _pull_all(client)
    twice, cursor_again, _ = _pull_all(client)
    assert once == twice and cursor == cursor_again
    assert _pull(client, "some-other-ledger.99999999").changes == _pull(client).changes


def test_a_member_changed_twice_appears_once_with_its_newest_state(ledger: LedgerHandle) -> None:
    name, client, chain = _terminal(ledger)
    card = fresh_card()
    _, cursor, _ = _pull_all(client)
    _post(client, name, [chain.earn(card, 10_000)])
    _post(client, name, [chain.earn(card, 10_000)])
    page = _pull(client, cursor)
    states = [c.member for c in page.changes if c.type == "member" and c.member.card == card]
    assert [s.balance for s in states] == [200]


def test_the_pull_carries_the_callers_high_water_with_the_balances(ledger: LedgerHandle) -> None:
    name, client, chain = _terminal(ledger)
    _post(client, name, [chain.earn(fresh_card(), 10_000) for _ in range(3)])
    assert _pull(client).high_water == 3
    other = ledger.client(ledger.add_terminal())
    assert _pull(other).high_water == 0


def test_a_cursor_that_is_not_ours_in_form_is_refused_422(ledger: LedgerHandle) -> None:
    client = ledger.client(ledger.add_terminal())
    answer = client.get("/v1/changes", params={"since": "garbage"})
    assert answer.status_code == 422
    assert answer.json()["error"] == "invalid"


def test_a_published_version_travels_through_the_feed_ahead_of_its_start(
    ledger: LedgerHandle,
) -> None:
    client = ledger.client(ledger.add_terminal())
    _, cursor, _ = _pull_all(client)
    document = EXAMPLES / "weekend-dairy.toml"
    published = ledger.admin(
        "rules", "publish", str(document), "--effective-from", "2099-01-01T00:00"
    )
    assert published.returncode == 0, published.stderr
    page = _pull(client, cursor)
    versions = [c for c in page.changes if c.type == "programme"]
    assert len(versions) == 1
    assert versions[0].effective_from == "2099-01-01T00:00"
    assert versions[0].document["programme"]["id"] == "weekend-dairy"
    assert sha256_hex(versions[0].document) == versions[0].content_hash
    in_force = client.get("/v1/rules").json()
    assert in_force["version"] < versions[0].version  # it starts in 2099


def test_the_answer_sent_is_the_page_as_read_whether_its_member_changes_were_kept_or_not(
    ledger: LedgerHandle, tmp_path: Path
) -> None:
    """The route sends :func:`ledger.feed.changes_json`, whose member changes are
    made once per row and kept (:func:`ledger.feed.member_change`): byte for byte
    it must be the JSON of :func:`ledger.feed.changes_answer`, on the first read (the
    rows new) and the second (kept), for every kind of change and page size."""
    name, client, chain = _terminal(ledger)
    cards = [fresh_card() for _ in range(3)]
    _post(client, name, [chain.earn(card, 2_500) for card in cards])
    assert ledger.admin("card", "replace", cards[0], fresh_card()).returncode == 0
    products = tmp_path / "products.csv"
    products.write_text(f"sku,name,price\n{ean13()},Feed test,12.50\n", encoding="utf-8")
    assert ledger.admin("products", "import", str(products)).returncode == 0
    db = connect(ledger.db_url)
    try:
        for limit in (1, 3, 500):
            for _ in range(2):  # the second read finds its member changes kept
                with db.snapshot() as tx:
                    sent = feed.changes_json(tx, "L", name, None, limit, {"epoch": "E"})
                    read = {**feed.changes_answer(tx, "L", name, None, limit), "epoch": "E"}
                assert sent == json.dumps(read, separators=(",", ":"), ensure_ascii=False).encode()
                kinds = {c.type for c in ChangesResponse.model_validate_json(sent).changes}
        assert {"member", "programme", "product", "revoked_card"} <= kinds
    finally:
        db.close()
