"""The store manager's side at the ledger, through the real server: approvals checked
at push, enrolment with card ranges, card replacement and blocking, voided events,
merges, token rotation and the member history."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx

from loyalty.cards import card_of_body
from loyalty.programme.approvals import approval_record
from loyalty.tiers import DEFAULT_TIER
from sync.history_wire import MemberHistoryResponse
from sync.protocol import CardRangesResponse
from tests.integration.ledger.manager_support import (
    block,
    enrol,
    pull_all,
    push,
    replace,
)
from tests.integration.ledger.support import (
    EventChain,
    LedgerHandle,
    fresh_card,
    fresh_terminal_name,
    run_admin,
)


def _till(ledger: LedgerHandle) -> tuple[str, httpx.Client, EventChain]:
    name = fresh_terminal_name()
    return name, ledger.client(ledger.add_terminal(name)), EventChain(name)


def _anomalies(ledger: LedgerHandle, terminal: str) -> list[dict[str, Any]]:
    listed = ledger.admin("anomalies", "--all", "--json")
    assert listed.returncode == 0, listed.stderr
    return [a for a in json.loads(listed.stdout) if a["terminal_id"] == terminal]


def _manager(ledger: LedgerHandle) -> str:
    staff_id = "M" + uuid.uuid4().hex[:8]
    added = run_admin(
        ledger.db_url,
        "staff",
        "add",
        staff_id,
        "--name",
        "Mia",
        "--role",
        "manager",
        "--pin-stdin",
        stdin="4321\n",
    )
    assert added.returncode == 0, added.stderr
    return staff_id


def test_an_unapproved_adjust_is_refused_as_malformed_and_changes_nothing(
    ledger: LedgerHandle,
) -> None:
    name, client, chain = _till(ledger)
    card = fresh_card()
    push(client, name, [chain.earn(card, 10_000)])
    unapproved = chain.adjust(card, 10**12, approval=None)
    answer = push(client, name, [unapproved])
    assert answer.stopped_at is not None and answer.stopped_at.code == "malformed"
    assert "approval" in answer.stopped_at.reason
    assert answer.high_water == 1
    assert client.get(f"/v1/members/{card}").json()["member"]["balance"] == 100
    for wrong in (
        approval_record("MGR-1", "adjust", 5),  # for a smaller amount
        approval_record("MGR-1", "refund", 10**12),  # for another action
    ):
        other = EventChain(name)
        other.seq, other.last_hash = 1, answer.last_hash
        refused = push(client, name, [other.adjust(card, 10**12, approval=wrong)])
        assert refused.stopped_at is not None and refused.stopped_at.code == "malformed"
    assert any(a["kind"] == "malformed" for a in _anomalies(ledger, name))


def test_a_large_approved_adjust_is_accepted_and_flagged(ledger: LedgerHandle) -> None:
    manager = _manager(ledger)
    name, client, chain = _till(ledger)
    card = fresh_card()
    approved = chain.adjust(card, 10**12, approval=approval_record(manager, "adjust", 10**12))
    answer = push(client, name, [approved, chain.adjust(card, 5)])  # MGR-1 is unknown
    assert [r.status for r in answer.results] == ["accepted", "accepted"]
    assert answer.balances[0].balance == 10**12 + 5
    kinds = {(a["seq"], a["kind"]) for a in _anomalies(ledger, name)}
    assert (1, "large_adjustment") in kinds and (1, "approval_unverified") not in kinds
    assert (2, "approval_unverified") in kinds and (2, "large_adjustment") not in kinds


def test_a_legacy_adjust_above_the_default_limit_is_flagged(ledger: LedgerHandle) -> None:
    name = fresh_terminal_name()
    client = ledger.client(ledger.add_terminal(name))
    chain = EventChain(name, legacy=True)
    answer = push(client, name, [chain.adjust(fresh_card(), 5000)])
    assert answer.results[0].status == "accepted"
    assert "large_adjustment" in [a["kind"] for a in _anomalies(ledger, name)]


def test_two_tills_enrol_from_their_own_ranges_and_never_collide(ledger: LedgerHandle) -> None:
    (a, client_a, chain_a), (b, client_b, chain_b) = _till(ledger), _till(ledger)
    range_a, range_b = pull_all(client_a).card_ranges, pull_all(client_b).card_ranges
    assert len(range_a) == len(range_b) == 1
    assert range_a[0].last < range_b[0].first or range_b[0].last < range_a[0].first
    more = client_a.post("/v1/card-ranges")
    assert more.status_code == 200, more.text
    ranges = CardRangesResponse.model_validate_json(more.content).ranges
    assert len(ranges) == 2 and ranges[0] == range_a[0]
    assert ranges[1].last - ranges[1].first == 999 and str(ranges[1].first).startswith("27")
    card_a, card_b = card_of_body(range_a[0].first), card_of_body(range_b[0].first)
    answer_a = push(client_a, a, [enrol(chain_a, card_a, "Ada"), chain_a.earn(card_a, 10_000)])
    answer_b = push(client_b, b, [enrol(chain_b, card_b, "Bo"), chain_b.earn(card_b, 20_000)])
    for answer, card, balance in ((answer_a, card_a, 100), (answer_b, card_b, 200)):
        assert {r.status for r in answer.results} == {"accepted"}
        member = answer.balances[0]
        assert (member.card, member.balance, member.tier, member.flagged) == (
            card,
            balance,
            DEFAULT_TIER,
            False,
        )
        assert member.phone.startswith("+4790")
    outside = push(client_a, a, [enrol(chain_a, card_b, "Cy")])  # B's card: in use
    assert outside.results[0].status == "accepted"
    kinds = [x["kind"] for x in _anomalies(ledger, a)]
    assert kinds == ["card_in_use"]
    unborn = push(
        client_a, a, [enrol(chain_a, card_of_body(ranges[1].first), birth_date="2027-01-01")]
    )
    assert unborn.stopped_at is not None and "birth date" in unborn.stopped_at.reason
    chain_a.seq, chain_a.last_hash = unborn.high_water, unborn.last_hash
    stray = card_of_body(range_b[0].first + 1)  # B's range, unused
    push(client_a, a, [enrol(chain_a, stray, "Di")])
    assert "card_outside_range" in [x["kind"] for x in _anomalies(ledger, a)]


def test_a_duplicate_is_flagged_then_merged_and_verify_is_clean(ledger: LedgerHandle) -> None:
    (a, client_a, chain_a), (b, client_b, chain_b) = _till(ledger), _till(ledger)
    card_a = card_of_body(pull_all(client_a).card_ranges[0].first)
    card_b = card_of_body(pull_all(client_b).card_ranges[0].first)
    email = f"ada-{uuid.uuid4().hex[:6]}@example.com"
    first = push(client_a, a, [enrol(chain_a, card_a, email=email), chain_a.earn(card_a, 10_000)])
    second = push(client_b, b, [enrol(chain_b, card_b, email=email), chain_b.earn(card_b, 5_000)])
    keep, other = first.balances[0].member_id, second.balances[0].member_id
    duplicates = [x for x in _anomalies(ledger, b) if x["kind"] == "duplicate_member"]
    assert len(duplicates) == 1 and keep in duplicates[0]["detail"]
    assert ledger.admin("member", "merge", keep, keep).returncode == 1
    merged = ledger.admin("member", "merge", card_a, other, "--by", "Mia")
    assert merged.returncode == 0, merged.stderr
    assert ledger.admin("member", "merge", keep, other).returncode == 1  # already merged
    assert ledger.admin("member", "merge", other, keep).returncode == 1  # into a merged one
    assert client_a.get(f"/v1/members/{card_a}").json()["member"]["balance"] == 150
    later = push(client_b, b, [chain_b.earn(card_b, 1_000)])  # offline, on OTHER's card
    assert (later.balances[0].member_id, later.balances[0].balance) == (keep, 160)
    assert not [
        x
        for x in _anomalies(ledger, b)
        if x["resolved_at"] is None and x["kind"] == "duplicate_member"
    ]
    feed = pull_all(client_a)
    assert other not in [c.member.member_id for c in feed.changes if c.type == "member"]
    assert card_b in [c.card for c in feed.changes if c.type == "revoked_card"]
    history = client_a.get(f"/v1/members/{keep}/events").json()
    assert {e["terminal_id"] for e in history["events"]} == {a, b}
    verified = ledger.admin("verify")
    assert verified.returncode == 0 and "all consistent" in verified.stdout, verified.stdout


def test_a_replaced_card_is_refused_and_its_offline_sales_count_for_the_member(
    ledger: LedgerHandle,
) -> None:
    (a, client_a, chain_a), (b, client_b, chain_b) = _till(ledger), _till(ledger)
    old, new, taken = fresh_card(), fresh_card(), fresh_card()
    push(client_a, a, [chain_a.earn(old, 10_000), chain_a.earn(taken, 1_000)])
    refused = push(client_a, a, [replace(chain_a, old, taken)])  # the new card is in use
    assert refused.results[0].status == "accepted"
    assert refused.balances[0].card == old
    answer = push(client_a, a, [replace(chain_a, old, new)])
    assert (answer.balances[0].card, answer.balances[0].balance) == (new, 100)
    assert client_a.get(f"/v1/members/{old}").status_code == 404
    offline = push(client_b, b, [chain_b.earn(old, 5_000)])  # made before B heard of it
    member = offline.balances[0]
    assert (member.card, member.balance) == (new, 150)
    assert "revoked_card" in member.flag_reasons
    feed = pull_all(client_b)
    assert old in [c.card for c in feed.changes if c.type == "revoked_card"]
    bare = push(client_a, a, [replace(chain_a, new, fresh_card(), approval=None)])
    assert bare.stopped_at is not None and bare.stopped_at.code == "malformed"


def test_a_blocked_card_is_refused_and_a_later_replace_works(ledger: LedgerHandle) -> None:
    name, client, chain = _till(ledger)
    card, new = fresh_card(), fresh_card()
    push(client, name, [chain.earn(card, 10_000)])
    blocked = push(client, name, [block(chain, card)])
    assert blocked.balances[0].balance == 100 and blocked.balances[0].status == "active"
    assert client.get(f"/v1/members/{card}").status_code == 404
    replaced = push(client, name, [replace(chain, card, new), chain.earn(new, 1_000)])
    assert (replaced.balances[0].card, replaced.balances[0].balance) == (new, 110)
    assert "revoked_card" not in replaced.balances[0].flag_reasons
    assert ledger.admin("verify").returncode == 0
    rebuilt = ledger.admin("rebuild")
    assert rebuilt.returncode == 0 and "REPLACED" not in rebuilt.stdout, rebuilt.stdout


def test_a_voided_event_is_kept_not_applied_and_the_stream_goes_on(ledger: LedgerHandle) -> None:
    name, client, chain = _till(ledger)
    card = fresh_card()
    push(client, name, [chain.earn(card, 10_000)])
    parked = chain.adjust(card, 10**9, approval=None)
    after = chain.earn(card, 2_000)
    stopped = push(client, name, [parked, after])
    assert stopped.stopped_at is not None and stopped.high_water == 1
    void = {
        "seq": parked.seq,
        "event_id": parked.event_id,
        "manager": "MGR-1",
        "note": "keyed in error",
        "decided_at": "2026-11-25T13:00:00+01:00",
    }
    ignored = {**void, "event_id": str(uuid.uuid4()), "seq": 99}
    answer = push(client, name, [parked, after], voids=[void, ignored])
    assert [r.status for r in answer.results] == ["accepted", "accepted"]
    assert answer.high_water == 3 and answer.balances[0].balance == 120
    voided = [x for x in _anomalies(ledger, name) if x["kind"] == "voided"]
    assert (
        len(voided) == 1
        and "MGR-1" in voided[0]["detail"]
        and "keyed in error" in (voided[0]["detail"])
    )
    again = push(client, name, [parked, after], voids=[void])
    assert [r.status for r in again.results] == ["duplicate", "duplicate"]
    assert ledger.admin("verify").returncode == 0


def test_rotating_a_token_keeps_the_terminals_history(ledger: LedgerHandle) -> None:
    name, client, chain = _till(ledger)
    card = fresh_card()
    push(client, name, [chain.earn(card, 10_000), chain.earn(card, 1_000)])
    assert ledger.admin("terminal", "revoke", name).returncode == 0
    assert client.post("/v1/events", json=LedgerHandle.batch(name, [])).status_code == 403
    rotated = ledger.admin("terminal", "rotate", name)
    assert rotated.returncode == 0 and "only once" in rotated.stderr
    assert client.post("/v1/events", json=LedgerHandle.batch(name, [])).status_code == 401
    fresh = ledger.client(rotated.stdout.strip())
    answer = push(fresh, name, [chain.earn(card, 500)])
    assert (answer.high_water, answer.balances[0].balance) == (3, 115)
    assert ledger.admin("terminal", "rotate", "nobody-at-all").returncode == 1


def test_the_member_history_pages_newest_first(ledger: LedgerHandle) -> None:
    name, client, chain = _till(ledger)
    card = fresh_card()
    answer = push(client, name, [chain.earn(card, 100 * (i + 1)) for i in range(5)])
    member_id = answer.balances[0].member_id
    seen: list[int] = []
    before: int | None = None
    while True:
        params = {"limit": 2} | ({"before": before} if before else {})
        page = client.get(f"/v1/members/{member_id}/events", params=params)
        assert page.status_code == 200, page.text
        read = MemberHistoryResponse.model_validate_json(page.content)
        seen += [e.seq for e in read.events]
        if read.next_before is None:
            break
        before = read.next_before
    assert seen == [5, 4, 3, 2, 1]
    assert client.get("/v1/members/nobody/events").status_code == 404
    assert client.get(f"/v1/members/{member_id}/events", params={"limit": 101}).status_code == 422
